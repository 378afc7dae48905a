package dev.agentbox.client.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentbox.api.Resources;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.SandboxClient;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * End to end on a real cluster; runs only when KUBECONFIG is set. Expects the agentbox operator installed
 * ({@code kubectl apply -k operator/deploy}) and a {@code gvisor} RuntimeClass (GKE Sandbox node pool, or runsc on the
 * nodes). Creates the namespace {@code AGENTBOX_E2E_NAMESPACE} (default agentbox-e2e) and deletes it afterwards.
 * The example template's image is agentbox/builtin, which only agentboxd knows: set AGENTBOX_E2E_IMAGE (default
 * python:3.12-slim) for the cluster.
 */
@EnabledIfEnvironmentVariable(named = "KUBECONFIG", matches = ".+")
class RealClusterE2ETest {
    private static final String NS = System.getenv().getOrDefault("AGENTBOX_E2E_NAMESPACE", "agentbox-e2e");
    private static SandboxClient sdk;
    private static KubernetesClient kube;

    @BeforeAll
    static void setUp() throws Exception {
        sdk = new KubernetesSandboxClientProvider().fromEnvironment(Map.of("KUBECONFIG", System.getenv("KUBECONFIG"), "AGENTBOX_NAMESPACE", NS));
        kube = ((KubernetesSandboxClient) sdk).kubernetesClient();
        kube.resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).createOr(r -> r.update());
        for (String example : new String[] {"python-runtime-template.yaml", "warm-pool.yaml"}) {
            HasMetadata o = Resources.parseAll(Files.readString(Path.of("..", "examples", example))).get(0);
            o.getMetadata().setNamespace(NS);
            if (o instanceof dev.agentbox.api.extensions.v1beta1.SandboxTemplate t) {
                var c = t.getSpec().getPodTemplate().getSpec().getContainers().get(0);
                c.setImage(System.getenv().getOrDefault("AGENTBOX_E2E_IMAGE", "python:3.12-slim"));
                c.setReadinessProbe(null);
            }
            kube.resource(o).createOr(r -> r.update());
        }
    }

    @AfterAll
    static void tearDown() {
        if (kube != null && !"false".equals(System.getenv("AGENTBOX_E2E_CLEANUP"))) kube.namespaces().withName(NS).delete();
        if (sdk != null) sdk.close();
    }

    @Test
    void aClaimGetsAGvisorPodThatRunsCommandsAndFiles() {
        try (var sandbox = sdk.createSandbox("python-pool", CreateOptions.builder().readyTimeout(Duration.ofMinutes(5)).build())) {
            Pod pod = kube.pods().inNamespace(NS).withName(sandbox.name()).get();
            assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
            assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
            CommandResult r = sandbox.commands().run("python3 -c 'print(6*7)'");
            assertThat(r.stdout().trim()).isEqualTo("42");
            // gVisor's kernel reports itself in dmesg
            assertThat(sandbox.commands().run("dmesg 2>/dev/null | head -1 || true").stdout()).containsIgnoringCase("gvisor");
            sandbox.files().write("/tmp/e2e.txt", "hello");
            assertThat(sandbox.files().readString("/tmp/e2e.txt")).isEqualTo("hello");
            Sandbox s = kube.resources(Sandbox.class).inNamespace(NS).withName(sandbox.name()).get();
            assertThat(s.getMetadata().getOwnerReferences()).anySatisfy(o -> assertThat(o.getKind()).isEqualTo("SandboxClaim"));
        }
    }
}
