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

/** A reusable sandbox blueprint ({@code extensions.agents.x-k8s.io/v1beta1 SandboxTemplate}); it has no status. */
@Group(SandboxTemplate.GROUP)
@Version(SandboxTemplate.VERSION)
@Kind("SandboxTemplate")
@Plural("sandboxtemplates")
@Singular("sandboxtemplate")
@ShortNames("sandboxtemplate")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxTemplate extends CustomResource<SandboxTemplateSpec, Void> implements Namespaced {
    public static final String GROUP = "extensions.agents.x-k8s.io";
    public static final String VERSION = "v1beta1";

    public SandboxTemplate() {
    }
}
