package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** One isolated sandbox: a pod template run as one gVisor sandbox ({@code agents.x-k8s.io/v1beta1 Sandbox}). */
@Group(Sandbox.GROUP)
@Version(Sandbox.VERSION)
@Kind("Sandbox")
@Plural("sandboxes")
@Singular("sandbox")
@ShortNames("sandbox")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Sandbox extends CustomResource<SandboxSpec, SandboxStatus> implements Namespaced {
    public static final String GROUP = "agents.x-k8s.io";
    public static final String VERSION = "v1beta1";

    public Sandbox() {
    }
}
