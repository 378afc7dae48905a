package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** Desired state of a {@link PodSnapshot}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"policyName"})
public class PodSnapshotSpec {
    private String policyName;

    public PodSnapshotSpec() {
    }

    public PodSnapshotSpec(String policyName) {
        this.policyName = policyName;
    }

    /** The PodSnapshotPolicy in the same namespace that governs this snapshot (required, immutable). */
    public String getPolicyName() {
        return policyName;
    }

    public void setPolicyName(String policyName) {
        this.policyName = policyName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodSnapshotSpec other
                && Objects.equals(policyName, other.policyName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(policyName);
    }
}
