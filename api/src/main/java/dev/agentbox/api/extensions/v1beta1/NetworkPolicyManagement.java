package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** Whether the platform manages a template's network policy (Managed, the default) or leaves networking to others (Unmanaged). */
public enum NetworkPolicyManagement {
    MANAGED("Managed"),
    UNMANAGED("Unmanaged");

    private final String value;

    NetworkPolicyManagement(String value) {
        this.value = value;
    }

    /** The upstream string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the upstream string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static NetworkPolicyManagement fromValue(String value) {
        return EnumValues.parse(NetworkPolicyManagement.class, NetworkPolicyManagement::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(NetworkPolicyManagement.class, NetworkPolicyManagement::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
