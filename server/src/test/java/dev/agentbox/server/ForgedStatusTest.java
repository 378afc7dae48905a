package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tenant with a namespace-scoped token sends a {@code status} it made up. Status belongs to agentboxd: a client's is
 * dropped on create and ignored on update, so a forged snapshot path can neither delete a host directory nor restore
 * another namespace's memory. The "host directory" is a canary in the test's own temporary directory.
 */
class ForgedStatusTest {
    static final String PS = Daemon.PS;
    static Daemon d;
    static String teamA;
    static Path storage;

    @BeforeAll
    static void start() throws Exception {
        d = new Daemon();
        teamA = d.call("POST", "/api/v1/tokens", "{\"name\":\"team-a\",\"namespaces\":[\"team-a\"]}").json().path("token").asText();
        storage = Files.createTempDirectory("forged-snapshots");
        assertThat(d.call("POST", PS + "podsnapshotstorageconfigs", Daemon.localStorageConfig(storage)).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (d != null) d.close();
    }

    static String forgedSnapshot(String name, String observedPath, String templateHash) {
        return """
                {"apiVersion":"podsnapshot.gke.io/v1","kind":"PodSnapshot","metadata":{"name":"%s"},"spec":{"policyName":"forged-policy"},
                 "status":{"conditions":[{"type":"Ready","status":"True","reason":"Complete","message":"forged","lastTransitionTime":"2024-01-01T00:00:00Z"}],
                           "storageStatus":{"local":{"observedPath":"%s"}},"templateHash":"%s","sizeBytes":1}}
                """.formatted(name, observedPath, templateHash);
    }

    @Test
    void scopedTokenCannotDeleteAHostDirectoryThroughAForgedSnapshotStatus() throws Exception {
        Path victim = Files.createTempDirectory("victim").resolve("forged");
        Files.createDirectories(victim);
        Files.writeString(victim.resolve("precious.txt"), "do not delete");

        Daemon.Response created = d.call("POST", PS + "namespaces/team-a/podsnapshots", forgedSnapshot("forged", victim.toString(), "x"), teamA);
        assertThat(created.status()).as(created.body()).isBetween(200, 299);
        assertThat(d.call("DELETE", PS + "namespaces/team-a/podsnapshots/forged", null, teamA).status()).isEqualTo(200);

        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> Files.exists(victim.resolve("precious.txt")));
        assertThat(victim.resolve("precious.txt")).hasContent("do not delete");
    }

    static String secretSandbox(String name) {
        return """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: %s
                  labels:
                    app: victim
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """.formatted(name);
    }

    /** Every command line in the sandbox (the memory of its processes, as far as a shell sees it) and its /tmp. */
    static final String LOOK_FOR_SECRET = "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; cat /tmp/secret 2>/dev/null; echo end";

    @Test
    void scopedTokenCannotRestoreAnotherNamespacesSnapshotThroughAForgedStatus() throws Exception {
        assertThat(d.call("POST", PS + "namespaces/default/podsnapshotpolicies", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotPolicy
                metadata:
                  name: victim
                spec:
                  storageConfigName: local
                  selector:
                    matchLabels:
                      app: victim
                  triggerConfig:
                    type: manual
                """).status()).isEqualTo(201);
        // the victim holds a secret in its in-memory /tmp and in a process's memory: both are in its checkpoint
        d.createOk("default", secretSandbox("victim"));
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get("default", "sandboxes", "victim")));
        d.exec("default", "victim", "echo s3cr3t-of-default > /tmp/secret; "
                + "python3 -c 'import time; s = \"s3cr3t-of-default\"; time.sleep(1e9)' </dev/null >/dev/null 2>&1 &");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                d.exec("default", "victim", LOOK_FOR_SECRET).json().path("stdout").asText().split("s3cr3t-of-default", -1).length >= 3);
        assertThat(d.call("POST", PS + "namespaces/default/podsnapshotmanualtriggers", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotManualTrigger
                metadata:
                  name: t
                spec:
                  targetPod: victim
                """).status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(60)).until(() ->
                !d.call("GET", PS + "namespaces/default/podsnapshotmanualtriggers/t", null).json().path("status").path("snapshotCreated").path("name").asText().isEmpty());
        String snap = d.call("GET", PS + "namespaces/default/podsnapshotmanualtriggers/t", null).json().path("status").path("snapshotCreated").path("name").asText();
        JsonNode real = d.call("GET", PS + "namespaces/default/podsnapshots/" + snap, null).json();
        String image = real.path("status").path("storageStatus").path("local").path("observedPath").asText();
        String hash = real.path("status").path("templateHash").asText();
        assertThat(Path.of(image)).isDirectory();

        // team-a forges a Ready PodSnapshot pointing at default's image, and pins a sandbox of the same pod spec to it
        Daemon.Response forged = d.call("POST", PS + "namespaces/team-a/podsnapshots", forgedSnapshot("stolen", image, hash), teamA);
        assertThat(forged.status()).as(forged.body()).isBetween(200, 299);
        Daemon.Response thief = d.call("POST", Daemon.AGENTS + "team-a/sandboxes",
                secretSandbox("thief").replace("  labels:", "  annotations:\n    podsnapshot.gke.io/ps-name: stolen\n  labels:"), teamA);
        assertThat(thief.status()).as(thief.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get("team-a", "sandboxes", "thief")));

        JsonNode sandbox = d.get("team-a", "sandboxes", "thief");
        assertThat(condition(sandbox, "PodRestored")).as(sandbox.toString()).isNotEqualTo("True");
        assertThat(d.exec("team-a", "thief", LOOK_FOR_SECRET).json().path("stdout").asText()).endsWith("end\n").doesNotContain("s3cr3t");
        assertThat(Path.of(image)).as("default's snapshot is untouched").isDirectory();
        d.call("DELETE", Daemon.AGENTS + "team-a/sandboxes/thief", null);
        d.call("DELETE", Daemon.AGENTS + "default/sandboxes/victim", null);
    }

    static String condition(JsonNode o, String type) {
        for (JsonNode c : o.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c.path("status").asText();
        return null;
    }

    /** A minimal valid manifest of each kind, in dependency order (admission wants a pool's template and a claim's pool). */
    static Map<String, String> manifests() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("SandboxTemplate", Daemon.TEMPLATE);
        m.put("SandboxWarmPool", Daemon.pool("pool", 0));
        m.put("SandboxClaim", Daemon.claim("claim", "pool"));
        m.put("Sandbox", """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: box
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """);
        m.put("PodSnapshotStorageConfig", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotStorageConfig
                metadata:
                  name: forged-config
                spec:
                  snapshotStorageConfig:
                    local:
                      path: %s
                """.formatted(storage.resolve("other")));
        m.put("PodSnapshotPolicy", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotPolicy
                metadata:
                  name: policy
                spec:
                  storageConfigName: local
                  selector:
                    matchLabels:
                      app: none
                  triggerConfig:
                    type: manual
                """);
        m.put("PodSnapshotManualTrigger", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotManualTrigger
                metadata:
                  name: trigger
                spec:
                  targetPod: nobody
                """);
        m.put("PodSnapshot", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshot
                metadata:
                  name: snapshot
                spec:
                  policyName: policy
                """);
        m.put("ConfigMap", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: config
                data:
                  key: value
                """);
        m.put("Secret", """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: secret
                stringData:
                  key: value
                """);
        return m;
    }

    /** A status with every field each kind's status has, each value marked {@link #MARK}. */
    static JsonNode forgedStatus(String kind) throws Exception {
        String conditions = "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"F0rg3d\",\"message\":\"f0rg3d\",\"lastTransitionTime\":\"2024-01-01T00:00:00Z\"}]";
        String json = switch (kind) {
            case "Sandbox" -> "{" + conditions + ",\"selector\":\"f0rg3d=1\",\"serviceFQDN\":\"f0rg3d\"}";
            case "SandboxClaim" -> "{" + conditions + ",\"sandbox\":{\"name\":\"f0rg3d\"}}";
            case "SandboxWarmPool" -> "{\"replicas\":99,\"readyReplicas\":99,\"selector\":\"f0rg3d=1\"}";
            case "PodSnapshotManualTrigger" -> "{" + conditions + ",\"snapshotCreated\":{\"name\":\"f0rg3d\"}}";
            case "PodSnapshot" -> "{" + conditions + ",\"storageStatus\":{\"local\":{\"observedPath\":\"/f0rg3d\"}},\"templateHash\":\"f0rg3d\",\"sourceSandbox\":\"f0rg3d\"}";
            case "SandboxTemplate" -> "{\"f0rg3d\":true}"; // a template has no status at all
            default -> "{" + conditions + ",\"observedGeneration\":99}";
        };
        return Daemon.JSON.readTree(json);
    }

    /** What every forged status value contains (not "forged": temporary directory names contain that). */
    static final String MARK = "f0rg3d";

    static String path(ResourceKind kind, String name) {
        String base = ApiFuzzInputs.prefix(kind.group(), kind.version()) + "/";
        String collection = kind.namespaced() ? base + "namespaces/team-a/" + kind.plural() : base + kind.plural();
        return name == null ? collection : collection + "/" + name;
    }

    static String as(ResourceKind kind) {
        return kind.namespaced() ? teamA : d.token; // cluster-scoped kinds need the admin token
    }

    @Test
    void clientStatusIsDroppedOnCreateAndUpdateForEveryKind() throws Exception {
        Map<String, String> manifests = manifests();
        // every served kind but Event, which no client may create (EventsTest)
        assertThat(manifests.keySet()).as("every served kind is covered")
                .containsExactlyInAnyOrderElementsOf(ResourceKinds.all().stream().filter(k -> !k.kind().equals("Event")).map(ResourceKind::kind).toList());
        for (var e : manifests.entrySet()) {
            ResourceKind kind = ResourceKinds.byName(e.getKey()).orElseThrow();
            ObjectNode body = (ObjectNode) dev.agentbox.api.Resources.mapper().valueToTree(
                    dev.agentbox.api.Resources.parseAll(e.getValue()).get(0));
            body.set("status", forgedStatus(kind.kind()));
            Daemon.Response created = d.call("POST", path(kind, null), Daemon.JSON.writeValueAsString(body), as(kind));
            String name = body.path("metadata").path("name").asText();
            if (created.status() != 201) {
                // refusing the whole object is also fine (a template has no status field); then create it without one
                assertThat(created.status()).as(kind + ": " + created.body()).isEqualTo(422);
                body.remove("status");
                created = d.call("POST", path(kind, null), Daemon.JSON.writeValueAsString(body), as(kind));
                assertThat(created.status()).as(kind + ": " + created.body()).isEqualTo(201);
            }
            assertThat(statusText(created.json())).as(kind + " create answer").doesNotContain(MARK);
            assertThat(statusText(get(kind, name))).as(kind + " stored after create").doesNotContain(MARK);

            ObjectNode stored = (ObjectNode) get(kind, name);
            stored.set("status", forgedStatus(kind.kind()));
            ((ObjectNode) stored.path("metadata")).remove("resourceVersion");
            Daemon.Response updated = d.call("PUT", path(kind, name), Daemon.JSON.writeValueAsString(stored), as(kind));
            assertThat(updated.status()).as(kind + ": " + updated.body()).isIn(200, 422);
            if (updated.status() == 200) assertThat(statusText(updated.json())).as(kind + " update answer").doesNotContain(MARK);
            assertThat(statusText(get(kind, name))).as(kind + " stored after update").doesNotContain(MARK);
        }
        // the server still writes status: the claim's Ready condition and the trigger's Triggered condition appear
        await().atMost(Duration.ofSeconds(60)).until(() -> get(ResourceKinds.byName("PodSnapshotManualTrigger").orElseThrow(), "trigger")
                .path("status").path("conditions").size() > 0);
        d.call("DELETE", path(ResourceKinds.byName("SandboxClaim").orElseThrow(), "claim"), null);
        d.call("DELETE", path(ResourceKinds.byName("Sandbox").orElseThrow(), "box"), null);
    }

    static JsonNode get(ResourceKind kind, String name) {
        Daemon.Response r = d.call("GET", path(kind, name), null, as(kind));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    static String statusText(JsonNode object) {
        return object.path("status").toString().toLowerCase(Locale.ROOT);
    }
}
