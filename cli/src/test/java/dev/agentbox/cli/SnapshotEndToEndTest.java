package dev.agentbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pod snapshots as users reach them, against a real in-process agentboxd on real gVisor: examples/counter
 * applied as shipped, the CLI's snapshot/suspend/resume/fork/get podsnapshots, and the SDK's snapshot methods.
 */
class SnapshotEndToEndTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static Agentboxd daemon;
    static Path storage;

    record Run(int code, String out, String err) {}

    @BeforeAll
    static void start() throws Exception {
        daemon = Agentboxd.start(new AgentboxdConfig(Files.createTempDirectory("snap-e2e"), "127.0.0.1", 0).withStopSandboxesOnExit(true));
        storage = Files.createTempDirectory("snap-e2e-storage");
        // examples/counter/snapshot-setup.yaml as shipped, with its storage path moved to a temporary directory
        Path setup = storage.resolve("snapshot-setup.yaml");
        Files.writeString(setup, Files.readString(REPO.resolve("examples/counter/snapshot-setup.yaml"))
                .replace("path: /var/lib/agentbox/snapshots", "path: " + storage.resolve("images")));
        Run applied = agentbox("apply", "-f", setup.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static Run agentbox(String... args) {
        List<String> all = new ArrayList<>(List.of("--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(),
                "--token", daemon.adminToken()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true), new ByteArrayInputStream(new byte[0]));
        return new Run(code, out.toString(), err.toString());
    }

    static Run ok(String... args) {
        Run r = agentbox(args);
        assertThat(r.code()).as(String.join(" ", args) + ": " + r.out() + r.err()).isZero();
        return r;
    }

    /** The counter file is rewritten with `echo > file`, which truncates first: retry an empty read. */
    static final String READ_COUNTER = "for i in $(seq 500); do v=$(cat /tmp/counter 2>/dev/null); [ -n \"$v\" ] && break; done; echo $v";

    static long counter(String sandbox) {
        return Long.parseLong(ok("exec", sandbox, "--", "sh", "-c", READ_COUNTER).out().strip());
    }

    static Sandbox sandbox(String ns, String name) {
        return daemon.store().get(Sandbox.class, ns, name).orElse(null);
    }

    static void awaitReady(String ns, String name) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Sandbox s = sandbox(ns, name);
            return s != null && Conditions.isReady(s);
        });
    }

    @Test
    void counterExampleGoesOnFromTheCheckpointedValueAndTheCliSnapshotsSuspendsResumesAndForks() throws Exception {
        ok("apply", "-f", REPO.resolve("examples/counter/counter.yaml").toString());
        awaitReady("default", "counter");
        await().atMost(Duration.ofSeconds(20)).until(() -> counter("counter") >= 5);

        Run snap = ok("snapshot", "counter");
        Matcher m = Pattern.compile("podsnapshot/(\\S+) created \\((\\d+) bytes\\)").matcher(snap.out());
        assertThat(m.find()).as(snap.out()).isTrue();
        String name = m.group(1);
        long atSnapshot = counter("counter"); // the source goes on (postCheckpoint resume); the value at the snapshot is <= this
        PodSnapshot ps = daemon.store().get(PodSnapshot.class, "default", name).orElseThrow();
        assertThat(Conditions.isReady(ps)).isTrue();
        assertThat(ok("get", "podsnapshots").out()).contains(name);

        Path copy = storage.resolve("counter-copy.yaml");
        Files.writeString(copy, Files.readString(REPO.resolve("examples/counter/counter-copy.yaml")).replace("SNAPSHOT", name));
        ok("apply", "-f", copy.toString());
        awaitReady("default", "counter-copy");
        long first = counter("counter-copy");
        assertThat(first).as("the restored counter goes on from the checkpointed value, never from 0").isGreaterThanOrEqualTo(5);
        assertThat(first).isLessThanOrEqualTo(atSnapshot + 50);
        await().atMost(Duration.ofSeconds(5)).until(() -> counter("counter-copy") > first);
        assertThat(Conditions.get(sandbox("default", "counter-copy"), Conditions.POD_RESTORED).orElseThrow().getMessage()).contains(name);

        // suspend / resume through the CLI
        ok("exec", "counter", "--", "sh", "-c", "echo kept > /tmp/kept");
        assertThat(ok("suspend", "counter").out()).contains("sandbox/counter suspended");
        assertThat(Conditions.get(sandbox("default", "counter"), Conditions.READY).orElseThrow().getReason()).isEqualTo("SandboxSuspended");
        assertThat(ok("resume", "counter").out()).contains("sandbox/counter resumed");
        assertThat(ok("exec", "counter", "--", "cat", "/tmp/kept").out()).isEqualTo("kept\n");
        assertThat(counter("counter")).isGreaterThanOrEqualTo(atSnapshot);

        // fork -n 2: two new sandboxes from a fresh snapshot
        Run fork = ok("fork", "counter", "-n", "2");
        List<String> forks = new ArrayList<>();
        Matcher f = Pattern.compile("sandbox/(\\S+) forked from counter").matcher(fork.out());
        while (f.find()) forks.add(f.group(1));
        assertThat(forks).as(fork.out()).hasSize(2);
        for (String s : forks) {
            assertThat(ok("exec", s, "--", "cat", "/tmp/kept").out()).isEqualTo("kept\n");
            assertThat(counter(s)).isGreaterThanOrEqualTo(atSnapshot);
        }
        assertThat(ok("get", "podsnapshots").out()).containsPattern("NAME");

        for (String s : List.of("counter", "counter-copy", forks.get(0), forks.get(1))) ok("delete", "sandbox", s);
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.store().list(Sandbox.class, "default").isEmpty());
    }

    @Test
    void sdkCreatesListsAndDeletesSnapshotsForksThreeRestoresFromANamedSnapshotAndSuspendsAndResumes() throws Exception {
        String ns = "sdk";
        Path manifests = storage.resolve("sdk.yaml");
        Files.writeString(manifests, """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotPolicy
                metadata:
                  name: sdk
                spec:
                  storageConfigName: local
                  selector:
                    matchLabels:
                      app: sdk
                  triggerConfig:
                    type: manual
                ---
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: py
                spec:
                  podTemplate:
                    metadata:
                      labels:
                        app: sdk
                    spec:
                      containers:
                      - name: python
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                ---
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: py
                spec:
                  replicas: 1
                  sandboxTemplateRef:
                    name: py
                """);
        ok("apply", "-n", ns, "-f", manifests.toString());
        try (SandboxClient client = SandboxClient.builder().endpoint(daemon.endpoint()).caFile(daemon.caFile()).token(daemon.adminToken()).namespace(ns).build()) {
            var sb = client.createSandbox("py");
            assertThat(sb.commands().run("echo from-sdk > /tmp/state").exitCode()).isZero();
            PodSnapshot snap = sb.snapshots().create();
            String snapName = snap.getMetadata().getName();
            assertThat(Conditions.isReady(snap)).isTrue();
            assertThat(sb.snapshots().list()).extracting(p -> p.getMetadata().getName()).contains(snapName);

            var forks = sb.fork(3);
            assertThat(forks).hasSize(3);
            for (var f : forks) {
                assertThat(f.commands().run("cat /tmp/state").stdout()).isEqualTo("from-sdk\n");
                assertThat(Conditions.get(sandbox(ns, f.name()), Conditions.POD_RESTORED).orElseThrow().getReason()).isEqualTo("Restored");
            }
            assertThat(sb.snapshots().list()).as("fork took one more snapshot").hasSizeGreaterThanOrEqualTo(2);

            var restored = client.createSandbox("py", CreateOptions.builder().restoreFrom(snapName).build());
            assertThat(restored.commands().run("cat /tmp/state").stdout()).isEqualTo("from-sdk\n");
            Sandbox restoredObject = sandbox(ns, restored.name());
            assertThat(Conditions.get(restoredObject, Conditions.POD_RESTORED).orElseThrow().getMessage()).contains(snapName);

            sb.commands().run("echo before-suspend > /tmp/s2");
            sb.suspend();
            assertThat(Conditions.get(sandbox(ns, sb.name()), Conditions.READY).orElseThrow().getReason()).isEqualTo("SandboxSuspended");
            sb.resume();
            assertThat(sb.commands().run("cat /tmp/s2").stdout()).isEqualTo("before-suspend\n");

            Path image = Path.of(daemon.store().get(PodSnapshot.class, ns, snapName).orElseThrow().getStatus().getStorageStatus().getLocal().getObservedPath());
            sb.snapshots().delete(snapName);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(image));
            assertThat(sb.snapshots().list()).extracting(p -> p.getMetadata().getName()).doesNotContain(snapName);

            restored.close();
            for (var f : forks) ok("delete", "-n", ns, "sandbox", f.name());
            sb.close();
        }
        ok("delete", "-n", ns, "sandboxwarmpool", "py");
        await().atMost(Duration.ofSeconds(30)).until(() -> daemon.store().list(Sandbox.class, ns).isEmpty());
    }
}
