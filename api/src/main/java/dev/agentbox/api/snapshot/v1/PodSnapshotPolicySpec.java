package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.LabelSelector;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Desired state of a {@link PodSnapshotPolicy}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"selector", "storageConfigName", "triggerConfig", "retentionConfig", "snapshotGroupingRules"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class PodSnapshotPolicySpec {
    /** The pods (sandboxes) this policy applies to (required). */
    private LabelSelector selector;
    /** Name of the PodSnapshotStorageConfig (required). */
    private String storageConfigName;
    private TriggerConfig triggerConfig;
    private RetentionConfig retentionConfig;
    private SnapshotGroupingRules snapshotGroupingRules;
}
