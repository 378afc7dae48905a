package dev.agentbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.LoopbackRegistry;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `agentbox image pull` and pulls at apply, against a real agentboxd and a real registry on loopback (Debian's
 * docker-registry) holding busybox-static images the test pushed; a sandbox then runs from the pulled image in gVisor.
 */
class ImagePullEndToEndTest {
    @TempDir
    static Path dir;

    static Agentboxd daemon;
    static LoopbackRegistry registry;
    static String reg;

    record Run(int code, String out, String err) {}

    @BeforeAll
    static void start() throws Exception {
        registry = new LoopbackRegistry(dir.resolve("registry"));
        reg = registry.host();
        registry.pushBusybox("tools:1", "amd64", "one", Map.of());
        registry.pushBusybox("tools:2", "amd64", "two", Map.of("FROM_IMAGE", "two"));
        registry.pushBusybox("tools:3", "amd64", "three", Map.of());
        registry.pushBusybox("tools:4", "amd64", "four", Map.of());
        daemon = Agentboxd.start(new AgentboxdConfig(dir.resolve("state"), "127.0.0.1", 0).withStopSandboxesOnExit(true));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) daemon.close();
        if (registry != null) registry.close();
    }

    static Run agentbox(String... args) {
        List<String> all = new ArrayList<>(List.of("--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(), "--token", daemon.adminToken()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true), new ByteArrayInputStream(new byte[0]));
        return new Run(code, out.toString(), err.toString());
    }

    static Path sandbox(String name, String image, String policy) throws Exception {
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: %s
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: %s
                        imagePullPolicy: %s
                """.formatted(name, image, policy));
        return f;
    }

    @Test
    void imagePullShowsProgressAndTheImageIsThenListed() {
        Run pulled = agentbox("image", "pull", reg + "/tools:1");
        assertThat(pulled.code()).as(pulled.err()).isZero();
        assertThat(pulled.out()).contains("pulling " + reg + "/tools:1 from " + reg, "0%", "extracting", "pulled " + reg + "/tools:1 (sha256:");
        assertThat(agentbox("image", "list").out()).contains(reg + "/tools:1");

        Run again = agentbox("image", "pull", "--policy", "IfNotPresent", reg + "/tools:1");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo("image/" + reg + "/tools:1 is present (policy IfNotPresent)\n");

        Run always = agentbox("image", "pull", reg + "/tools:1");
        assertThat(always.code()).as(always.err()).isZero();
        assertThat(always.out()).contains("image " + reg + "/tools:1 is up to date (sha256:").doesNotContain("extracting");
    }

    @Test
    void applyPullsAMissingImageAndTheSandboxRunsFromIt() throws Exception {
        Run applied = agentbox("apply", "-f", sandbox("pulled-at-apply", reg + "/tools:2", "IfNotPresent").toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        // the pull's progress, streamed by agentboxd while it pulls, on stderr; the object's line on stdout
        assertThat(applied.err()).contains("pulling " + reg + "/tools:2 from " + reg, "0%", "extracting", "pulled " + reg + "/tools:2 (sha256:");
        assertThat(applied.out()).isEqualTo("sandbox.agents.x-k8s.io/pulled-at-apply created\n");
        try {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> daemon.store().get(Sandbox.class, "default", "pulled-at-apply")
                    .map(s -> s.getStatus() != null && s.getStatus().getConditions() != null
                            && s.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")))
                    .orElse(false));
            Run marker = agentbox("exec", "pulled-at-apply", "--", "/bin/busybox", "cat", "/marker");
            assertThat(marker.code()).as(marker.err()).isZero();
            assertThat(marker.out()).isEqualTo("two");
            // the main process is the image's ENTRYPOINT
            assertThat(agentbox("exec", "pulled-at-apply", "--", "/bin/busybox", "ps").out()).contains("/bin/busybox sleep 3600");
        } finally {
            agentbox("delete", "sandbox", "pulled-at-apply");
        }
    }

    @Test
    void claimWaitShowsThatItsSandboxCannotPullItsImage() throws Exception {
        Path manifests = dir.resolve("always-pool.yaml");
        Files.writeString(manifests, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: always
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: %s/tools:3
                        imagePullPolicy: Always
                ---
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: always
                spec:
                  replicas: 0
                  sandboxTemplateRef:
                    name: always
                """.formatted(reg));
        Run applied = agentbox("apply", "-f", manifests.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        registry.stop(); // applied and pulled; then the registry goes away, and a start pulls again (Always)
        try {
            Run claimed = agentbox("claim", "always", "--wait", "--name", "always-c", "--timeout", "15s");
            assertThat(claimed.code()).isNotZero();
            assertThat(claimed.err()).contains("claim always-c: ImagePullBackOff: Sandbox ", "back-off pulling image " + reg + "/tools:3",
                    "registry " + reg + " is unreachable");
        } finally {
            registry.start();
            agentbox("delete", "sandboxclaim", "always-c");
            agentbox("delete", "sandboxwarmpool", "always");
            agentbox("delete", "sandboxtemplate", "always");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> daemon.store().list(Sandbox.class, "default").stream()
                .noneMatch(s -> s.getMetadata().getName().startsWith("always")));
    }

    @Test
    void aNamespaceTokenThatMayNotPullStillAppliesAndAdmissionPulls() throws Exception {
        var http = java.net.http.HttpClient.newBuilder().sslContext(dev.agentbox.client.AgentboxTls.trusting(daemon.caFile())).build();
        var created = http.send(java.net.http.HttpRequest.newBuilder(daemon.endpoint().resolve("/api/v1/tokens"))
                .header("Authorization", "Bearer " + daemon.adminToken())
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"team-pull\",\"namespaces\":[\"team-pull\"]}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String scoped = new com.fasterxml.jackson.databind.ObjectMapper().readTree(created.body()).path("token").asText();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(), "--token", scoped,
                "-n", "team-pull", "apply", "-f", sandbox("scoped-pull", reg + "/tools:4", "IfNotPresent").toString()},
                new PrintWriter(out, true), new PrintWriter(err, true), new ByteArrayInputStream(new byte[0]));
        assertThat(code).as(err.toString()).isZero();
        assertThat(err.toString()).as("no progress (the token may not pull), admission's line instead")
                .doesNotContain("pulling " + reg + "/tools:4 from").contains("pulled " + reg + "/tools:4 from its registry");
        assertThat(out.toString()).isEqualTo("sandbox.agents.x-k8s.io/scoped-pull created\n");
        agentbox("-n", "team-pull", "delete", "sandbox", "scoped-pull");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> daemon.store().get(Sandbox.class, "team-pull", "scoped-pull").isEmpty());
    }

    @Test
    void neverRefusesAnAbsentImageAtApplyNamingTheField() throws Exception {
        Run applied = agentbox("apply", "-f", sandbox("never-pulled", reg + "/tools:absent", "Never").toString());
        assertThat(applied.code()).isNotZero();
        assertThat(applied.err()).contains("spec.podTemplate.spec.containers[0].image", "imagePullPolicy is Never", "agentbox image pull " + reg + "/tools:absent");
        assertThat(daemon.store().get(Sandbox.class, "default", "never-pulled")).isEmpty();
    }

    @Test
    void aBadPullPolicyIsRefusedNamingTheField() throws Exception {
        Run applied = agentbox("apply", "-f", sandbox("bad-policy", reg + "/tools:1", "Sometimes").toString());
        assertThat(applied.code()).isNotZero();
        assertThat(applied.err()).contains("spec.podTemplate.spec.containers[0].imagePullPolicy", "IfNotPresent, Always or Never");
    }

    @Test
    void applyNamingAnUnreachableRegistryFailsNamingTheFieldAndTheRegistry() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Run applied = agentbox("apply", "-f", sandbox("unreachable-at-apply", "127.0.0.1:" + closed + "/gone:1", "IfNotPresent").toString());
        assertThat(applied.code()).isNotZero();
        assertThat(applied.err()).contains("error: sandbox/unreachable-at-apply: spec.podTemplate.spec.containers[0].image: registry 127.0.0.1:" + closed + " is unreachable");
        assertThat(daemon.store().get(Sandbox.class, "default", "unreachable-at-apply")).isEmpty();
    }

    @Test
    void imagePullPrintsProgressWhileThePullIsStillRunning() throws Exception {
        // a registry that accepts connections and never answers: the pull cannot end before the test lets it
        try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) held.add(silent.accept());
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            String ref = "127.0.0.1:" + silent.getLocalPort() + "/silent:1";
            StringWriter out = new StringWriter();
            java.util.concurrent.CompletableFuture<Integer> code = java.util.concurrent.CompletableFuture.supplyAsync(() -> Main.execute(
                    new String[] {"--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(), "--token", daemon.adminToken(), "image", "pull", ref},
                    new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), new ByteArrayInputStream(new byte[0])));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> out.toString().contains("pulling " + ref + " from "));
            assertThat(code).as("the line came while agentboxd was still pulling").isNotDone();
            silent.close();
            for (java.net.Socket s : held) s.close();
            assertThat(code.get(120, java.util.concurrent.TimeUnit.SECONDS)).isNotZero();
            acceptor.join(5_000);
        }
    }

    @Test
    void unreachableRegistryFailsThePullNamingIt() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Run pulled = agentbox("image", "pull", "127.0.0.1:" + closed + "/gone:1");
        assertThat(pulled.code()).isNotZero();
        assertThat(pulled.err()).contains("registry 127.0.0.1:" + closed + " is unreachable");
    }
}
