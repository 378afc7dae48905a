package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** How a SandboxWarmPool reacts to a template change: OnReplenish (default, only new members use it) or Recreate (stale members are replaced). */
public enum UpdateStrategyType {
    ON_REPLENISH("OnReplenish"),
    RECREATE("Recreate");

    private final String value;

    UpdateStrategyType(String value) {
        this.value = value;
    }

    /** The upstream string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the upstream string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static UpdateStrategyType fromValue(String value) {
        return EnumValues.parse(UpdateStrategyType.class, UpdateStrategyType::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(UpdateStrategyType.class, UpdateStrategyType::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
