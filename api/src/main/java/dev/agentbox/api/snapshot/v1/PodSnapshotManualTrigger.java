package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A request to snapshot one pod (sandbox) now ({@code podsnapshot.gke.io/v1}). */
@Group(PodSnapshot.GROUP)
@Version(PodSnapshot.VERSION)
@Kind("PodSnapshotManualTrigger")
@Plural("podsnapshotmanualtriggers")
@Singular("podsnapshotmanualtrigger")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodSnapshotManualTrigger extends CustomResource<PodSnapshotManualTriggerSpec, PodSnapshotManualTriggerStatus> implements Namespaced {
    public PodSnapshotManualTrigger() {
    }
}
