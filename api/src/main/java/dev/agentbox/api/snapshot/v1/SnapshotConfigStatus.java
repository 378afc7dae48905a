package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

/** Observed state of a storage config or a policy: conditions and observedGeneration. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"conditions", "observedGeneration"})
public class SnapshotConfigStatus implements HasConditions {
    private List<Condition> conditions;
    private Long observedGeneration;

    public SnapshotConfigStatus() {
    }

    public SnapshotConfigStatus(List<Condition> conditions, Long observedGeneration) {
        this.conditions = conditions;
        this.observedGeneration = observedGeneration;
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

    @Override
    public boolean equals(Object o) {
        return o instanceof SnapshotConfigStatus other
                && Objects.equals(conditions, other.conditions)
                && Objects.equals(observedGeneration, other.observedGeneration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conditions, observedGeneration);
    }
}
