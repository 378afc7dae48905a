package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** What happens to a Sandbox when its shutdownTime passes: Delete it, or Retain it (default, marked expired). */
public enum ShutdownPolicy {
    DELETE("Delete"),
    RETAIN("Retain");

    private final String value;

    ShutdownPolicy(String value) {
        this.value = value;
    }

    /** The upstream string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the upstream string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static ShutdownPolicy fromValue(String value) {
        return EnumValues.parse(ShutdownPolicy.class, ShutdownPolicy::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(ShutdownPolicy.class, ShutdownPolicy::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
