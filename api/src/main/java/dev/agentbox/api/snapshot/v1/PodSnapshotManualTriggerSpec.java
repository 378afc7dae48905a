package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** Desired state of a {@link PodSnapshotManualTrigger}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"targetPod"})
public class PodSnapshotManualTriggerSpec {
    private String targetPod;

    public PodSnapshotManualTriggerSpec() {
    }

    public PodSnapshotManualTriggerSpec(String targetPod) {
        this.targetPod = targetPod;
    }

    /** Name of the pod to snapshot; locally, the Sandbox's pod name, which is the Sandbox name (required). */
    public String getTargetPod() {
        return targetPod;
    }

    public void setTargetPod(String targetPod) {
        this.targetPod = targetPod;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodSnapshotManualTriggerSpec other
                && Objects.equals(targetPod, other.targetPod);
    }

    @Override
    public int hashCode() {
        return Objects.hash(targetPod);
    }
}
