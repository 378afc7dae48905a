package dev.agentbox.testing;

import static org.awaitility.Awaitility.await;

import dev.agentbox.api.Resources;
import dev.agentbox.client.AgentboxTls;
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
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Test fixture: a real agentboxd (gVisor, SQLite) in a temporary directory, with a Python template and a
 * warm pool of one, both named {@link #pool()}, and an SDK client for it. It serves HTTPS, as agentboxd does by
 * default: the client trusts its CA ({@link #caFile()}) and nothing else. Closing it stops the daemon (which
 * destroys its sandboxes) and fails if any runsc container is left.
 *
 * <pre>{@code
 * try (RealAgentboxd daemon = new RealAgentboxd("python");
 *      Sandbox sandbox = daemon.client().createSandbox(daemon.pool())) { ... }
 * }</pre>
 */
public final class RealAgentboxd implements AutoCloseable {
    private final String pool;
    private final Path stateDir;
    private final Agentboxd agentboxd;
    private final SandboxClient client;

    public RealAgentboxd(String pool) {
        this.pool = pool;
        try {
            stateDir = Files.createTempDirectory("agentbox-" + pool + "-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        agentboxd = Agentboxd.start(new AgentboxdConfig(stateDir, "127.0.0.1", 0).withStopSandboxesOnExit(true));
        client = SandboxClient.builder().endpoint(agentboxd.endpoint()).caFile(agentboxd.caFile()).token(agentboxd.adminToken()).build();
        for (HasMetadata r : Resources.parseAll(manifests(pool))) client.resources().apply(r);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> readyReplicas() >= 1);
    }

    /** A Python template on the built-in image and a warm pool of one, both named {@code name}. */
    public static String manifests(String name) {
        return """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: %1$s
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
                  name: %1$s
                spec:
                  replicas: 1
                  sandboxTemplateRef:
                    name: %1$s
                """.formatted(name);
    }

    private int readyReplicas() {
        Object status = client.resources().get(ResourceType.SANDBOX_WARM_POOL, pool).getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> m && m.get("readyReplicas") instanceof Number n ? n.intValue() : 0;
    }

    public String pool() {
        return pool;
    }

    public SandboxClient client() {
        return client;
    }

    public Agentboxd agentboxd() {
        return agentboxd;
    }

    /** {@code https://127.0.0.1:PORT} */
    public String endpoint() {
        return agentboxd.endpoint().toString();
    }

    /** agentboxd's CA certificate ({@code STATE_DIR/tls/ca.crt}), which the daemon's serving certificate chains to. */
    public Path caFile() {
        return agentboxd.caFile();
    }

    /** A TLS context that trusts {@link #caFile()} only, for a test's own HTTP client. */
    public SSLContext sslContext() {
        return AgentboxTls.trusting(caFile());
    }

    public String token() {
        return agentboxd.adminToken();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            agentboxd.close();
            try (var runtime = new GvisorRuntime(stateDir.resolve("runtime"))) {
                List<String> left = runtime.listContainers();
                if (!left.isEmpty()) throw new AssertionError("runsc containers left after agentboxd stopped: " + left);
            }
            try {
                dev.agentbox.runtime.internal.LocalImageStore.deleteTree(stateDir); // nothing runs from it any more
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the test's state directory " + stateDir, e);
            }
        }
    }
}
