package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Desired state of a {@link PodSnapshot}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"policyName"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class PodSnapshotSpec {
    /** The PodSnapshotPolicy in the same namespace that governs this snapshot (required, immutable). */
    private String policyName;
}
