package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A point-in-time snapshot of a sandbox: memory, processes and files ({@code podsnapshot.gke.io/v1}). */
@Group(PodSnapshot.GROUP)
@Version(PodSnapshot.VERSION)
@Kind("PodSnapshot")
@Plural("podsnapshots")
@Singular("podsnapshot")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodSnapshot extends CustomResource<PodSnapshotSpec, PodSnapshotStatus> implements Namespaced {
    public static final String GROUP = "podsnapshot.gke.io";
    public static final String VERSION = "v1";

    public PodSnapshot() {
    }
}
