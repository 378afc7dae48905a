package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.LoopbackRegistry;
import dev.agentbox.server.controller.SandboxController;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls when a sandbox starts (issue 13, item 1): in the background, shown in the Sandbox's (and its claim's) Ready
 * condition as the kubelet shows a pod's (ContainerCreating, ErrImagePull, ImagePullBackOff with a doubling back-off),
 * with the kubelet's Events; against real registries on loopback (Debian's docker-registry): an open one, one behind
 * HTTPS with htpasswd basic auth, and a closed port. Sandboxes are real gVisor sandboxes.
 */
class StartPullTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    static Path dir;

    static LoopbackRegistry open;
    static LoopbackRegistry privateRegistry;
    static String password;
    static Path dockerConfig;
    static Daemon daemon;
    /** Every Ready condition a Sandbox or claim was written with, in order: "kind/name reason: message". */
    static final List<String> readyHistory = new CopyOnWriteArrayList<>();
    static AutoCloseable watch;

    @BeforeAll
    static void start() throws Exception {
        open = new LoopbackRegistry(dir.resolve("registry"));
        open.pushBusybox("tools:1", "amd64", "one", Map.of());
        open.pushBusybox("tools:2", "amd64", "two", Map.of());
        open.pushBusybox("tools:3", "amd64", "three", Map.of());
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        password = HexFormat.of().formatHex(secret);
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        String htpasswd = "agent:" + OpenBSDBCrypt.generate(password.toCharArray(), salt, 6);
        privateRegistry = new LoopbackRegistry(dir.resolve("private-registry"), new LoopbackRegistry.Auth("agent", password, htpasswd));
        privateRegistry.pushBusybox("secret:1", "amd64", "private one", Map.of());
        privateRegistry.pushBusybox("secret:2", "amd64", "private two", Map.of());

        dockerConfig = dir.resolve("docker").resolve("config.json"); // absent until the credentials test writes it
        Path state = Files.createDirectories(dir.resolve("state"));
        Files.writeString(state.resolve("config.yaml"), "images:\n  dockerConfig: " + dockerConfig + "\n");
        daemon = new Daemon(state);
        watch = daemon.agentboxd.store().watch(e -> {
            if (!(e.object() instanceof Sandbox) && !(e.object() instanceof dev.agentbox.api.extensions.v1beta1.SandboxClaim)) return;
            JsonNode o = Daemon.JSON.valueToTree(e.object());
            JsonNode ready = ProbesTest.condition(o, "Ready");
            if (ready != null) readyHistory.add(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText() + " "
                    + ready.path("reason").asText() + ": " + ready.path("message").asText());
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (watch != null) watch.close();
        if (daemon != null) daemon.close();
        if (open != null) open.close();
        if (privateRegistry != null) privateRegistry.close();
    }

    static String sandboxYaml(String name, String image, String policy) {
        return """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: %s
                  namespace: default
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: %s
                        imagePullPolicy: %s
                """.formatted(name, image, policy);
    }

    /** As the warm pool and claim controllers create Sandboxes: straight into the store, with no admission (no pull at apply). */
    static void createDirectly(String yaml) throws Exception {
        daemon.agentboxd.store().create(YAML.readValue(yaml, Sandbox.class));
    }

    static List<String> history(String kindName) {
        return readyHistory.stream().filter(l -> l.startsWith(kindName + " ")).map(l -> l.substring(kindName.length() + 1)).toList();
    }

    static JsonNode ready(String plural, String name) {
        return ProbesTest.condition(daemon.get("default", plural, name), "Ready");
    }

    static void delete(String name) {
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/" + name, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.get("default", "sandboxes", name) == null);
    }

    /** The stdout of {@code argv} run in the sandbox (these images have no /bin/sh). */
    static String run(String sandbox, String... argv) throws Exception {
        Daemon.Response r = daemon.call("POST", "/api/v1/namespaces/default/sandboxes/" + sandbox + "/exec", Daemon.JSON.writeValueAsString(Map.of("command", List.of(argv))));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("stdout").asText();
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aStartWithPolicyAlwaysPullsInTheBackgroundShowingContainerCreatingThenReady() throws Exception {
        long manifestsBefore = open.requests("GET", "/v2/tools/manifests/1");
        daemon.createOk("default", sandboxYaml("always", open.host() + "/tools:1", "Always"));
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", "always")));
            List<String> seen = history("Sandbox/always");
            assertThat(seen).as("the start waited for its pull, saying so").anyMatch(l -> l.startsWith(SandboxController.REASON_CONTAINER_CREATING
                    + ": container main: ") && l.contains(open.host() + "/tools:1"))
                    .last().asString().startsWith("DependenciesReady");
            assertThat(open.requests("GET", "/v2/tools/manifests/1")).as("one pull at apply, one at the start (Always)").isEqualTo(manifestsBefore + 2);
            assertThat(EventsTest.event(daemon, "default", "Sandbox", "always", "Pulling").path("message").asText()).isEqualTo("Pulling image " + open.host() + "/tools:1");
            JsonNode pulled = EventsTest.event(daemon, "default", "Sandbox", "always", "Pulled");
            assertThat(pulled.path("type").asText()).isEqualTo("Normal");
            assertThat(pulled.path("message").asText()).startsWith("Successfully pulled image " + open.host() + "/tools:1 in ");
            assertThat(run("always", "/bin/busybox", "cat", "/marker")).isEqualTo("one");
        } finally {
            delete("always");
        }
    }

    @Test
    void twoSandboxesStartingWithTheSameMissingImagePullItOnce() throws Exception {
        String ref = open.host() + "/tools:3";
        long before = open.requests("GET", "/v2/tools/manifests/3");
        createDirectly(sandboxYaml("twin-a", ref, "IfNotPresent"));
        createDirectly(sandboxYaml("twin-b", ref, "IfNotPresent"));
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", "twin-a"))
                    && Daemon.ready(daemon.get("default", "sandboxes", "twin-b")));
            assertThat(open.requests("GET", "/v2/tools/manifests/3")).as("one pull for both").isEqualTo(before + 1);
            for (String name : List.of("twin-a", "twin-b")) {
                assertThat(EventsTest.event(daemon, "default", "Sandbox", name, "Pulled")).as(name).isNotNull();
                assertThat(run(name, "/bin/busybox", "cat", "/marker")).isEqualTo("three");
            }
        } finally {
            delete("twin-a");
            delete("twin-b");
        }
    }

    @Test
    void aMissingImageWithPolicyNeverIsNotPulledAndSaysHowToAddIt() throws Exception {
        String ref = open.host() + "/tools:never";
        long before = open.requests("GET", "/v2/tools/manifests/never");
        createDirectly(sandboxYaml("never", ref, "Never"));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> ready("sandboxes", "never") != null
                    && ready("sandboxes", "never").path("reason").asText().equals(SandboxController.REASON_ERR_IMAGE_NEVER_PULL));
            assertThat(ready("sandboxes", "never").path("message").asText()).contains("image " + ref + " is not in agentboxd's image store",
                    "imagePullPolicy is Never", "agentbox image pull " + ref, "agentbox image import " + ref);
            assertThat(open.requests("GET", "/v2/tools/manifests/never")).as("no registry asked").isEqualTo(before);
        } finally {
            delete("never");
        }
    }

    @Test
    void aMissingImageOnAnUnreachableRegistryGoesErrImagePullThenImagePullBackOffWithEvents() throws Exception {
        int port = closedPort();
        String ref = "127.0.0.1:" + port + "/gone:1";
        createDirectly(sandboxYaml("unreachable", ref, "IfNotPresent"));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> history("Sandbox/unreachable").stream().anyMatch(l -> l.startsWith("ImagePullBackOff")));
            // agentboxd answers while the sandbox waits: no request thread or worker waits on the registry
            assertThat(daemon.call("GET", "/healthz", null).status()).isEqualTo(200);
            List<String> seen = history("Sandbox/unreachable");
            String err = seen.stream().filter(l -> l.startsWith("ErrImagePull: ")).findFirst().orElseThrow();
            assertThat(err).contains("registry 127.0.0.1:" + port + " is unreachable", "agentbox image import");
            assertThat(seen.indexOf(err)).isLessThan(seen.indexOf(seen.stream().filter(l -> l.startsWith("ImagePullBackOff")).findFirst().orElseThrow()));
            assertThat(ready("sandboxes", "unreachable").path("message").asText()).contains("back-off pulling image " + ref, "(failure 1, back-off 10 s, next try at ");
            JsonNode failed = EventsTest.event(daemon, "default", "Sandbox", "unreachable", "Failed");
            assertThat(failed.path("type").asText()).isEqualTo("Warning");
            assertThat(failed.path("message").asText()).startsWith("Failed to pull image " + ref + ": registry 127.0.0.1:" + port + " is unreachable");
            assertThat(EventsTest.event(daemon, "default", "Sandbox", "unreachable", "BackOff").path("message").asText()).isEqualTo("Back-off pulling image " + ref);

            // the back-off ends, the pull is tried again, fails again, and the next back-off is twice as long
            await().atMost(Duration.ofSeconds(40)).until(() -> ready("sandboxes", "unreachable").path("message").asText().contains("(failure 2, back-off 20 s, next try at "));
            assertThat(EventsTest.event(daemon, "default", "Sandbox", "unreachable", "Failed").path("count").asInt()).isEqualTo(2);
        } finally {
            delete("unreachable");
        }
    }

    @Test
    void aClaimWhoseSandboxCannotPullShowsWhyAndGetsReadyWhenTheRegistryIsBack() throws Exception {
        String image = open.host() + "/tools:2";
        daemon.createOk("default", """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: pulled
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: %s
                        imagePullPolicy: Always
                """.formatted(image));
        daemon.createOk("default", """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: pulled
                spec:
                  replicas: 0
                  sandboxTemplateRef:
                    name: pulled
                """);
        open.stop(); // the template was applied (and pulled); then its registry went away
        try {
            daemon.createOk("default", Daemon.claim("waits", "pulled"));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode c = ready("sandboxclaims", "waits");
                return c != null && c.path("reason").asText().equals("ImagePullBackOff");
            });
            assertThat(ready("sandboxclaims", "waits").path("message").asText()).startsWith("Sandbox ").contains("back-off pulling image " + image,
                    "registry " + open.host() + " is unreachable");
            // (the claim may skip the Sandbox's short ErrImagePull: it mirrors the state it finds when it reconciles)
        } finally {
            open.start();
        }
        // the next try (within the first 10 s back-off) finds the registry again
        String sandbox = daemon.awaitClaimReady("default", "waits");
        assertThat(run(sandbox, "/bin/busybox", "cat", "/marker")).isEqualTo("two");
        daemon.call("DELETE", Daemon.EXT + "default/sandboxclaims/waits", null);
        daemon.call("DELETE", Daemon.EXT + "default/sandboxwarmpools/pulled", null);
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.get("default", "sandboxes", sandbox) == null);
    }

    @Test
    void anAuthRegistryRefusesAnAnonymousPullNamingItAndTheDockerConfigThenAnAuthsEntryLetsTheStartPull() throws Exception {
        String reg = privateRegistry.host();
        Daemon.Response anonymous = daemon.call("POST", "/api/v1/images", "{\"name\": \"" + reg + "/secret:1\", \"pull\": true}");
        assertThat(anonymous.status()).isEqualTo(200); // NDJSON: the error is its last line
        String last = anonymous.body().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(Daemon.JSON.readTree(last).path("error").path("message").asText()).contains("registry " + reg + " refused access to " + reg + "/secret:1",
                "HTTP 401", "an `auths` entry for " + reg + " in " + dockerConfig, "docker login " + reg, "images.dockerConfig");

        Files.createDirectories(dockerConfig.getParent());
        String auth = Base64.getEncoder().encodeToString(("agent:" + password).getBytes(StandardCharsets.UTF_8));
        Files.writeString(dockerConfig, "{\"auths\": {\"" + reg + "\": {\"auth\": \"" + auth + "\"}}}");
        createDirectly(sandboxYaml("private", reg + "/secret:2", "IfNotPresent"));
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", "private")));
            assertThat(history("Sandbox/private")).anyMatch(l -> l.startsWith("ContainerCreating: container main: ") && l.contains(reg + "/secret:2"));
            assertThat(run("private", "/bin/busybox", "cat", "/marker")).isEqualTo("private two");
            assertThat(privateRegistry.requests("GET", "/v2/secret/manifests/2")).as("the registry saw the pull").isPositive();
        } finally {
            delete("private");
        }
        String everything = String.join("\n", readyHistory) + EventsTest.events(daemon, "default") + anonymous.body();
        assertThat(everything).as("no condition, event or error shows the password").doesNotContain(password).doesNotContain(auth);
    }
}
