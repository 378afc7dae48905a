package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** Where a snapshot's data resides ({@code status.storageStatus}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"gcs", "local"})
public class SnapshotStorageStatus {
    private GcsStorageStatus gcs;
    private LocalStorageStatus local;

    public SnapshotStorageStatus() {
    }

    public SnapshotStorageStatus(GcsStorageStatus gcs, LocalStorageStatus local) {
        this.gcs = gcs;
        this.local = local;
    }

    public GcsStorageStatus getGcs() {
        return gcs;
    }

    public void setGcs(GcsStorageStatus gcs) {
        this.gcs = gcs;
    }

    public LocalStorageStatus getLocal() {
        return local;
    }

    public void setLocal(LocalStorageStatus local) {
        this.local = local;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnapshotStorageStatus other
                && Objects.equals(gcs, other.gcs)
                && Objects.equals(local, other.local);
    }

    @Override
    public int hashCode() {
        return Objects.hash(gcs, local);
    }
}
