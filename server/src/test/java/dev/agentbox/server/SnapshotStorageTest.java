package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where snapshots go on the host: private directories, no storage path other users can write, and no snapshot flood. */
class SnapshotStorageTest {
    static final String PS = Daemon.PS;
    static Daemon d;

    @BeforeAll
    static void start() {
        d = new Daemon();
    }

    @AfterAll
    static void stop() {
        if (d != null) d.close();
    }

    static String storageConfig(String name, Path path) {
        return Daemon.localStorageConfig(path).replace("name: local", "name: " + name);
    }

    static void policy(String ns, String name, String storageConfig, String type) {
        Daemon.Response r = d.call("POST", PS + "namespaces/" + ns + "/podsnapshotpolicies", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotPolicy
                metadata:
                  name: %s
                spec:
                  storageConfigName: %s
                  selector:
                    matchLabels:
                      app: %s
                  triggerConfig:
                    type: %s
                """.formatted(name, storageConfig, name, type));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    static void sandbox(String ns, String name, String app) {
        d.createOk(ns, """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: %s
                  labels:
                    app: %s
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """.formatted(name, app));
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get(ns, "sandboxes", name)));
    }

    static JsonNode ps(String ns, String plural, String name) {
        Daemon.Response r = d.call("GET", PS + (ns == null ? "" : "namespaces/" + ns + "/") + plural + "/" + name, null);
        return r.status() == 200 ? r.json() : null;
    }

    static List<JsonNode> psList(String ns, String plural) {
        List<JsonNode> out = new ArrayList<>();
        d.call("GET", PS + "namespaces/" + ns + "/" + plural, null).json().path("items").forEach(out::add);
        return out;
    }

    static JsonNode condition(JsonNode o, String type) {
        if (o == null) return null;
        for (JsonNode c : o.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c;
        return null;
    }

    /** Creates a trigger and waits for its Triggered condition. */
    static JsonNode trigger(String ns, String name, String target) {
        Daemon.Response r = d.call("POST", PS + "namespaces/" + ns + "/podsnapshotmanualtriggers", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotManualTrigger
                metadata:
                  name: %s
                spec:
                  targetPod: %s
                """.formatted(name, target));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(60)).until(() -> condition(ps(ns, "podsnapshotmanualtriggers", name), "Triggered") != null);
        return ps(ns, "podsnapshotmanualtriggers", name);
    }

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void snapshotDirectoriesAre0700() throws Exception {
        Path root = Files.createTempDirectory("private-snapshots").resolve("store"); // agentboxd creates it
        assertThat(d.call("POST", PS + "podsnapshotstorageconfigs", storageConfig("private", root)).status()).isEqualTo(201);
        policy("private", "priv", "private", "manual");
        sandbox("private", "src", "priv");
        JsonNode t = trigger("private", "t", "src");
        String snap = t.path("status").path("snapshotCreated").path("name").asText();
        assertThat(snap).as(t.toString()).isNotEmpty();
        Path image = Path.of(ps("private", "podsnapshots", snap).path("status").path("storageStatus").path("local").path("observedPath").asText());
        assertThat(image).isEqualTo(root.resolve("private").resolve(snap));
        assertThat(mode(root)).isEqualTo("rwx------");
        assertThat(mode(root.resolve("private"))).isEqualTo("rwx------");
        assertThat(mode(image)).isEqualTo("rwx------");
        d.call("DELETE", Daemon.AGENTS + "private/sandboxes/src", null);
    }

    @Test
    void worldWritableStoragePathIsRefused() throws Exception {
        Path open = Files.createTempDirectory("open-snapshots");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Daemon.Response refused = d.call("POST", PS + "podsnapshotstorageconfigs", storageConfig("open", open));
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.json().path("message").asText()).contains(open.toString(), "writable", "0700");

        // a path that turns world-writable after it was accepted: the config, its policy and a trigger say so
        Path later = Files.createTempDirectory("later-snapshots");
        assertThat(d.call("POST", PS + "podsnapshotstorageconfigs", storageConfig("later", later)).status()).isEqualTo(201);
        policy("later", "lat", "later", "manual");
        await().atMost(Duration.ofSeconds(10)).until(() -> condition(ps(null, "podsnapshotstorageconfigs", "later"), "Ready") != null);
        assertThat(condition(ps(null, "podsnapshotstorageconfigs", "later"), "Ready").path("status").asText()).isEqualTo("True");
        Files.setPosixFilePermissions(later, PosixFilePermissions.fromString("rwxrwxrwx"));
        JsonNode config = ps(null, "podsnapshotstorageconfigs", "later");
        ((ObjectNode) config.path("metadata")).putObject("labels").put("touched", "yes");
        Daemon.Response put = d.call("PUT", PS + "podsnapshotstorageconfigs/later", Daemon.JSON.writeValueAsString(config));
        assertThat(put.status()).as("an update is admitted like a create").isEqualTo(422);
        assertThat(put.json().path("message").asText()).contains(later.toString(), "writable");
        JsonNode policy = ps("later", "podsnapshotpolicies", "lat");
        ((ObjectNode) policy.path("metadata")).putObject("labels").put("touched", "yes");
        assertThat(d.call("PUT", PS + "namespaces/later/podsnapshotpolicies/lat", Daemon.JSON.writeValueAsString(policy)).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> "False".equals(condition(ps("later", "podsnapshotpolicies", "lat"), "Ready").path("status").asText()));
        assertThat(condition(ps("later", "podsnapshotpolicies", "lat"), "Ready").path("message").asText()).contains(later.toString(), "writable");

        sandbox("later", "src", "lat");
        JsonNode t = trigger("later", "t", "src");
        assertThat(condition(t, "Triggered").path("reason").asText()).isEqualTo("Failed");
        assertThat(condition(t, "Triggered").path("message").asText()).contains(later.toString(), "writable");
        try (var files = Files.list(later)) {
            assertThat(files.toList()).as("nothing was written there").isEmpty();
        }
        d.call("DELETE", Daemon.AGENTS + "later/sandboxes/src", null);
        // the config itself is looked at again by the periodic resync (every 30 s)
        await().atMost(Duration.ofSeconds(45)).until(() -> "False".equals(condition(ps(null, "podsnapshotstorageconfigs", "later"), "Ready").path("status").asText()));
        assertThat(condition(ps(null, "podsnapshotstorageconfigs", "later"), "Ready").path("message").asText()).contains(later.toString(), "writable");
    }

    @Test
    void workloadSnapshotFloodIsRateLimited() throws Exception {
        Path root = Files.createTempDirectory("flood-snapshots");
        assertThat(d.call("POST", PS + "podsnapshotstorageconfigs", storageConfig("flood", root)).status()).isEqualTo(201);
        policy("flood", "fl", "flood", "workload");
        sandbox("flood", "agent", "fl");
        Daemon.Response r = d.exec("flood", "agent", "for i in $(seq 20); do /.agentbox/init snapshot flood-$i >/dev/null; done; echo asked");
        assertThat(r.json().path("stdout").asText()).as(r.body()).isEqualTo("asked\n");
        // the default rate: a burst of 3, then one a minute
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(60)).until(() -> psList("flood", "podsnapshotmanualtriggers").size() == 3);
        await().atMost(Duration.ofSeconds(60)).until(() -> psList("flood", "podsnapshotmanualtriggers").stream().allMatch(t -> condition(t, "Triggered") != null));
        assertThat(psList("flood", "podsnapshots")).hasSizeLessThanOrEqualTo(3);
        d.call("DELETE", Daemon.AGENTS + "flood/sandboxes/agent", null);
    }
}
