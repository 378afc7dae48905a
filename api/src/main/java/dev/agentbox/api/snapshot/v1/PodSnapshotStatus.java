package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link PodSnapshot}: GKE's fields plus agentbox's optional sizeBytes, sourceSandbox, sourcePod and templateHash. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"conditions", "observedGeneration", "lastAccessTime", "observedCheckpointRetryCount", "storageStatus", "sizeBytes", "sourceSandbox", "sourcePod", "templateHash"})
public class PodSnapshotStatus implements HasConditions {
    private List<Condition> conditions;
    private Long observedGeneration;
    private String lastAccessTime;
    private Integer observedCheckpointRetryCount;
    private SnapshotStorageStatus storageStatus;
    private Long sizeBytes;
    private String sourceSandbox;
    private String sourcePod;
    private String templateHash;

    public PodSnapshotStatus() {
    }

    public PodSnapshotStatus(List<Condition> conditions, Long observedGeneration, String lastAccessTime, Integer observedCheckpointRetryCount, SnapshotStorageStatus storageStatus, Long sizeBytes, String sourceSandbox, String sourcePod, String templateHash) {
        this.conditions = conditions;
        this.observedGeneration = observedGeneration;
        this.lastAccessTime = lastAccessTime;
        this.observedCheckpointRetryCount = observedCheckpointRetryCount;
        this.storageStatus = storageStatus;
        this.sizeBytes = sizeBytes;
        this.sourceSandbox = sourceSandbox;
        this.sourcePod = sourcePod;
        this.templateHash = templateHash;
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

    /** RFC 3339 time this snapshot last restored a pod. */
    public String getLastAccessTime() {
        return lastAccessTime;
    }

    public void setLastAccessTime(String lastAccessTime) {
        this.lastAccessTime = lastAccessTime;
    }

    /** The current retry attempt of the checkpoint. */
    public Integer getObservedCheckpointRetryCount() {
        return observedCheckpointRetryCount;
    }

    public void setObservedCheckpointRetryCount(Integer observedCheckpointRetryCount) {
        this.observedCheckpointRetryCount = observedCheckpointRetryCount;
    }

    public SnapshotStorageStatus getStorageStatus() {
        return storageStatus;
    }

    public void setStorageStatus(SnapshotStorageStatus storageStatus) {
        this.storageStatus = storageStatus;
    }

    /** agentbox: size of the snapshot image in bytes. */
    public Long getSizeBytes() {
        return sizeBytes;
    }

    public void setSizeBytes(Long sizeBytes) {
        this.sizeBytes = sizeBytes;
    }

    /** agentbox: the Sandbox the snapshot was taken from. */
    public String getSourceSandbox() {
        return sourceSandbox;
    }

    public void setSourceSandbox(String sourceSandbox) {
        this.sourceSandbox = sourceSandbox;
    }

    /** agentbox: the pod the snapshot was taken from (GKE records it in the podsnapshot.gke.io/origin-pod annotation). */
    public String getSourcePod() {
        return sourcePod;
    }

    public void setSourcePod(String sourcePod) {
        this.sourcePod = sourcePod;
    }

    /** agentbox: pod template hash of the source (see Hashing#podTemplateHash); restores require a match. */
    public String getTemplateHash() {
        return templateHash;
    }

    public void setTemplateHash(String templateHash) {
        this.templateHash = templateHash;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodSnapshotStatus other
                && Objects.equals(conditions, other.conditions)
                && Objects.equals(observedGeneration, other.observedGeneration)
                && Objects.equals(lastAccessTime, other.lastAccessTime)
                && Objects.equals(observedCheckpointRetryCount, other.observedCheckpointRetryCount)
                && Objects.equals(storageStatus, other.storageStatus)
                && Objects.equals(sizeBytes, other.sizeBytes)
                && Objects.equals(sourceSandbox, other.sourceSandbox)
                && Objects.equals(sourcePod, other.sourcePod)
                && Objects.equals(templateHash, other.templateHash);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conditions, observedGeneration, lastAccessTime, observedCheckpointRetryCount, storageStatus, sizeBytes, sourceSandbox, sourcePod, templateHash);
    }
}
