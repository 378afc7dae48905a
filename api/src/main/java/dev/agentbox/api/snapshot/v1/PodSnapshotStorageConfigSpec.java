package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** Desired state of a {@link PodSnapshotStorageConfig}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"snapshotStorageConfig"})
public class PodSnapshotStorageConfigSpec {
    private SnapshotStorageConfig snapshotStorageConfig;

    public PodSnapshotStorageConfigSpec() {
    }

    public PodSnapshotStorageConfigSpec(SnapshotStorageConfig snapshotStorageConfig) {
        this.snapshotStorageConfig = snapshotStorageConfig;
    }

    public SnapshotStorageConfig getSnapshotStorageConfig() {
        return snapshotStorageConfig;
    }

    public void setSnapshotStorageConfig(SnapshotStorageConfig snapshotStorageConfig) {
        this.snapshotStorageConfig = snapshotStorageConfig;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodSnapshotStorageConfigSpec other
                && Objects.equals(snapshotStorageConfig, other.snapshotStorageConfig);
    }

    @Override
    public int hashCode() {
        return Objects.hash(snapshotStorageConfig);
    }
}
