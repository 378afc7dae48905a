package dev.agentbox.api;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;

/** Validation of the Pod Snapshot kinds (podsnapshot.gke.io/v1). */
final class SnapshotValidation {
    private SnapshotValidation() {
    }

    static void check(HasMetadata object, List<FieldError> errors) {
        // filled in with the snapshot kinds
    }
}
