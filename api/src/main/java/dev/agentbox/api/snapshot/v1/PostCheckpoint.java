package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** What the pod does after a checkpoint: resume (default) or stop. */
public enum PostCheckpoint {
    RESUME("resume"),
    STOP("stop");

    private final String value;

    PostCheckpoint(String value) {
        this.value = value;
    }

    /** The GKE string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the GKE string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static PostCheckpoint fromValue(String value) {
        return EnumValues.parse(PostCheckpoint.class, PostCheckpoint::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(PostCheckpoint.class, PostCheckpoint::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
