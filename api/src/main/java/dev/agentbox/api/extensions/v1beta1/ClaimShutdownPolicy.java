package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** What happens when a SandboxClaim's shutdownTime passes: Delete the claim (and its sandbox), DeleteForeground, or Retain (default) the claim while its sandbox is deleted. */
public enum ClaimShutdownPolicy {
    DELETE("Delete"),
    DELETE_FOREGROUND("DeleteForeground"),
    RETAIN("Retain");

    private final String value;

    ClaimShutdownPolicy(String value) {
        this.value = value;
    }

    /** The upstream string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the upstream string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static ClaimShutdownPolicy fromValue(String value) {
        return EnumValues.parse(ClaimShutdownPolicy.class, ClaimShutdownPolicy::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(ClaimShutdownPolicy.class, ClaimShutdownPolicy::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
