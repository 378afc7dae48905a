package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

/** Observed state of a manual trigger: condition Triggered (reason Complete, or Failed with a message) and the snapshot created. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"conditions", "observedGeneration", "snapshotCreated"})
public class PodSnapshotManualTriggerStatus implements HasConditions {
    private List<Condition> conditions;
    private Long observedGeneration;
    private SnapshotRef snapshotCreated;

    public PodSnapshotManualTriggerStatus() {
    }

    public PodSnapshotManualTriggerStatus(List<Condition> conditions, Long observedGeneration, SnapshotRef snapshotCreated) {
        this.conditions = conditions;
        this.observedGeneration = observedGeneration;
        this.snapshotCreated = snapshotCreated;
    }

    @Override
    public List<Condition> getConditions() {
        return conditions;
    }

    @Override
    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    /** The most recent generation observed by the controller. */
    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    /** The PodSnapshot this trigger created. */
    public SnapshotRef getSnapshotCreated() {
        return snapshotCreated;
    }

    public void setSnapshotCreated(SnapshotRef snapshotCreated) {
        this.snapshotCreated = snapshotCreated;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodSnapshotManualTriggerStatus other
                && Objects.equals(conditions, other.conditions)
                && Objects.equals(observedGeneration, other.observedGeneration)
                && Objects.equals(snapshotCreated, other.snapshotCreated);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conditions, observedGeneration, snapshotCreated);
    }
}
