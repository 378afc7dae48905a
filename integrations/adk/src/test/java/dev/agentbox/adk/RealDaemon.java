package dev.agentbox.adk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentbox.api.Resources;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.runtime.GvisorRuntime;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Test fixture: a real agentboxd (gVisor, SQLite) in a temporary directory with a Python template and a warm
 * pool, and an SDK client for it. Closing it stops the daemon (which destroys its sandboxes) and checks that no
 * runsc container is left.
 */
final class RealDaemon implements AutoCloseable {
    static final String POOL = "adk-python";

    static final String MANIFESTS = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: adk-python
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: python
                    image: agentbox/builtin
                    command: ["sleep", "infinity"]
                    env:
                    - name: PYTHONUNBUFFERED
                      value: "1"
                    resources:
                      limits:
                        memory: 256Mi
                        cpu: "1"
            ---
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxWarmPool
            metadata:
              name: adk-python
            spec:
              replicas: 1
              sandboxTemplateRef:
                name: adk-python
            """;

    final Path stateDir;
    final Agentboxd agentboxd;
    final SandboxClient client;

    RealDaemon() {
        try {
            stateDir = Files.createTempDirectory("agentbox-adk-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        agentboxd = Agentboxd.start(new AgentboxdConfig(stateDir, "127.0.0.1", 0));
        client = SandboxClient.builder().endpoint(agentboxd.endpoint()).token(agentboxd.adminToken()).build();
        for (HasMetadata r : Resources.parseAll(MANIFESTS)) client.resources().apply(r);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                client.resources().get(ResourceType.SANDBOX_WARM_POOL, POOL).getAdditionalProperties() instanceof java.util.Map<?, ?> m
                        && m.get("status") instanceof java.util.Map<?, ?> st && st.get("readyReplicas") instanceof Number n && n.intValue() >= 1);
    }

    String endpoint() {
        return agentboxd.endpoint().toString();
    }

    String token() {
        return agentboxd.adminToken();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            agentboxd.close();
            try (var runtime = new GvisorRuntime(stateDir.resolve("runtime"))) {
                assertThat(runtime.listContainers()).as("runsc containers left after agentboxd stopped").isEmpty();
            }
        }
    }
}
