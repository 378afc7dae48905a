package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.agentbox.api.internal.EnumValues;

/** What triggers a checkpoint: manual (a PodSnapshotManualTrigger) or workload (the process inside asks for it). */
public enum TriggerType {
    MANUAL("manual"),
    WORKLOAD("workload");

    private final String value;

    TriggerType(String value) {
        this.value = value;
    }

    /** The GKE string, as written in manifests. */
    @JsonValue
    public String value() {
        return value;
    }

    /** Parses the GKE string; unknown values fail with the allowed ones listed. */
    @JsonCreator
    public static TriggerType fromValue(String value) {
        return EnumValues.parse(TriggerType.class, TriggerType::value, value);
    }

    /** The allowed values, comma-separated. */
    public static String allowedValues() {
        return EnumValues.allowed(TriggerType.class, TriggerType::value);
    }

    @Override
    public String toString() {
        return value;
    }
}
