package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A pool of ready, unclaimed sandboxes of one template ({@code extensions.agents.x-k8s.io/v1beta1 SandboxWarmPool}). */
@Group(SandboxTemplate.GROUP)
@Version(SandboxTemplate.VERSION)
@Kind("SandboxWarmPool")
@Plural("sandboxwarmpools")
@Singular("sandboxwarmpool")
@ShortNames("swp")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxWarmPool extends CustomResource<SandboxWarmPoolSpec, SandboxWarmPoolStatus> implements Namespaced {
    public SandboxWarmPool() {
    }
}
