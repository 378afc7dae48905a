package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.agentbox.api.extensions.v1beta1.ClaimShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.NetworkPolicyManagement;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The manifests in examples/ parse and validate. examples/upstream/ holds manifests copied verbatim from
 * kubernetes-sigs/agent-sandbox (Apache-2.0):
 * clients/python/agentic-sandbox-client/python-sandbox-template.yaml (commit 05a181e6),
 * examples/keda-scale-to-zero/sandboxwarmpool.yaml (033f8c5c),
 * examples/claimed-sandbox-service/{template,warmpool}.yaml (a5187669) and claims.yaml (7f33e860).
 */
class ExamplesTest {
    private static final Path EXAMPLES = Path.of("..", "examples");

    private static List<HasMetadata> load(String file) throws IOException {
        return Resources.parseAll(Files.readString(EXAMPLES.resolve(file)));
    }

    private static void validates(List<HasMetadata> objects) {
        for (HasMetadata o : objects) assertThatCode(() -> Validation.check(o)).as(o.getKind()).doesNotThrowAnyException();
    }

    @Test
    void ourPythonRuntimeTemplateWarmPoolAndClaimParseAndValidate() throws IOException {
        List<HasMetadata> template = load("python-runtime-template.yaml");
        List<HasMetadata> pool = load("warm-pool.yaml");
        List<HasMetadata> claim = load("claim.yaml");
        validates(template);
        validates(pool);
        validates(claim);
        SandboxTemplate t = (SandboxTemplate) template.get(0);
        var c = t.getSpec().getPodTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("agentbox/builtin");
        assertThat(c.getReadinessProbe().getExec().getCommand()).isNotEmpty();
        assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
        SandboxWarmPool p = (SandboxWarmPool) pool.get(0);
        assertThat(p.getSpec().getReplicas()).isEqualTo(3);
        assertThat(p.getSpec().getSandboxTemplateRef().getName()).isEqualTo(t.getMetadata().getName());
        assertThat(((SandboxClaim) claim.get(0)).getSpec().getWarmPoolRef().getName()).isEqualTo(p.getMetadata().getName());
    }

    @Test
    void upstreamClaimedSandboxServiceManifestsParseAndValidateUnchanged() throws IOException {
        List<HasMetadata> template = load("upstream/claimed-sandbox-service/template.yaml");
        List<HasMetadata> pool = load("upstream/claimed-sandbox-service/warmpool.yaml");
        List<HasMetadata> claims = load("upstream/claimed-sandbox-service/claims.yaml");
        validates(template);
        validates(pool);
        validates(claims);
        SandboxTemplate t = (SandboxTemplate) template.get(0);
        assertThat(t.getSpec().effectiveNetworkPolicyManagement()).isEqualTo(NetworkPolicyManagement.MANAGED);
        assertThat(t.getSpec().getNetworkPolicy().getEgress()).isEmpty();
        assertThat(t.getSpec().getNetworkPolicy().getIngress().get(0).getPorts().get(0).getPort().getIntVal()).isEqualTo(8000);
        assertThat(claims).hasSize(2).allSatisfy(c -> assertThat(((SandboxClaim) c).getSpec().getLifecycle().effectiveShutdownPolicy())
                .isEqualTo(ClaimShutdownPolicy.DELETE));
    }

    @Test
    void upstreamPythonRuntimeTemplateAndPoolParseUnchangedAndValidateOnceTheirPlaceholdersAreFilled() throws IOException {
        Map<String, String> env = Map.of("SANDBOX_TEMPLATE_NAME", "python-sandbox-template", "SANDBOX_NAMESPACE", "default",
                "WARM_POOL_NAME", "python-pool", "NAMESPACE", "default", "TEMPLATE_NAME", "python-sandbox-template");
        for (String file : List.of("upstream/python-sandbox-template.yaml", "upstream/keda-sandboxwarmpool.yaml")) {
            String text = Files.readString(EXAMPLES.resolve(file));
            assertThat(Resources.parseAll(text)).hasSize(1);
            for (var e : env.entrySet()) text = text.replace("${" + e.getKey() + "}", e.getValue());
            validates(Resources.parseAll(text));
        }
    }

    @Test
    void upstreamExamplesRoundTripThroughTheCodec() throws IOException {
        for (String file : List.of("upstream/claimed-sandbox-service/template.yaml", "upstream/claimed-sandbox-service/claims.yaml")) {
            List<HasMetadata> objects = load(file);
            assertThat(Resources.parseAll(Resources.toYaml(objects))).isEqualTo(objects);
        }
    }
}
