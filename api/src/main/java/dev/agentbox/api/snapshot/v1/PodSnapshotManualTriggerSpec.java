package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Desired state of a {@link PodSnapshotManualTrigger}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"targetPod"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class PodSnapshotManualTriggerSpec {
    /** Name of the pod to snapshot; locally, the Sandbox's pod name, which is the Sandbox name (required). */
    private String targetPod;
}
