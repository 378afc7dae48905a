package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The resource classes work with a plain Jackson ObjectMapper (as the server, client and operator use them). */
class InteropTest {
    @Test
    void aPlainStrictObjectMapperRoundTripsEveryKind() throws Exception {
        ObjectMapper plain = new ObjectMapper(); // FAIL_ON_UNKNOWN_PROPERTIES on
        for (HasMetadata o : Resources.parseAll(ResourcesTest.TEMPLATE + "---\n" + ResourcesTest.POOL_AND_CLAIM + "---\n" + SnapshotKindsTest.GKE)) {
            String json = plain.writeValueAsString(o);
            assertThat(json).doesNotContain("\"plural\"").doesNotContain("\"crdName\"");
            assertThat(plain.readValue(json, o.getClass())).isEqualTo(o);
        }
    }

    @Test
    void aSandboxCopiesItsBlueprintFromATemplateAsADeepCopy() {
        SandboxTemplate t = Resources.parse(ResourcesTest.TEMPLATE, SandboxTemplate.class);
        SandboxSpec spec = new SandboxSpec().copyBlueprintFrom(t.getSpec());
        assertThat(spec.getPodTemplate()).isEqualTo(t.getSpec().getPodTemplate()).isNotSameAs(t.getSpec().getPodTemplate());
        spec.getPodTemplate().getSpec().getContainers().get(0).setImage("changed");
        assertThat(t.getSpec().getPodTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("agentbox/builtin");
    }

    @Test
    void anEmptyTemplateStatusIsTolerated() {
        assertThat(Resources.parseAll(ResourcesTest.TEMPLATE + "status: {}\n")).hasSize(1);
    }

    @Test
    void freshObjectsHaveApiVersionKindAndNoStatus() {
        Sandbox s = new Sandbox();
        s.setSpec(new SandboxSpec(new PodTemplate(new PodMetadata(Map.of("a", "b"), null), null)));
        assertThat(s.getApiVersion()).isEqualTo("agents.x-k8s.io/v1beta1");
        assertThat(s.getKind()).isEqualTo("Sandbox");
        assertThat(s.getStatus()).isNull();
        assertThat(Resources.toJson(s)).isEqualTo("{\"apiVersion\":\"agents.x-k8s.io/v1beta1\",\"kind\":\"Sandbox\",\"metadata\":{},\"spec\":{\"podTemplate\":{\"metadata\":{\"labels\":{\"a\":\"b\"}}}}}");
    }
}
