package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** Whether a SandboxClaim may inject environment variables: Allowed (new only), Overrides (new and existing) or Disallowed (default). */
public enum EnvVarsInjectionPolicy {
    ALLOWED("Allowed"),
    OVERRIDES("Overrides"),
    DISALLOWED("Disallowed");

    private final String value;

    EnvVarsInjectionPolicy(String value) {
        this.value = value;
    }

    /** The upstream string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the upstream string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static EnvVarsInjectionPolicy fromValue(String value) {
        return EnumValues.parse(EnvVarsInjectionPolicy.class, EnvVarsInjectionPolicy::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(EnvVarsInjectionPolicy.class, EnvVarsInjectionPolicy::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
