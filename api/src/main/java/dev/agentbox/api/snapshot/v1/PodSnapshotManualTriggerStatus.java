package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Observed state of a manual trigger: condition Triggered (reason Complete, or Failed with a message) and the snapshot created. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"conditions", "observedGeneration", "snapshotCreated"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class PodSnapshotManualTriggerStatus implements HasConditions {
    private List<Condition> conditions;
    /** The most recent generation observed by the controller. */
    private Long observedGeneration;
    /** The PodSnapshot this trigger created. */
    private SnapshotRef snapshotCreated;
}
