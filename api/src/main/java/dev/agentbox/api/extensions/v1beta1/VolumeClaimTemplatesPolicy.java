package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/**
 * Whether a SandboxClaim may add volume claim templates to its template's (upstream {@code VolumeClaimTemplatesPolicy}):
 * Disallowed (default: a claim with volumeClaimTemplates is refused), Allowed (new names only) or Overrides (new names, and
 * claim templates replace the template's of the same name).
 */
public enum VolumeClaimTemplatesPolicy {
    DISALLOWED("Disallowed"),
    ALLOWED("Allowed"),
    OVERRIDES("Overrides");

    private final String value;

    VolumeClaimTemplatesPolicy(String value) {
        this.value = value;
    }

    /** The upstream string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the upstream string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static VolumeClaimTemplatesPolicy fromValue(String value) {
        return EnumValues.parse(VolumeClaimTemplatesPolicy.class, VolumeClaimTemplatesPolicy::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(VolumeClaimTemplatesPolicy.class, VolumeClaimTemplatesPolicy::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
