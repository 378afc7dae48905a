package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.Objects;

/** Desired state of a {@link PodSnapshotPolicy}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"selector", "storageConfigName", "triggerConfig", "retentionConfig", "snapshotGroupingRules"})
public class PodSnapshotPolicySpec {
    private LabelSelector selector;
    private String storageConfigName;
    private TriggerConfig triggerConfig;
    private RetentionConfig retentionConfig;
    private SnapshotGroupingRules snapshotGroupingRules;

    public PodSnapshotPolicySpec() {
    }

    public PodSnapshotPolicySpec(LabelSelector selector, String storageConfigName, TriggerConfig triggerConfig, RetentionConfig retentionConfig, SnapshotGroupingRules snapshotGroupingRules) {
        this.selector = selector;
        this.storageConfigName = storageConfigName;
        this.triggerConfig = triggerConfig;
        this.retentionConfig = retentionConfig;
        this.snapshotGroupingRules = snapshotGroupingRules;
    }

    /** The pods (sandboxes) this policy applies to (required). */
    public LabelSelector getSelector() {
        return selector;
    }

    public void setSelector(LabelSelector selector) {
        this.selector = selector;
    }

    /** Name of the PodSnapshotStorageConfig (required). */
    public String getStorageConfigName() {
        return storageConfigName;
    }

    public void setStorageConfigName(String storageConfigName) {
        this.storageConfigName = storageConfigName;
    }

    public TriggerConfig getTriggerConfig() {
        return triggerConfig;
    }

    public void setTriggerConfig(TriggerConfig triggerConfig) {
        this.triggerConfig = triggerConfig;
    }

    public RetentionConfig getRetentionConfig() {
        return retentionConfig;
    }

    public void setRetentionConfig(RetentionConfig retentionConfig) {
        this.retentionConfig = retentionConfig;
    }

    public SnapshotGroupingRules getSnapshotGroupingRules() {
        return snapshotGroupingRules;
    }

    public void setSnapshotGroupingRules(SnapshotGroupingRules snapshotGroupingRules) {
        this.snapshotGroupingRules = snapshotGroupingRules;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodSnapshotPolicySpec other
                && Objects.equals(selector, other.selector)
                && Objects.equals(storageConfigName, other.storageConfigName)
                && Objects.equals(triggerConfig, other.triggerConfig)
                && Objects.equals(retentionConfig, other.retentionConfig)
                && Objects.equals(snapshotGroupingRules, other.snapshotGroupingRules);
    }

    @Override
    public int hashCode() {
        return Objects.hash(selector, storageConfigName, triggerConfig, retentionConfig, snapshotGroupingRules);
    }
}
