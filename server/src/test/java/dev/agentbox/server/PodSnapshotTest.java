package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pod snapshots through agentboxd on real gVisor: trigger, restore (matching and pinned), suspend/resume, retention. */
class PodSnapshotTest {
    static final String PS = Daemon.PS;
    static Daemon d;
    static Path storage;

    static String sandbox(String name, String extraMeta) {
        return """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: %s
                  labels:
                    app: counter
                %s
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.1; done"]
                """.formatted(name, extraMeta);
    }

    @BeforeAll
    static void start() throws Exception {
        d = new Daemon();
        storage = Files.createTempDirectory("snapshots");
        assertThat(d.call("POST", PS + "podsnapshotstorageconfigs", Daemon.localStorageConfig(storage)).status()).isEqualTo(201);
        assertThat(d.call("POST", PS + "namespaces/default/podsnapshotpolicies", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotPolicy
                metadata:
                  name: counter
                spec:
                  storageConfigName: local
                  selector:
                    matchLabels:
                      app: counter
                  triggerConfig:
                    type: manual
                    postCheckpoint: resume
                  snapshotGroupingRules:
                    groupByLabelValue:
                      labels: ["app"]
                      groupRetentionPolicy:
                        maxSnapshotCountPerGroup: 2
                """).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (d != null) d.close();
    }

    static JsonNode obj(String plural, String name) {
        Daemon.Response r = d.call("GET", PS + "namespaces/default/" + plural + "/" + name, null);
        return r.status() == 200 ? r.json() : null;
    }

    static String condition(JsonNode o, String type, String field) {
        if (o == null) return null;
        for (JsonNode c : o.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c.path(field).asText();
        return null;
    }

    /** The counter file is rewritten with `echo > file`, which truncates first: retry an empty read. */
    static final String READ_COUNTER = "for i in $(seq 500); do v=$(cat /tmp/counter 2>/dev/null); [ -n \"$v\" ] && break; done; echo $v";

    static long counter(String sandbox) {
        return Long.parseLong(d.exec("default", sandbox, READ_COUNTER).json().path("stdout").asText().strip());
    }

    static String trigger(String name, String target) {
        assertThat(d.call("POST", PS + "namespaces/default/podsnapshotmanualtriggers", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotManualTrigger
                metadata:
                  name: %s
                spec:
                  targetPod: %s
                """.formatted(name, target)).status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(60)).until(() -> condition(obj("podsnapshotmanualtriggers", name), "Triggered", "reason") != null);
        return obj("podsnapshotmanualtriggers", name).path("status").path("snapshotCreated").path("name").asText(null);
    }

    @Test
    void storageConfigIsClusterScopedAndAdminOnly() {
        Daemon.Response r = d.call("GET", PS + "podsnapshotstorageconfigs/local", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("metadata").has("namespace")).isFalse();
        String scoped = d.call("POST", "/api/v1/tokens", "{\"name\":\"t1\",\"namespaces\":[\"default\"]}").json().path("token").asText();
        assertThat(d.call("GET", PS + "podsnapshotstorageconfigs/local", null, scoped).status()).isEqualTo(403);
    }

    @Test
    void triggerSnapshotsASandboxAndANewSandboxRestoresFromItAndGoesOnCounting() {
        d.createOk("default", sandbox("src", ""));
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get("default", "sandboxes", "src")));
        await().atMost(Duration.ofSeconds(20)).until(() -> counter("src") >= 10);
        d.exec("default", "src", "echo kept > /tmp/file.txt");
        long before = counter("src");
        String snap = trigger("t1", "src");
        assertThat(snap).isNotNull();
        assertThat(condition(obj("podsnapshotmanualtriggers", "t1"), "Triggered", "reason")).isEqualTo("Complete");
        JsonNode ps = obj("podsnapshots", snap);
        assertThat(condition(ps, "Ready", "status")).isEqualTo("True");
        Path image = Path.of(ps.path("status").path("storageStatus").path("local").path("observedPath").asText());
        assertThat(image).startsWith(storage).isDirectory();
        assertThat(ps.path("status").path("sizeBytes").asLong()).isPositive();

        d.createOk("default", sandbox("copy", ""));
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get("default", "sandboxes", "copy")));
        assertThat(condition(d.get("default", "sandboxes", "copy"), "PodRestored", "message")).contains(snap);
        assertThat(counter("copy")).as("goes on from the snapshot, not from 0").isGreaterThanOrEqualTo(before);
        assertThat(d.exec("default", "copy", "cat /tmp/file.txt").json().path("stdout").asText()).isEqualTo("kept\n");

        // a pinned snapshot that does not exist: cold start, and a condition says so
        d.createOk("default", sandbox("pinned", "  annotations:\n    podsnapshot.gke.io/ps-name: no-such-snapshot"));
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get("default", "sandboxes", "pinned")));
        assertThat(condition(d.get("default", "sandboxes", "pinned"), "PodRestored", "reason")).isEqualTo("RestoreFailed");
        assertThat(condition(d.get("default", "sandboxes", "pinned"), "PodRestored", "message")).contains("no-such-snapshot", "cold");

        // a trigger for a missing sandbox fails with a message
        trigger("t-missing", "nobody");
        assertThat(condition(obj("podsnapshotmanualtriggers", "t-missing"), "Triggered", "reason")).isEqualTo("Failed");

        // retention: at most 2 per group; deleting a snapshot deletes its files
        trigger("t2", "src");
        trigger("t3", "src");
        await().atMost(Duration.ofSeconds(20)).until(() -> d.call("GET", PS + "namespaces/default/podsnapshots", null).json().path("items").size() == 2);
        assertThat(image).as("the oldest snapshot was pruned with its files").doesNotExist();
        String newest = obj("podsnapshotmanualtriggers", "t3").path("status").path("snapshotCreated").path("name").asText();
        Path newestImage = Path.of(obj("podsnapshots", newest).path("status").path("storageStatus").path("local").path("observedPath").asText());
        assertThat(d.call("DELETE", PS + "namespaces/default/podsnapshots/" + newest, null).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(newestImage));
        for (String s : new String[] {"src", "copy", "pinned"}) d.call("DELETE", Daemon.AGENTS + "default/sandboxes/" + s, null);
    }

    @Test
    void suspendFreesTheSandboxAndResumeRestoresItsState() throws Exception {
        d.createOk("default", sandbox("sus", "").replace("app: counter", "app: other"));
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get("default", "sandboxes", "sus")));
        d.exec("default", "sus", "echo 0 > /tmp/cycles");
        for (int i = 1; i <= 3; i++) {
            JsonNode s = d.get("default", "sandboxes", "sus");
            String uid = s.path("metadata").path("uid").asText();
            ((com.fasterxml.jackson.databind.node.ObjectNode) s.path("spec")).put("operatingMode", "Suspended");
            assertThat(d.call("PUT", Daemon.AGENTS + "default/sandboxes/sus", Daemon.JSON.writeValueAsString(s)).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> "SandboxSuspended".equals(condition(d.get("default", "sandboxes", "sus"), "Ready", "reason")));
            try (var rt = new dev.agentbox.runtime.GvisorRuntime(d.stateDir.resolve("runtime"))) {
                assertThat(rt.listContainers()).as("no runsc process while suspended").noneMatch(id -> id.equals("ab-" + uid));
            }
            s = d.get("default", "sandboxes", "sus");
            ((com.fasterxml.jackson.databind.node.ObjectNode) s.path("spec")).put("operatingMode", "Running");
            assertThat(d.call("PUT", Daemon.AGENTS + "default/sandboxes/sus", Daemon.JSON.writeValueAsString(s)).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> Daemon.ready(d.get("default", "sandboxes", "sus")));
            assertThat(condition(d.get("default", "sandboxes", "sus"), "PodRestored", "reason")).isEqualTo("Resumed");
            assertThat(d.exec("default", "sus", "echo $(( $(cat /tmp/cycles) + 1 )) > /tmp/cycles; cat /tmp/cycles").json().path("stdout").asText()).isEqualTo(i + "\n");
        }
        d.call("DELETE", Daemon.AGENTS + "default/sandboxes/sus", null);
    }
}
