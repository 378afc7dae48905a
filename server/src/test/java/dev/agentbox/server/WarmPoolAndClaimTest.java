package dev.agentbox.server;

import static dev.agentbox.server.Daemon.claim;
import static dev.agentbox.server.Daemon.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Warm pools, claims and their sandboxes on a real agentboxd with real gVisor sandboxes. */
class WarmPoolAndClaimTest {
    static Daemon daemon;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    @Test
    void claimBindsAReadyWarmPoolMemberAndThePoolRefills() {
        String ns = "warm";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("py", 3));
        daemon.awaitPoolReady(ns, "py", 3);
        Set<String> membersBefore = names(daemon.list(ns, "sandboxes"));

        daemon.createOk(ns, claim("c1", "py"));
        String sandbox = daemon.awaitClaimReady(ns, "c1");

        assertThat(membersBefore).contains(sandbox);
        JsonNode bound = daemon.get(ns, "sandboxes", sandbox);
        assertThat(bound.path("metadata").path("labels").has("agents.x-k8s.io/warm-pool-sandbox")).isFalse();
        assertThat(bound.path("metadata").path("ownerReferences").get(0).path("kind").asText()).isEqualTo("SandboxClaim");
        Daemon.Response out = daemon.exec(ns, sandbox, "python3 -c 'print(6*7)'");
        assertThat(out.json().path("stdout").asText()).isEqualTo("42\n");

        daemon.awaitPoolReady(ns, "py", 3); // refilled with a new member
        assertThat(daemon.list(ns, "sandboxes")).hasSize(4);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(daemon.call("GET", "/metrics", null, null).body())
                .containsPattern("agentbox_claim_startup_seconds_count\\{path=\"warm\"\\} [1-9]")
                .containsPattern("agentbox_exec_duration_seconds_count [1-9]")
                .containsPattern("agentbox_sandboxes\\{state=\"Ready\"\\} [1-9]"));

        assertThat(daemon.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/c1", null).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.get(ns, "sandboxes", sandbox) == null);
    }

    @Test
    void twentyConcurrentClaimsOnAPoolOfFiveEachGetTheirOwnSandbox() throws Exception {
        String ns = "burst";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("py", 5));
        daemon.awaitPoolReady(ns, "py", 5);

        List<Callable<String>> claims = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String name = "c" + i;
            claims.add(() -> {
                daemon.createOk(ns, claim(name, "py"));
                String sandbox = daemon.awaitClaimReady(ns, name);
                Daemon.Response r = daemon.exec(ns, sandbox, "echo " + name + " > /tmp/owner; cat /tmp/owner");
                assertThat(r.json().path("stdout").asText()).isEqualTo(name + "\n");
                return sandbox;
            });
        }
        Set<String> sandboxes = new HashSet<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<String> f : pool.invokeAll(claims)) sandboxes.add(f.get());
        }
        assertThat(sandboxes).as("every claim has its own sandbox").hasSize(20);
        for (int i = 0; i < 20; i++) {
            JsonNode c = daemon.get(ns, "sandboxclaims", "c" + i);
            String sandbox = c.path("status").path("sandbox").path("name").asText();
            List<JsonNode> owners = new ArrayList<>();
            daemon.get(ns, "sandboxes", sandbox).path("metadata").path("ownerReferences").forEach(owners::add);
            assertThat(owners).hasSize(1);
            assertThat(owners.get(0).path("uid").asText()).isEqualTo(c.path("metadata").path("uid").asText());
        }
        for (int i = 0; i < 20; i++) daemon.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/c" + i, null);
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxwarmpools/py", null);
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.list(ns, "sandboxes").isEmpty());
    }

    @Test
    void claimWithEnvIsColdStartedWithTheEnvInjected() {
        String ns = "cold";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("py", 1));
        daemon.createOk(ns, claim("with-env", "py") + """
                  env:
                  - name: GREETING
                    value: hello
                """);
        String sandbox = daemon.awaitClaimReady(ns, "with-env");
        assertThat(sandbox).isEqualTo("with-env");
        assertThat(daemon.get(ns, "sandboxes", sandbox).path("metadata").path("labels").path("agents.x-k8s.io/launch-type").asText()).isNotEqualTo("warm");
        assertThat(daemon.exec(ns, sandbox, "echo $GREETING").json().path("stdout").asText()).contains("hello");
    }

    @Test
    void sandboxShutdownTimeWithDeletePolicyDeletesIt() {
        String ns = "expiry";
        String at = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(3).withNano(0).toString();
        daemon.createOk(ns, """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: short-lived
                spec:
                  shutdownTime: "%s"
                  shutdownPolicy: Delete
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """.formatted(at));
        await().atMost(Duration.ofSeconds(30)).until(() -> Daemon.ready(daemon.get(ns, "sandboxes", "short-lived")));
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.get(ns, "sandboxes", "short-lived") == null);
    }

    @Test
    void suspendedSandboxIsStoppedAndReportsSandboxSuspended() {
        String ns = "suspend";
        String manifest = """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: pausable
                spec:
                  operatingMode: %s
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """;
        daemon.createOk(ns, manifest.formatted("Running"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Daemon.ready(daemon.get(ns, "sandboxes", "pausable")));
        assertThat(daemon.call("PUT", Daemon.AGENTS + ns + "/sandboxes/pausable", manifest.formatted("Suspended")).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> reason(daemon.get(ns, "sandboxes", "pausable")).equals("SandboxSuspended"));
        assertThat(daemon.exec(ns, "pausable", "true").status()).isEqualTo(409);
        daemon.call("DELETE", Daemon.AGENTS + ns + "/sandboxes/pausable", null);
    }

    static String reason(JsonNode o) {
        for (JsonNode c : o.path("status").path("conditions")) if ("Ready".equals(c.path("type").asText())) return c.path("reason").asText();
        return "";
    }

    static Set<String> names(List<JsonNode> objects) {
        Set<String> out = new HashSet<>();
        objects.forEach(o -> out.add(o.path("metadata").path("name").asText()));
        return out;
    }
}
