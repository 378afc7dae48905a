package dev.agentbox.server;

import static dev.agentbox.server.Daemon.claim;
import static dev.agentbox.server.Daemon.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST .../sandboxclaims?wait=Ready}: the claim is bound in its own request and the answer is the Ready claim,
 * on a real agentboxd with real gVisor sandboxes (one daemon for the class; the kill -9 case has its own process).
 */
class OneRoundTripClaimTest {
    static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        Path state = Daemon.tempDir();
        // the burst below holds 50 claimed sandboxes and a refilled pool at once: over the default of 50 per namespace
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace: {sandboxes: 120, warmPoolReplicas: 20}
                """);
        daemon = new Daemon(state);
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static String waitReady(String ns, long timeoutSeconds) {
        return Daemon.EXT + ns + "/sandboxclaims?wait=Ready&timeoutSeconds=" + timeoutSeconds;
    }

    static String sandboxOf(JsonNode claim) {
        return claim.path("status").path("sandbox").path("name").asText(null);
    }

    @Test
    void oneRoundTripClaimAnswersReadyBoundToAWarmPoolMember() {
        String ns = "rt-warm";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("py", 2));
        daemon.awaitPoolReady(ns, "py", 2);
        Set<String> members = WarmPoolAndClaimTest.names(daemon.list(ns, "sandboxes"));

        Daemon.Response r = daemon.call("POST", waitReady(ns, 30), claim("c1", "py"));

        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(Daemon.ready(r.json())).as("Ready in the answer itself: %s", r.body()).isTrue();
        String sandbox = sandboxOf(r.json());
        assertThat(members).contains(sandbox);
        JsonNode bound = daemon.get(ns, "sandboxes", sandbox);
        assertThat(bound.path("metadata").path("labels").has("agents.x-k8s.io/warm-pool-sandbox")).isFalse();
        assertThat(bound.path("metadata").path("ownerReferences")).hasSize(1);
        assertThat(bound.path("metadata").path("ownerReferences").get(0).path("uid").asText()).isEqualTo(r.json().path("metadata").path("uid").asText());
        assertThat(daemon.exec(ns, sandbox, "echo hi").json().path("stdout").asText()).isEqualTo("hi\n");
        // the bookkeeping after the answer: the assigned-sandbox annotation and the refill
        await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.equals(daemon.get(ns, "sandboxclaims", "c1")
                .path("metadata").path("annotations").path("agents.x-k8s.io/sandbox-name").asText()));
        daemon.awaitPoolReady(ns, "py", 2);
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxwarmpools/py", null);
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/c1", null);
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.list(ns, "sandboxes").isEmpty());
    }

    @Test
    void oneRoundTripClaimOnAnEmptyPoolWaitsForItsColdSandbox() {
        String ns = "rt-cold";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("empty", 0));

        // timeoutSeconds=0: bound in the request, answered at once, not Ready yet
        Daemon.Response quick = daemon.call("POST", waitReady(ns, 0), claim("now", "empty"));
        assertThat(quick.status()).as(quick.body()).isEqualTo(201);
        assertThat(sandboxOf(quick.json())).as("bound in the request: %s", quick.body()).isEqualTo("now");
        assertThat(Daemon.ready(quick.json())).isFalse();

        // a wait: the answer comes once the cold sandbox is Ready
        Daemon.Response waited = daemon.call("POST", waitReady(ns, 90), claim("later", "empty"));
        assertThat(waited.status()).as(waited.body()).isEqualTo(201);
        assertThat(Daemon.ready(waited.json())).as(waited.body()).isTrue();
        assertThat(sandboxOf(waited.json())).isEqualTo("later");
        assertThat(daemon.get(ns, "sandboxes", "later").path("metadata").path("labels").path("agents.x-k8s.io/launch-type").asText()).isEqualTo("cold");
        assertThat(daemon.exec(ns, "later", "echo cold").json().path("stdout").asText()).isEqualTo("cold\n");
        assertThat(daemon.awaitClaimReady(ns, "now")).isEqualTo("now");
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/now", null);
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/later", null);
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.list(ns, "sandboxes").isEmpty());
    }

    @Test
    void oneRoundTripClaimThatCannotBindAnswersNotReadyOnceTheTimeoutPasses() {
        String ns = "rt-missing";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("empty", 0));
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxtemplates/python", null); // nothing to start a cold sandbox from
        long t0 = System.nanoTime();
        Daemon.Response r = daemon.call("POST", waitReady(ns, 2), claim("orphan", "empty"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("held until timeoutSeconds").isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(Daemon.ready(r.json())).isFalse();
        assertThat(WarmPoolAndClaimTest.reason(r.json())).isEqualTo("DependenciesNotReady");
        assertThat(sandboxOf(r.json())).isNull();
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/orphan", null);
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxwarmpools/empty", null);
    }

    @Test
    void fiftyConcurrentOneRoundTripClaimsOnAPoolOfTenBindEachMemberAtMostOnce() throws Exception {
        String ns = "rt-burst";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("py", 10));
        daemon.awaitPoolReady(ns, "py", 10);
        Set<String> members = WarmPoolAndClaimTest.names(daemon.list(ns, "sandboxes"));

        List<Callable<JsonNode>> claims = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String name = "c" + i;
            claims.add(() -> {
                Daemon.Response r = daemon.call("POST", waitReady(ns, 110), claim(name, "py"));
                assertThat(r.status()).as(r.body()).isEqualTo(201);
                return r.json();
            });
        }
        Map<String, String> claimOf = new HashMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<JsonNode> f : pool.invokeAll(claims)) {
                JsonNode c = f.get();
                String sandbox = sandboxOf(c);
                assertThat(sandbox).as("bound in the request: %s", c).isNotNull();
                assertThat(Daemon.ready(c)).as("Ready when answered: %s", c).isTrue();
                String before = claimOf.put(sandbox, c.path("metadata").path("name").asText());
                assertThat(before).as("sandbox %s bound to two claims", sandbox).isNull();
            }
        }
        assertThat(claimOf).hasSize(50);
        assertThat(claimOf.keySet()).as("every ready member was taken").containsAll(members);
        for (var e : claimOf.entrySet()) {
            JsonNode s = daemon.get(ns, "sandboxes", e.getKey());
            JsonNode c = daemon.get(ns, "sandboxclaims", e.getValue());
            assertThat(s.path("metadata").path("ownerReferences")).hasSize(1);
            assertThat(s.path("metadata").path("ownerReferences").get(0).path("uid").asText()).isEqualTo(c.path("metadata").path("uid").asText());
        }
        // no claim owns a second sandbox (a double bind would leave one behind, owned by the claim)
        Map<String, Integer> owned = new HashMap<>();
        for (JsonNode s : daemon.list(ns, "sandboxes")) {
            for (JsonNode o : s.path("metadata").path("ownerReferences")) {
                if ("SandboxClaim".equals(o.path("kind").asText())) owned.merge(o.path("name").asText(), 1, Integer::sum);
            }
        }
        assertThat(owned).hasSize(50).allSatisfy((claim, n) -> assertThat(n).as(claim).isEqualTo(1));
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxwarmpools/py", null);
        for (int i = 0; i < 50; i++) daemon.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/c" + i, null);
        await().atMost(Duration.ofSeconds(120)).until(() -> daemon.list(ns, "sandboxes").isEmpty());
    }

    @Test
    void sdkCreateSandboxBindsAReadyWarmMemberAndRunsACommand() {
        String ns = "rt-sdk";
        daemon.createOk(ns, Daemon.TEMPLATE);
        daemon.createOk(ns, pool("py", 1));
        daemon.awaitPoolReady(ns, "py", 1);
        Set<String> members = WarmPoolAndClaimTest.names(daemon.list(ns, "sandboxes"));
        try (SandboxClient client = SandboxClient.builder().endpoint(daemon.agentboxd.endpoint().toString())
                .caFile(daemon.agentboxd.caFile()).token(daemon.token).namespace(ns).build();
             Sandbox s = client.createSandbox("py")) {
            assertThat(members).contains(s.name());
            assertThat(s.commands().run(List.of("echo", "warm")).stdout()).isEqualTo("warm\n");
        }
        daemon.call("DELETE", Daemon.EXT + ns + "/sandboxwarmpools/py", null);
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.list(ns, "sandboxes").isEmpty());
    }

    @Test
    void badWaitParametersAreRefusedNamingTheParameterAndCreateNothing() {
        String ns = "rt-bad";
        daemon.createOk(ns, Daemon.TEMPLATE);
        Daemon.Response forever = daemon.call("POST", Daemon.EXT + ns + "/sandboxclaims?wait=Forever", claim("a", "py"));
        assertThat(forever.status()).isEqualTo(400);
        assertThat(forever.body()).contains("wait=Forever").contains("wait=Ready");
        Daemon.Response tooLong = daemon.call("POST", waitReady(ns, 100_000), claim("b", "py"));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.body()).contains("timeoutSeconds").contains("300");
        Daemon.Response notANumber = daemon.call("POST", Daemon.EXT + ns + "/sandboxclaims?wait=Ready&timeoutSeconds=-1", claim("c", "py"));
        assertThat(notANumber.status()).isEqualTo(400);
        assertThat(notANumber.body()).contains("timeoutSeconds");
        Daemon.Response dryRun = daemon.call("POST", waitReady(ns, 5) + "&dryRun=All", claim("d", "py"));
        assertThat(dryRun.status()).isEqualTo(400);
        assertThat(dryRun.body()).contains("dryRun");
        Daemon.Response notAClaim = daemon.call("POST", Daemon.EXT + ns + "/sandboxwarmpools?wait=Ready", pool("p", 0));
        assertThat(notAClaim.status()).isEqualTo(400);
        assertThat(notAClaim.body()).contains("sandboxclaims");
        assertThat(daemon.list(ns, "sandboxclaims")).isEmpty();
        assertThat(daemon.list(ns, "sandboxwarmpools")).isEmpty();
    }

    /** The binding is in the store before the answer: a kill -9 right after it loses nothing, and the rest follows on restart. */
    @Test
    void killNineRightAfterAOneRoundTripAnswerLosesNoBinding() throws Exception {
        Path state = Daemon.tempDir();
        try {
            DaemonProcess first = new DaemonProcess(state);
            Map<String, String> bound = new HashMap<>();
            try {
                first.post(Daemon.EXT + "default/sandboxtemplates", Daemon.TEMPLATE);
                first.post(Daemon.EXT + "default/sandboxwarmpools", Daemon.pool("py", 3));
                await().atMost(Duration.ofSeconds(90)).until(() -> first.get(Daemon.EXT + "default/sandboxwarmpools/py").contains("\"readyReplicas\":3"));
                for (int i = 0; i < 3; i++) {
                    JsonNode c = Daemon.JSON.readTree(first.post(waitReady("default", 30), claim("k" + i, "py")));
                    assertThat(Daemon.ready(c)).as(c.toString()).isTrue();
                    bound.put("k" + i, sandboxOf(c));
                }
            } finally {
                first.killNine(); // at once after the last answer: its annotation, events and the refill may not have run
            }
            assertThat(new HashSet<>(bound.values())).hasSize(3);
            try (Daemon second = new Daemon(state)) {
                for (var e : bound.entrySet()) {
                    assertThat(second.awaitClaimReady("default", e.getKey())).isEqualTo(e.getValue());
                    JsonNode s = second.get("default", "sandboxes", e.getValue());
                    assertThat(s.path("metadata").path("labels").has("agents.x-k8s.io/warm-pool-sandbox")).isFalse();
                    assertThat(s.path("metadata").path("ownerReferences")).hasSize(1);
                    assertThat(s.path("metadata").path("ownerReferences").get(0).path("name").asText()).isEqualTo(e.getKey());
                    await().atMost(Duration.ofSeconds(30)).until(() -> e.getValue().equals(second.get("default", "sandboxclaims", e.getKey())
                            .path("metadata").path("annotations").path("agents.x-k8s.io/sandbox-name").asText()));
                }
                second.awaitPoolReady("default", "py", 3);
                Set<String> pool = WarmPoolAndClaimTest.names(second.list("default", "sandboxes"));
                pool.removeAll(bound.values());
                assertThat(pool).as("the refilled pool holds none of the bound sandboxes").hasSize(3);
                await().atMost(Duration.ofSeconds(30)).until(second.agentboxd::idle);
                SurvivesRestartTest.assertOneContainerPerObject(second);
            }
        } finally {
            SurvivesRestartTest.stopLeftovers(state);
        }
    }
}
