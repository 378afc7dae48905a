package dev.agentbox.client;

import dev.agentbox.api.snapshot.v1.PodSnapshot;
import java.util.List;

/**
 * Pod snapshots of one sandbox (podsnapshot.gke.io/v1). A snapshot needs a PodSnapshotPolicy whose selector
 * matches the sandbox's labels and a PodSnapshotStorageConfig it names (see examples/counter).
 */
public interface Snapshots {
    /** Checkpoints the sandbox now (a PodSnapshotManualTrigger) and returns the Ready PodSnapshot. */
    PodSnapshot create();

    /** Snapshots taken from this sandbox, oldest first. */
    List<PodSnapshot> list();

    /** Deletes a snapshot and its files. */
    void delete(String snapshotName);
}
