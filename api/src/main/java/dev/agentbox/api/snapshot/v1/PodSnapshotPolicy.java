package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** Which sandboxes are snapshotted, how, where, and how long snapshots are kept ({@code podsnapshot.gke.io/v1}). */
@Group(PodSnapshot.GROUP)
@Version(PodSnapshot.VERSION)
@Kind("PodSnapshotPolicy")
@Plural("podsnapshotpolicies")
@Singular("podsnapshotpolicy")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodSnapshotPolicy extends CustomResource<PodSnapshotPolicySpec, SnapshotConfigStatus> implements Namespaced {
    public PodSnapshotPolicy() {
    }
}
