package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Test fixture: a real agentboxd (real gVisor, real SQLite) in a temporary state directory on a free
 * port, plus a small HTTP helper. Closing it stops the daemon and checks that no runsc container is left.
 */
public final class Daemon implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String EXT = "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/";
    public static final String AGENTS = "/apis/agents.x-k8s.io/v1beta1/namespaces/";
    public static final String PS = "/apis/podsnapshot.gke.io/v1/";

    /** A PodSnapshotStorageConfig named {@code local} that keeps images under {@code path}. */
    public static String localStorageConfig(java.nio.file.Path path) {
        return """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotStorageConfig
                metadata:
                  name: local
                spec:
                  snapshotStorageConfig:
                    local:
                      path: %s
                """.formatted(path);
    }

    public static final String TEMPLATE = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: python
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: python
                    image: agentbox/builtin
                    command: ["sleep", "infinity"]
                    resources:
                      limits:
                        memory: 256Mi
                        cpu: "1"
            """;

    public static String pool(String name, int replicas) {
        return """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: %s
                spec:
                  replicas: %d
                  sandboxTemplateRef:
                    name: python
                """.formatted(name, replicas);
    }

    public static String claim(String name, String pool) {
        return """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxClaim
                metadata:
                  name: %s
                spec:
                  warmPoolRef:
                    name: %s
                """.formatted(name, pool);
    }

    public record Response(int status, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + body, e);
            }
        }
    }

    public final Path stateDir;
    public final Agentboxd agentboxd;
    private final HttpClient http;
    public final String token;

    /** HTTPS, as agentboxd serves by default; {@link #call} trusts its CA only. */
    public Daemon() {
        this(tempDir());
    }

    /**
     * Plain HTTP, asked for explicitly ({@code --insecure-http}): for the tests that write raw HTTP/1.1 bytes on the
     * port (RawHttp, BoundedInputTest, ApiFuzzTest); TlsTest covers what differs over TLS.
     */
    public static Daemon plainHttp() {
        return new Daemon(tempDir(), true, false);
    }

    /** Stops its sandboxes when closed (tests leave nothing running). */
    public Daemon(Path stateDir) {
        this(stateDir, true);
    }

    /** @param stopSandboxesOnExit false: as `agentbox serve` by default, the sandboxes outlive {@link #close()} */
    public Daemon(Path stateDir, boolean stopSandboxesOnExit) {
        this(stateDir, stopSandboxesOnExit, true);
    }

    private Daemon(Path stateDir, boolean stopSandboxesOnExit, boolean tls) {
        this.stateDir = stateDir;
        this.agentboxd = Agentboxd.start(new AgentboxdConfig(stateDir, "127.0.0.1", 0).withStopSandboxesOnExit(stopSandboxesOnExit).withTls(tls));
        this.http = httpClient(agentboxd.caFile());
        this.token = agentboxd.adminToken();
    }

    /** A client for this daemon: trusting its CA only (HTTPS), or plain. */
    public HttpClient http() {
        return http;
    }

    /** An HTTP client that trusts exactly the CA in {@code caFile} (as the SDK does), or a plain one when it is null. */
    static HttpClient httpClient(Path caFile) {
        return caFile == null ? HttpClient.newHttpClient()
                : HttpClient.newBuilder().sslContext(dev.agentbox.client.AgentboxTls.trusting(caFile)).build();
    }

    /** With a router listener ({@code agentbox serve --router-listen}). */
    public Daemon(AgentboxdConfig.RouterListener router) {
        this.stateDir = tempDir();
        this.agentboxd = Agentboxd.start(new AgentboxdConfig(stateDir, "127.0.0.1", 0).withStopSandboxesOnExit(true).withRouter(router));
        this.token = agentboxd.adminToken();
        this.http = httpClient(agentboxd.caFile());
    }

    /** State directories of this test JVM: removed when it exits (tests read them after their daemon stopped). */
    private static final java.util.List<Path> TEMP_DIRS = new java.util.concurrent.CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path dir : TEMP_DIRS) {
                try {
                    dev.agentbox.runtime.internal.LocalImageStore.deleteTree(dir);
                } catch (IOException | RuntimeException e) {
                    System.err.println("cannot remove test state directory " + dir + ": " + e);
                }
            }
        }, "remove-test-state-dirs"));
    }

    static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("agentboxd-test");
            TEMP_DIRS.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response call(String method, String path, String body) {
        return call(method, path, body, token);
    }

    public Response call(String method, String path, String body, String bearer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(agentboxd.endpoint() + path)).timeout(Duration.ofMinutes(2));
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** POSTs a manifest to its kind's collection in {@code ns}; the plural comes from the kind. */
    public Response create(String ns, String yaml) {
        String kind = yaml.lines().filter(l -> l.startsWith("kind:")).findFirst().orElseThrow().substring(5).trim();
        String plural = kind.equals("Sandbox") ? "sandboxes" : kind.toLowerCase() + "s";
        return call("POST", (kind.equals("Sandbox") ? AGENTS : EXT) + ns + "/" + plural, yaml);
    }

    public Response createOk(String ns, String yaml) {
        Response r = create(ns, yaml);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r;
    }

    public JsonNode get(String ns, String plural, String name) {
        String base = plural.equals("sandboxes") ? AGENTS : EXT;
        Response r = call("GET", base + ns + "/" + plural + "/" + name, null);
        return r.status() == 200 ? r.json() : null;
    }

    public List<JsonNode> list(String ns, String plural) {
        String base = plural.equals("sandboxes") ? AGENTS : EXT;
        Response r = call("GET", base + ns + "/" + plural, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("items").forEach(out::add);
        return out;
    }

    public static boolean ready(JsonNode object) {
        if (object == null) return false;
        for (JsonNode c : object.path("status").path("conditions")) {
            if ("Ready".equals(c.path("type").asText())) return "True".equals(c.path("status").asText());
        }
        return false;
    }

    /** Waits until the claim is Ready and returns its sandbox's name. */
    public String awaitClaimReady(String ns, String claim) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> ready(get(ns, "sandboxclaims", claim)));
        return get(ns, "sandboxclaims", claim).path("status").path("sandbox").path("name").asText();
    }

    public void awaitPoolReady(String ns, String pool, int readyReplicas) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(ns, "sandboxwarmpools", pool).path("status").path("readyReplicas").asInt() == readyReplicas);
    }

    public Response exec(String ns, String sandbox, String shell) {
        try {
            return call("POST", "/api/v1/namespaces/" + ns + "/sandboxes/" + sandbox + "/exec",
                    JSON.writeValueAsString(java.util.Map.of("shell", shell)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        agentboxd.close();
        try (var runtime = new dev.agentbox.runtime.GvisorRuntime(stateDir.resolve("runtime"))) {
            assertThat(runtime.listContainers()).as("runsc containers left after agentboxd stopped").isEmpty();
        }
    }
}
