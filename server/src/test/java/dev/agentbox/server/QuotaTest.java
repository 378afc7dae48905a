package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.agentbox.api.Resources;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.runtime.GvisorRuntime;
import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.server.controller.PoolActivity;
import dev.agentbox.server.controller.WarmPoolController;
import dev.agentbox.server.controller.WorkQueue;
import dev.agentbox.server.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** No tenant exhausts the daemon: quotas on sandboxes, pool replicas and snapshots, and nothing left running without its owner. */
class QuotaTest {
    static final String PS = Daemon.PS;

    static JsonNode condition(JsonNode o, String type) {
        if (o == null) return null;
        for (JsonNode c : o.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c;
        return null;
    }

    @Test
    void poolReplicasOverQuotaAreRefused() throws Exception {
        try (Daemon d = new Daemon()) {
            d.createOk("default", Daemon.TEMPLATE);
            Daemon.Response r = d.create("default", Daemon.pool("huge", 1_000_000));
            assertThat(r.status()).as(r.body()).isEqualTo(403);
            assertThat(r.json().path("reason").asText()).isEqualTo("Forbidden");
            assertThat(r.json().path("message").asText()).startsWith("exceeded quota: ").contains("warmPoolReplicas", "1000000", "config.yaml");
            assertThat(d.list("default", "sandboxwarmpools")).isEmpty();

            // raising replicas of an existing pool over the quota with a PUT is refused too
            d.createOk("default", Daemon.pool("small", 0));
            JsonNode pool = d.get("default", "sandboxwarmpools", "small");
            ((com.fasterxml.jackson.databind.node.ObjectNode) pool.path("spec")).put("replicas", 1_000_000);
            ((com.fasterxml.jackson.databind.node.ObjectNode) pool.path("metadata")).remove("resourceVersion"); // the controller writes its status meanwhile
            Daemon.Response put = d.call("PUT", Daemon.EXT + "default/sandboxwarmpools/small", Daemon.JSON.writeValueAsString(pool));
            assertThat(put.status()).as(put.body()).isEqualTo(403);
            assertThat(d.get("default", "sandboxwarmpools", "small").path("spec").path("replicas").asInt()).isZero();
        }
    }

    @Test
    void sandboxesAndSnapshotsOverQuotaAreRefusedAndTheOwnerSaysWhy() throws Exception {
        Path state = Daemon.tempDir();
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace:
                    sandboxes: 2
                    snapshots: 1
                """);
        try (Daemon d = new Daemon(state)) {
            d.createOk("default", Daemon.TEMPLATE.replace("    spec:\n      containers:", "    metadata:\n      labels:\n        app: q\n    spec:\n      containers:"));
            d.createOk("default", Daemon.pool("py", 3));
            // the pool gets 2 members, and a condition says why not 3
            await().atMost(Duration.ofSeconds(60)).until(() -> condition(d.get("default", "sandboxwarmpools", "py"), "ReplicaFailure") != null);
            JsonNode failure = condition(d.get("default", "sandboxwarmpools", "py"), "ReplicaFailure");
            assertThat(failure.path("status").asText()).isEqualTo("True");
            assertThat(failure.path("message").asText()).contains("exceeded quota", "sandboxes", "used 2, limit 2");
            d.awaitPoolReady("default", "py", 2);
            assertThat(d.list("default", "sandboxes")).hasSize(2);

            // a client's Sandbox over the quota: 403
            Daemon.Response r = d.create("default", """
                    apiVersion: agents.x-k8s.io/v1beta1
                    kind: Sandbox
                    metadata:
                      name: extra
                    spec:
                      podTemplate:
                        spec:
                          containers:
                          - name: main
                            image: agentbox/builtin
                            command: ["sleep", "infinity"]
                    """);
            assertThat(r.status()).as(r.body()).isEqualTo(403);
            assertThat(r.json().path("message").asText()).startsWith("exceeded quota: ").contains("perNamespace.sandboxes");

            // a claim that must cold-start (it sets env) cannot: its Ready condition says so
            d.createOk("default", Daemon.claim("cold", "py") + "  env:\n  - name: X\n    value: \"1\"\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode ready = condition(d.get("default", "sandboxclaims", "cold"), "Ready");
                return ready != null && ready.path("message").asText().contains("exceeded quota");
            });

            // one snapshot allowed: the second trigger fails with the quota in its condition
            assertThat(d.call("POST", PS + "podsnapshotstorageconfigs", Daemon.localStorageConfig(Files.createTempDirectory("quota-snapshots"))).status()).isEqualTo(201);
            assertThat(d.call("POST", PS + "namespaces/default/podsnapshotpolicies", """
                    apiVersion: podsnapshot.gke.io/v1
                    kind: PodSnapshotPolicy
                    metadata:
                      name: q
                    spec:
                      storageConfigName: local
                      selector:
                        matchLabels:
                          app: q
                      triggerConfig:
                        type: manual
                    """).status()).isEqualTo(201);
            String member = d.list("default", "sandboxes").get(0).path("metadata").path("name").asText();
            for (String t : new String[] {"t1", "t2"}) {
                assertThat(d.call("POST", PS + "namespaces/default/podsnapshotmanualtriggers", """
                        apiVersion: podsnapshot.gke.io/v1
                        kind: PodSnapshotManualTrigger
                        metadata:
                          name: %s
                        spec:
                          targetPod: %s
                        """.formatted(t, member)).status()).isEqualTo(201);
                await().atMost(Duration.ofSeconds(60)).until(() -> condition(
                        d.call("GET", PS + "namespaces/default/podsnapshotmanualtriggers/" + t, null).json(), "Triggered") != null);
            }
            JsonNode t2 = condition(d.call("GET", PS + "namespaces/default/podsnapshotmanualtriggers/t2", null).json(), "Triggered");
            assertThat(t2.path("reason").asText()).isEqualTo("Failed");
            assertThat(t2.path("message").asText()).contains("exceeded quota", "perNamespace.snapshots", "used 1, limit 1");
            assertThat(d.call("GET", PS + "namespaces/default/podsnapshots", null).json().path("items").size()).isEqualTo(1);
            d.call("DELETE", Daemon.EXT + "default/sandboxclaims/cold", null);
            d.call("DELETE", Daemon.EXT + "default/sandboxwarmpools/py", null);
            await().atMost(Duration.ofSeconds(30)).until(() -> d.list("default", "sandboxes").isEmpty());
        }
    }

    @Test
    void deletedPoolCreatesNoMoreMembers() throws Exception {
        // the pool controller alone on a store (no runtime, no quota): a pool of many replicas is deleted while it fills
        Path dir = Daemon.tempDir();
        ObjectMapper mapper = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try (Store store = new Store(dir.resolve("state.db"), mapper)) {
            store.create(Resources.parse(Daemon.TEMPLATE, SandboxTemplate.class));
            SandboxWarmPool pool = store.create(Resources.parse(Daemon.pool("many", 3000), SandboxWarmPool.class));
            try (WorkQueue queue = new WorkQueue(new WarmPoolController(store, new PoolActivity(Clock.systemUTC())), 2)) {
                queue.enqueue(ObjectKey.of(pool));
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> store.list(Sandbox.class, "default").size() >= 5);
                store.delete(SandboxWarmPool.class, "default", "many");
                int atDelete = store.list(Sandbox.class, "default").size();
                await().atMost(Duration.ofMinutes(5)).until(queue::idle);
                assertThat(store.list(Sandbox.class, "default").size())
                        .as("members created after the pool was deleted (%d existed then)", atDelete).isLessThanOrEqualTo(atDelete + 1);
            }
        }
    }

    @Test
    void orphanedSandboxesAreCollectedAfterAKillDuringCascade() throws Exception {
        Path state = Daemon.tempDir();
        DaemonProcess first = new DaemonProcess(state);
        try {
            first.post(Daemon.EXT + "default/sandboxtemplates", Daemon.TEMPLATE);
            first.post(Daemon.EXT + "default/sandboxwarmpools", Daemon.pool("py", 2));
            await().atMost(Duration.ofSeconds(60)).until(() -> first.get(Daemon.EXT + "default/sandboxwarmpools/py").contains("\"readyReplicas\":2"));
        } finally {
            first.killNine();
        }
        // as if agentboxd was killed right after the pool's deletion committed, before the cascade deleted its members
        ObjectMapper mapper = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try (Store store = new Store(state.resolve("state.db"), mapper)) {
            assertThat(store.delete(SandboxWarmPool.class, "default", "py")).isPresent();
            assertThat(store.list(Sandbox.class, "default")).hasSize(2);
        }
        try (Daemon second = new Daemon(state)) {
            await().atMost(Duration.ofSeconds(40)).until(() -> second.list("default", "sandboxes").isEmpty());
            await().atMost(Duration.ofSeconds(30)).until(second.agentboxd::idle);
            try (GvisorRuntime runtime = new GvisorRuntime(state.resolve("runtime"))) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(runtime.listContainers()).as("no orphan runs").isEmpty());
                assertThat(runtime.listAttachable()).as("no orphan's shim is left").isEmpty();
            }
        }
    }
}
