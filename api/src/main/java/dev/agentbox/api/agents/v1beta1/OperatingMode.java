package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** Desired state of a Sandbox: Running (default) or Suspended. */
public enum OperatingMode {
    RUNNING("Running"),
    SUSPENDED("Suspended");

    private final String value;

    OperatingMode(String value) {
        this.value = value;
    }

    /** The upstream string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the upstream string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static OperatingMode fromValue(String value) {
        return EnumValues.parse(OperatingMode.class, OperatingMode::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(OperatingMode.class, OperatingMode::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
