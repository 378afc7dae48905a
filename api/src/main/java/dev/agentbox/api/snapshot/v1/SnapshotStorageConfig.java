package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** Where snapshots are stored: exactly one of {@code gcs} (GKE) or {@code local} (agentbox). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"gcs", "local"})
public class SnapshotStorageConfig {
    private GcsStorage gcs;
    private LocalStorage local;

    public SnapshotStorageConfig() {
    }

    public SnapshotStorageConfig(GcsStorage gcs, LocalStorage local) {
        this.gcs = gcs;
        this.local = local;
    }

    public GcsStorage getGcs() {
        return gcs;
    }

    public void setGcs(GcsStorage gcs) {
        this.gcs = gcs;
    }

    public LocalStorage getLocal() {
        return local;
    }

    public void setLocal(LocalStorage local) {
        this.local = local;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnapshotStorageConfig other
                && Objects.equals(gcs, other.gcs)
                && Objects.equals(local, other.local);
    }

    @Override
    public int hashCode() {
        return Objects.hash(gcs, local);
    }
}
