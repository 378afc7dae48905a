package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint and restore of real gVisor sandboxes: memory, processes, files and the exec channel survive. */
class CheckpointRestoreTest {
    @TempDir
    static Path dir;

    static GvisorRuntime runtime;
    static final String P = "ck-" + ProcessHandle.current().pid() + "-";

    static final List<String> COUNTER = List.of("/bin/sh", "-c",
            "i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; echo $i; sleep 0.1; done");
    static final String PYTHON = """
            import os, random, time
            secret = 'v-%d' % random.randrange(10**9)
            n = 0
            while True:
                n += 1
                with open('/tmp/py.tmp', 'w') as f:
                    f.write('%s %d' % (secret, n))
                os.replace('/tmp/py.tmp', '/tmp/py.state')
                time.sleep(0.05)
            """;

    @BeforeAll
    static void setUp() {
        runtime = new GvisorRuntime(dir.resolve("runtime"));
    }

    @AfterAll
    static void cleanUp() {
        if (runtime != null) {
            runtime.stopAll();
            runtime.close();
            assertThat(runtime.listContainers()).isEmpty();
        }
    }

    static SandboxConfig config(String id, List<String> command) {
        return new SandboxConfig(id, ImageStore.BUILTIN, command, Map.of(), "/tmp", 256L << 20, 1000, 64, 1000, 1000,
                false, List.of(SandboxConfig.Volume.disk("scratch", 16L << 20)),
                List.of(new SandboxConfig.Mount("scratch", "/scratch")), "box", 0, SandboxConfig.DEFAULT_CAPABILITIES, List.of());
    }

    static String sh(RunningSandbox sb, String script) throws RuntimeFailure {
        ExecResult r = sb.exec(ExecRequest.shell(script));
        assertThat(r.exitCode()).as("exit code of %s; stderr %s", script, new String(r.stderr(), StandardCharsets.UTF_8)).isZero();
        return new String(r.stdout(), StandardCharsets.UTF_8).strip();
    }

    /** The counter file is rewritten with `echo > file`, which truncates first: retry an empty read. */
    static final String READ_COUNTER = "for i in $(seq 500); do v=$(cat /tmp/counter 2>/dev/null); [ -n \"$v\" ] && break; done; echo $v";

    static long counter(RunningSandbox sb) throws RuntimeFailure {
        return Long.parseLong(sh(sb, READ_COUNTER));
    }

    static void awaitTrue(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met in 20 s");
            Thread.sleep(50);
        }
    }

    @Test
    void restoredSandboxKeepsCounterFilesPythonVariableAndBackgroundProcess() throws Exception {
        RunningSandbox source = runtime.start(config(P + "src", COUNTER));
        source.files().write("/tmp/note.txt", "written before".getBytes(StandardCharsets.UTF_8), 0644);
        source.files().write("/scratch/vol.txt", "in the emptyDir".getBytes(StandardCharsets.UTF_8), 0644);
        source.files().write("/tmp/state.py", PYTHON.getBytes(StandardCharsets.UTF_8), 0644);
        sh(source, "setsid python3 /tmp/state.py >/dev/null 2>&1 < /dev/null &");
        sh(source, "setsid sh -c 'while true; do date +%s%N > /tmp/bg.tick.new; mv /tmp/bg.tick.new /tmp/bg.tick; sleep 0.05; done' >/dev/null 2>&1 < /dev/null &");
        awaitTrue(() -> {
            try {
                return counter(source) >= 5 && source.files().stat("/tmp/py.state") != null;
            } catch (RuntimeFailure e) {
                return false;
            }
        });
        String secret = sh(source, "cat /tmp/py.state").split(" ")[0];

        long before = counter(source);
        CheckpointInfo info = source.checkpoint(dir.resolve("images/one"), true);
        long after = counter(source);
        assertThat(info.sizeBytes()).isPositive();
        assertThat(info.imageDir()).isDirectory();
        assertThat(dir.resolve("images").toFile().list()).contains("one").noneMatch(n -> n.startsWith(".partial")); // no partial leftovers
        // left running: the source keeps counting and serving
        Thread.sleep(300);
        assertThat(counter(source)).isGreaterThan(after);
        source.destroy();

        long t0 = System.nanoTime();
        RunningSandbox restored = runtime.restore(config(P + "dst", COUNTER), info.imageDir());
        long first = counter(restored);
        // it counts on (every 100 ms) from the moment it is restored: at most one tick per 100 ms since then past the checkpoint
        long ticksSince = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) / 100 + 1;
        assertThat(first).as("the restored counter goes on from the checkpointed value").isBetween(before, after + 1 + ticksSince);
        awaitTrue(() -> {
            try {
                return counter(restored) > first + 2;
            } catch (RuntimeFailure e) {
                return false;
            }
        });
        assertThat(sh(restored, "cat /tmp/note.txt")).isEqualTo("written before");
        assertThat(sh(restored, "cat /scratch/vol.txt")).isEqualTo("in the emptyDir");
        String pyBefore = sh(restored, "cat /tmp/py.state");
        assertThat(pyBefore.split(" ")[0]).as("the python variable survived").isEqualTo(secret);
        String tick = sh(restored, "cat /tmp/bg.tick");
        Thread.sleep(300);
        assertThat(sh(restored, "cat /tmp/bg.tick")).as("the background loop still runs").isNotEqualTo(tick);
        assertThat(sh(restored, "cat /tmp/py.state")).isNotEqualTo(pyBefore);
        // the main process's output goes on in the restored sandbox's log, from the checkpointed value
        awaitTrue(() -> {
            try {
                return !Files.readString(restored.logFile()).isBlank();
            } catch (java.io.IOException e) {
                return false;
            }
        });
        long firstLogged = Long.parseLong(Files.readString(restored.logFile()).lines().findFirst().orElseThrow().strip());
        assertThat(firstLogged).isGreaterThanOrEqualTo(before);
        assertThat(restored.mainProcess().running()).isTrue();

        // a second sandbox from the same image (fork) is independent
        RunningSandbox fork = runtime.restore(config(P + "fork", COUNTER), info.imageDir());
        sh(fork, "echo fork-only > /tmp/note.txt");
        assertThat(sh(restored, "cat /tmp/note.txt")).isEqualTo("written before");
        assertThat(sh(fork, "cat /tmp/py.state").split(" ")[0]).isEqualTo(secret);
        fork.destroy();
        restored.destroy();
    }

    @Test
    void checkpointWithoutLeaveRunningStopsTheSandboxAndRestoreResumesIt() throws Exception {
        RunningSandbox sb = runtime.start(config(P + "susp", List.of()));
        sh(sb, "echo 1 > /tmp/cycles");
        Path image = null;
        for (int i = 0; i < 3; i++) {
            image = dir.resolve("images/susp-" + i);
            CheckpointInfo info = sb.checkpoint(image, false);
            assertThat(sb.isAlive()).isFalse();
            assertThat(runtime.listContainers()).doesNotContain(sb.id());
            sb = runtime.restore(config(P + "susp", List.of()), info.imageDir());
            sh(sb, "echo $(( $(cat /tmp/cycles) + 1 )) > /tmp/cycles");
        }
        assertThat(sh(sb, "cat /tmp/cycles")).isEqualTo("4");
        RunningSandbox last = sb;
        last.destroy();
        assertThatThrownBy(() -> last.checkpoint(dir.resolve("images/dead"), true)).isInstanceOf(RuntimeFailure.class);
        assertThat(dir.resolve("images/dead")).doesNotExist();
        assertThat(dir.resolve("images").toFile().list()).noneMatch(n -> n.startsWith(".partial"));
        assertThatThrownBy(() -> runtime.restore(config(P + "none", List.of()), dir.resolve("images/missing")))
                .isInstanceOf(RuntimeFailure.class);
        assertThat(image).isDirectory();
    }

    @Test
    void aProcessInsideCanRequestASnapshotOfItsOwnSandbox() throws Exception {
        RunningSandbox sb = runtime.start(config(P + "wl", List.of()));
        CompletableFuture<String> asked = new CompletableFuture<>();
        sb.onSnapshotRequest(asked::complete);
        ExecResult r = sb.exec(ExecRequest.shell("/.agentbox/init snapshot after-setup"));
        assertThat(new String(r.stdout(), StandardCharsets.UTF_8)).startsWith("ok");
        assertThat(r.exitCode()).isZero();
        assertThat(asked.get(10, TimeUnit.SECONDS)).isEqualTo("after-setup");
        sb.destroy();
    }
}
