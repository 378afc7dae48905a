package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.runtime.GvisorRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** kill -9 of agentboxd while a trigger is checkpointing a sandbox with a large memory footprint. */
class SnapshotCrashTest {
    static final String PS = Daemon.PS;

    @Test
    void killNineDuringACheckpointLeavesNoReadySnapshotOfAPartialImageAndNoPartialFilesAndTheTriggerFailed() throws Exception {
        Path state = Daemon.tempDir();
        Path storage = Files.createTempDirectory("crash-snapshots");
        Path nsDir = storage.resolve("default");
        DaemonProcess first = new DaemonProcess(state);
        boolean killedMidway;
        try {
            first.post(PS + "podsnapshotstorageconfigs", Daemon.localStorageConfig(storage));
            first.post(PS + "namespaces/default/podsnapshotpolicies", """
                    apiVersion: podsnapshot.gke.io/v1
                    kind: PodSnapshotPolicy
                    metadata:
                      name: big
                    spec:
                      storageConfigName: local
                      selector:
                        matchLabels:
                          app: big
                      triggerConfig:
                        type: manual
                    """);
            // ~400 MB of non-zero pages: the uncompressed image takes long enough to write that the kill lands midway
            first.post(Daemon.AGENTS + "default/sandboxes", """
                    apiVersion: agents.x-k8s.io/v1beta1
                    kind: Sandbox
                    metadata:
                      name: big
                      labels:
                        app: big
                    spec:
                      podTemplate:
                        spec:
                          containers:
                          - name: main
                            image: agentbox/builtin
                            command: ["python3", "-c", "import time; b = bytearray(b'x') * (400 << 20); open('/tmp/ready', 'w').write('1'); time.sleep(1e9)"]
                            resources:
                              limits:
                                memory: 1Gi
                    """);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                    first.get("/api/v1/namespaces/default/sandboxes/big/files?path=/tmp/ready").equals("1"));
            first.post(PS + "namespaces/default/podsnapshotmanualtriggers", """
                    apiVersion: podsnapshot.gke.io/v1
                    kind: PodSnapshotManualTrigger
                    metadata:
                      name: crash
                    spec:
                      targetPod: big
                    """);
            // runsc is writing into the partial directory: kill now
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(() -> partialFiles(nsDir) > 0);
            killedMidway = true;
        } finally {
            first.killNine(); // no shutdown hook runs
        }
        assertThat(killedMidway).isTrue();
        assertThat(first.log()).as("killed before the snapshot turned Ready").doesNotContain("Ready: sandbox big");

        try (Daemon second = new Daemon(state)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> triggerReason(second) != null);
            String reason = triggerReason(second);
            assertThat(reason).isIn("Failed", "Complete");
            for (JsonNode ps : second.call("GET", PS + "namespaces/default/podsnapshots", null).json().path("items")) {
                boolean ready = false;
                for (JsonNode c : ps.path("status").path("conditions")) {
                    if ("Ready".equals(c.path("type").asText())) ready = "True".equals(c.path("status").asText());
                }
                if (ready) {
                    Path image = Path.of(ps.path("status").path("storageStatus").path("local").path("observedPath").asText());
                    assertThat(image.resolve(GvisorRuntime.CHECKPOINT_META)).as("a Ready snapshot has a complete image").isRegularFile();
                }
            }
            if (reason.equals("Failed")) {
                assertThat(second.call("GET", PS + "namespaces/default/podsnapshots", null).json().path("items"))
                        .as("the cut-off snapshot is not kept").allMatch(ps -> !ps.path("status").path("conditions").toString().contains("\"True\""));
            }
            // no partial files: now, and after the orphaned `runsc checkpoint` of the dead daemon has ended
            await().atMost(Duration.ofSeconds(30)).until(() -> noRunscCheckpointRunning(state));
            await().atMost(Duration.ofSeconds(10)).until(() -> partialDirs(nsDir) == 0);
            try (Stream<Path> left = Files.exists(nsDir) ? Files.list(nsDir) : Stream.empty()) {
                assertThat(left.map(p -> p.getFileName().toString()).toList()).as("only complete images of Ready snapshots remain")
                        .allMatch(n -> !n.startsWith(".partial-"));
            }
            // the sandbox itself comes back (started again) and answers
            await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(second.get("default", "sandboxes", "big")));
            await().atMost(Duration.ofSeconds(30)).until(() -> second.exec("default", "big", "cat /tmp/ready").json().path("stdout").asText().equals("1"));
            second.call("DELETE", Daemon.AGENTS + "default/sandboxes/big", null);
            await().atMost(Duration.ofSeconds(30)).until(() -> second.list("default", "sandboxes").isEmpty());
        }
    }

    static String triggerReason(Daemon d) {
        Daemon.Response r = d.call("GET", PS + "namespaces/default/podsnapshotmanualtriggers/crash", null);
        if (r.status() != 200) return null;
        for (JsonNode c : r.json().path("status").path("conditions")) if ("Triggered".equals(c.path("type").asText())) return c.path("reason").asText();
        return null;
    }

    static boolean noRunscCheckpointRunning(Path state) {
        return ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().map(c -> c.contains("checkpoint") && c.contains(state.toString())).orElse(false));
    }

    static long partialDirs(Path nsDir) throws Exception {
        if (!Files.isDirectory(nsDir)) return 0;
        try (Stream<Path> s = Files.list(nsDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".partial-")).count();
        }
    }

    static long partialFiles(Path nsDir) throws Exception {
        if (!Files.isDirectory(nsDir)) return 0;
        try (Stream<Path> s = Files.list(nsDir)) {
            long n = 0;
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".partial-")).toList()) {
                try (Stream<Path> f = Files.list(p)) {
                    n += f.count();
                } catch (java.io.IOException ignored) {
                    // renamed or deleted meanwhile
                }
            }
            return n;
        }
    }
}
