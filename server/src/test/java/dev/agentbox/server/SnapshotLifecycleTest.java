package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.server.snapshot.SnapshotService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pod snapshot behaviour through agentboxd on real gVisor, beyond {@link PodSnapshotTest}: 20 suspend/resume
 * cycles, postCheckpoint stop, a pinned snapshot of another pod spec, lastAccessTimeout, the workload trigger
 * and a warm pool filled by restore. Each test works in its own namespace (its own policy) and deletes its sandboxes.
 */
class SnapshotLifecycleTest {
    static final String PS = Daemon.PS;
    static Daemon d;
    static Path storage;

    @BeforeAll
    static void start() throws Exception {
        d = new Daemon();
        storage = Files.createTempDirectory("snapshots");
        assertThat(d.call("POST", PS + "podsnapshotstorageconfigs", Daemon.localStorageConfig(storage)).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (d != null) d.close();
    }

    static String sandbox(String name, String app, String command) {
        return """
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
                        command: ["/bin/sh", "-c", "%s"]
                """.formatted(name, app, command);
    }

    static void policy(String ns, String app, String extraSpec) {
        Daemon.Response r = d.call("POST", PS + "namespaces/" + ns + "/podsnapshotpolicies", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotPolicy
                metadata:
                  name: %s
                spec:
                  storageConfigName: local
                  selector:
                    matchLabels:
                      app: %s
                %s
                """.formatted(app, app, extraSpec.contains("triggerConfig") ? extraSpec : extraSpec + "  triggerConfig:\n    type: manual\n"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    static JsonNode ps(String ns, String plural, String name) {
        Daemon.Response r = d.call("GET", PS + "namespaces/" + ns + "/" + plural + "/" + name, null);
        return r.status() == 200 ? r.json() : null;
    }

    static List<JsonNode> psList(String ns, String plural) {
        List<JsonNode> out = new ArrayList<>();
        d.call("GET", PS + "namespaces/" + ns + "/" + plural, null).json().path("items").forEach(out::add);
        return out;
    }

    static String condition(JsonNode o, String type, String field) {
        if (o == null) return null;
        for (JsonNode c : o.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c.path(field).asText();
        return null;
    }

    static void awaitReady(String ns, String name) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> Daemon.ready(d.get(ns, "sandboxes", name)));
    }

    static String out(String ns, String sandbox, String shell) {
        Daemon.Response r = d.exec(ns, sandbox, shell);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("stdout").asText();
    }

    /** Creates a trigger, waits for its Triggered condition and returns the created snapshot's name (null if Failed). */
    static String trigger(String ns, String name, String target) {
        Daemon.Response r = d.call("POST", PS + "namespaces/" + ns + "/podsnapshotmanualtriggers", """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotManualTrigger
                metadata:
                  name: %s
                spec:
                  targetPod: %s
                """.formatted(name, target));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> condition(ps(ns, "podsnapshotmanualtriggers", name), "Triggered", "reason") != null);
        return ps(ns, "podsnapshotmanualtriggers", name).path("status").path("snapshotCreated").path("name").asText(null);
    }

    static void setMode(String ns, String name, String mode) throws Exception {
        JsonNode s = d.get(ns, "sandboxes", name);
        ((ObjectNode) s.path("spec")).put("operatingMode", mode);
        Daemon.Response r = d.call("PUT", Daemon.AGENTS + ns + "/sandboxes/" + name, Daemon.JSON.writeValueAsString(s));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    /** Host processes whose command line names the container (runsc run/restore/gofer/sandbox of it). */
    static List<String> runscProcessesOf(String containerId) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    if (cmd.contains("runsc") && cmd.contains(containerId)) found.add(p.getFileName() + ": " + cmd);
                } catch (IOException ignored) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return found;
    }

    static void delete(String ns, String... sandboxes) {
        for (String s : sandboxes) d.call("DELETE", Daemon.AGENTS + ns + "/sandboxes/" + s, null);
        await().atMost(Duration.ofSeconds(30)).until(() -> d.list(ns, "sandboxes").isEmpty());
    }

    @Test
    void twentySuspendResumeCyclesKeepFilesPythonVariablesAndBackgroundProcessesAndHoldNoRunscWhileSuspended() throws Exception {
        String ns = "cycles";
        d.createOk(ns, sandbox("cyc", "cyc", "sleep infinity"));
        awaitReady(ns, "cyc");
        String uid = d.get(ns, "sandboxes", "cyc").path("metadata").path("uid").asText();
        String containerId = "ab-" + uid;
        out(ns, "cyc", "echo kept > /tmp/file.txt");
        // a Python process holding a random value only in memory; SIGUSR1 makes it write the value out
        out(ns, "cyc", """
                cat > /tmp/holder.py <<'EOF'
                import os, signal
                v = os.urandom(8).hex()
                signal.signal(signal.SIGUSR1, lambda *a: open('/tmp/pyvar', 'w').write(v))
                open('/tmp/holder.pid', 'w').write(str(os.getpid()))
                while True:
                    signal.pause()
                EOF
                python3 /tmp/holder.py </dev/null >/dev/null 2>&1 &
                sh -c 'n=0; while true; do n=$((n+1)); echo $n > /tmp/bg; sleep 0.05; done' </dev/null >/dev/null 2>&1 &
                echo $! > /tmp/bg.pid
                """);
        await().atMost(Duration.ofSeconds(10)).until(() -> !out(ns, "cyc", "cat /tmp/holder.pid 2>/dev/null").isEmpty());
        String pyvar = readVariable(ns);
        assertThat(pyvar).matches("[0-9a-f]{16}");
        String bgPid = out(ns, "cyc", "cat /tmp/bg.pid").strip();

        for (int i = 1; i <= 20; i++) {
            setMode(ns, "cyc", "Suspended");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> "SandboxSuspended".equals(condition(d.get(ns, "sandboxes", "cyc"), "Ready", "reason")));
            assertThat(runscProcessesOf(containerId)).as("cycle %d: no runsc process while suspended", i).isEmpty();
            setMode(ns, "cyc", "Running");
            awaitReady(ns, "cyc");
            assertThat(condition(d.get(ns, "sandboxes", "cyc"), "PodRestored", "reason")).as("cycle %d", i).isEqualTo("Resumed");
            assertThat(out(ns, "cyc", "cat /tmp/file.txt")).as("cycle %d: file", i).isEqualTo("kept\n");
            assertThat(readVariable(ns)).as("cycle %d: python variable", i).isEqualTo(pyvar);
            assertThat(out(ns, "cyc", "kill -0 " + bgPid + " && echo alive")).as("cycle %d: background process", i).isEqualTo("alive\n");
            long n1 = backgroundCount(ns);
            await().atMost(Duration.ofSeconds(5)).until(() -> backgroundCount(ns) > n1);
        }
        assertThat(psList(ns, "podsnapshots")).as("resume deletes the suspend snapshot").isEmpty();
        delete(ns, "cyc");
    }

    /** The background loop's counter; `echo > file` truncates before it writes, so an empty read is retried. */
    private static long backgroundCount(String ns) {
        String[] value = new String[1];
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .until(() -> !(value[0] = out(ns, "cyc", "cat /tmp/bg").strip()).isEmpty());
        return Long.parseLong(value[0]);
    }

    private static String readVariable(String ns) {
        out(ns, "cyc", "rm -f /tmp/pyvar; kill -USR1 $(cat /tmp/holder.pid)");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> out(ns, "cyc", "cat /tmp/pyvar 2>/dev/null").length() == 16);
        return out(ns, "cyc", "cat /tmp/pyvar");
    }

    @Test
    void postCheckpointStopLeavesTheSourceSuspendedWithoutProcessesAndRunningAgainRestoresIt() throws Exception {
        String ns = "stop";
        policy(ns, "stopper", """
                  triggerConfig:
                    type: manual
                    postCheckpoint: stop
                """);
        d.createOk(ns, sandbox("src", "stopper", "sleep infinity"));
        awaitReady(ns, "src");
        String containerId = "ab-" + d.get(ns, "sandboxes", "src").path("metadata").path("uid").asText();
        out(ns, "src", "echo before-stop > /tmp/state");
        String snap = trigger(ns, "t", "src");
        assertThat(snap).as(String.valueOf(ps(ns, "podsnapshotmanualtriggers", "t"))).isNotNull();
        assertThat(condition(ps(ns, "podsnapshots", snap), "Ready", "status")).isEqualTo("True");
        await().atMost(Duration.ofSeconds(20)).until(() -> "SandboxSuspended".equals(condition(d.get(ns, "sandboxes", "src"), "Ready", "reason")));
        JsonNode src = d.get(ns, "sandboxes", "src");
        assertThat(src.path("spec").path("operatingMode").asText()).isEqualTo("Suspended");
        // stays stopped: not restarted behind our back
        Thread.sleep(1500);
        assertThat(condition(d.get(ns, "sandboxes", "src"), "Ready", "reason")).isEqualTo("SandboxSuspended");
        assertThat(runscProcessesOf(containerId)).as("no runsc process after postCheckpoint stop").isEmpty();

        setMode(ns, "src", "Running");
        awaitReady(ns, "src");
        assertThat(condition(d.get(ns, "sandboxes", "src"), "PodRestored", "message")).contains(snap);
        assertThat(out(ns, "src", "cat /tmp/state")).isEqualTo("before-stop\n");
        delete(ns, "src");
    }

    @Test
    void aPinnedSnapshotOfAnotherPodSpecFallsBackToAColdStartAndSaysSo() {
        String ns = "pinned";
        policy(ns, "pin", "");
        d.createOk(ns, sandbox("src", "pin", "sleep infinity"));
        awaitReady(ns, "src");
        out(ns, "src", "echo from-snapshot > /tmp/state");
        String snap = trigger(ns, "t", "src");
        assertThat(snap).isNotNull();

        d.createOk(ns, sandbox("other", "pin", "exec sleep 1000000").replace("  labels:", "  annotations:\n    podsnapshot.gke.io/ps-name: " + snap + "\n  labels:"));
        awaitReady(ns, "other");
        JsonNode other = d.get(ns, "sandboxes", "other");
        assertThat(condition(other, "PodRestored", "status")).isEqualTo("False");
        assertThat(condition(other, "PodRestored", "reason")).isEqualTo("RestoreFailed");
        assertThat(condition(other, "PodRestored", "message")).contains(snap, "different pod template", "cold");
        assertThat(out(ns, "other", "cat /tmp/state 2>/dev/null || echo cold")).isEqualTo("cold\n");

        // the same pod spec pinned to it restores
        d.createOk(ns, sandbox("same", "pin", "sleep infinity").replace("  labels:", "  annotations:\n    podsnapshot.gke.io/ps-name: " + snap + "\n  labels:"));
        awaitReady(ns, "same");
        assertThat(condition(d.get(ns, "sandboxes", "same"), "PodRestored", "reason")).isEqualTo("Restored");
        assertThat(out(ns, "same", "cat /tmp/state")).isEqualTo("from-snapshot\n");
        delete(ns, "src", "other", "same");
    }

    @Test
    void lastAccessTimeoutPrunesASnapshotNotAccessedForThatLongWithItsFiles() {
        String ns = "retention";
        policy(ns, "ret", """
                  retentionConfig:
                    lastAccessTimeout: 1min
                """);
        d.createOk(ns, sandbox("src", "ret", "sleep infinity"));
        awaitReady(ns, "src");
        String snap = trigger(ns, "t", "src");
        assertThat(snap).isNotNull();
        Path image = Path.of(ps(ns, "podsnapshots", snap).path("status").path("storageStatus").path("local").path("observedPath").asText());
        assertThat(image).isDirectory();
        // the daemon's own retention pass (every 5 s) keeps it: it was accessed less than 1min ago
        try (SnapshotService now = new SnapshotService(d.agentboxd.store(), storage, Clock.systemUTC())) {
            now.enforceRetention();
        }
        assertThat(ps(ns, "podsnapshots", snap)).isNotNull();
        // 1min is the smallest unit GKE's lastAccessTimeout has: run a retention pass as if 61 s had passed
        try (SnapshotService later = new SnapshotService(d.agentboxd.store(), storage, Clock.offset(Clock.systemUTC(), Duration.ofSeconds(61)))) {
            later.enforceRetention();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ps(ns, "podsnapshots", snap) == null && !Files.exists(image));
        delete(ns, "src");
    }

    @Test
    void aProcessInsideAsksForASnapshotAndAPodSnapshotAppears() {
        String ns = "workload";
        policy(ns, "wl", """
                  triggerConfig:
                    type: workload
                """);
        d.createOk(ns, sandbox("agent", "wl", "sleep infinity"));
        awaitReady(ns, "agent");
        out(ns, "agent", "echo written-before > /tmp/state");
        Daemon.Response r = d.exec(ns, "agent", "/.agentbox/init snapshot after-step-3");
        assertThat(r.json().path("exitCode").asInt()).as(r.body()).isZero();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> psList(ns, "podsnapshots").stream().anyMatch(p -> "True".equals(condition(p, "Ready", "status"))));
        JsonNode snap = psList(ns, "podsnapshots").get(0);
        assertThat(snap.path("status").path("sourceSandbox").asText()).isEqualTo("agent");
        List<JsonNode> triggers = psList(ns, "podsnapshotmanualtriggers");
        assertThat(triggers).hasSize(1);
        assertThat(triggers.get(0).path("metadata").path("labels").path("agentbox.dev/trigger").asText()).isEqualTo("workload");
        assertThat(triggers.get(0).path("metadata").path("annotations").path("agentbox.dev/note").asText()).isEqualTo("after-step-3");
        assertThat(condition(triggers.get(0), "Triggered", "reason")).isEqualTo("Complete");
        assertThat(out(ns, "agent", "cat /tmp/state")).as("the source goes on (postCheckpoint resume)").isEqualTo("written-before\n");

        // a sandbox no workload policy selects: the request is ignored, no trigger appears
        d.createOk(ns, sandbox("other", "nobody", "sleep infinity"));
        awaitReady(ns, "other");
        d.exec(ns, "other", "/.agentbox/init snapshot");
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> psList(ns, "podsnapshotmanualtriggers").size() == 1);
        delete(ns, "agent", "other");
    }

    @Test
    void aWarmPoolRefillsByRestoringTheTemplatesSnapshot() {
        String ns = "pool";
        policy(ns, "pooled", "");
        d.createOk(ns, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: python
                spec:
                  podTemplate:
                    metadata:
                      labels:
                        app: pooled
                    spec:
                      containers:
                      - name: python
                        image: agentbox/builtin
                        command: ["python3", "-c", "import time; data = [str(i) for i in range(200000)]; open('/tmp/ready', 'w').write(str(len(data))); time.sleep(1e9)"]
                """);
        d.createOk(ns, Daemon.pool("pool", 1));
        d.awaitPoolReady(ns, "pool", 1);
        String first = d.list(ns, "sandboxes").get(0).path("metadata").path("name").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> out(ns, first, "cat /tmp/ready 2>/dev/null").equals("200000"));
        out(ns, first, "echo initialised-once > /tmp/init-marker");
        String snap = trigger(ns, "t", first);
        assertThat(snap).isNotNull();

        // a claim takes the member; the pool refills with a sandbox restored from the snapshot
        d.createOk(ns, Daemon.claim("c1", "pool"));
        String claimed = d.awaitClaimReady(ns, "c1");
        assertThat(claimed).isEqualTo(first);
        await().atMost(Duration.ofSeconds(60)).until(() -> d.list(ns, "sandboxes").stream()
                .anyMatch(s -> !s.path("metadata").path("name").asText().equals(first) && Daemon.ready(s)));
        JsonNode refill = d.list(ns, "sandboxes").stream().filter(s -> !s.path("metadata").path("name").asText().equals(first)).findFirst().orElseThrow();
        String name = refill.path("metadata").path("name").asText();
        assertThat(condition(refill, "PodRestored", "reason")).isEqualTo("Restored");
        assertThat(condition(refill, "PodRestored", "message")).contains(snap);
        assertThat(out(ns, name, "cat /tmp/init-marker")).isEqualTo("initialised-once\n");
        assertThat(out(ns, name, "cat /tmp/ready")).isEqualTo("200000");
        d.call("DELETE", Daemon.EXT + ns + "/sandboxclaims/c1", null);
        d.call("DELETE", Daemon.EXT + ns + "/sandboxwarmpools/pool", null);
        await().atMost(Duration.ofSeconds(30)).until(() -> d.list(ns, "sandboxes").isEmpty());
    }
}
