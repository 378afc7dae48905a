package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** Where pod snapshots are stored ({@code podsnapshot.gke.io/v1}, cluster-scoped as on GKE). */
@Group(PodSnapshot.GROUP)
@Version(PodSnapshot.VERSION)
@Kind("PodSnapshotStorageConfig")
@Plural("podsnapshotstorageconfigs")
@Singular("podsnapshotstorageconfig")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodSnapshotStorageConfig extends CustomResource<PodSnapshotStorageConfigSpec, SnapshotConfigStatus> {
    public PodSnapshotStorageConfig() {
    }
}
