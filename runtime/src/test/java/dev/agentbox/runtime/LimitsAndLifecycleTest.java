package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits, the main process, leftovers of an earlier runtime, and imported images. */
class LimitsAndLifecycleTest {
    @TempDir
    static Path dir;

    static GvisorRuntime runtime;
    static final String P = "ll-" + ProcessHandle.current().pid() + "-";

    @BeforeAll
    static void init() {
        runtime = new GvisorRuntime(dir.resolve("runtime"));
    }

    @AfterAll
    static void cleanUp() {
        runtime.stopAll();
        runtime.close();
        assertThat(runtime.listContainers()).isEmpty();
    }

    static SandboxConfig config(String id, String image, List<String> command, long mem, int nproc) {
        return new SandboxConfig(id, image, command, Map.of(), null, mem, 0, nproc, 1000, 1000, false, null);
    }

    static String out(ExecResult r) {
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    void forkBombAndMemoryHogAreContainedAndTheSandboxLives() throws Exception {
        RunningSandbox sb = runtime.start(config(P + "limits", ImageStore.BUILTIN, List.of(), 256L << 20, 64));
        try {
            ExecResult bomb = sb.exec(new ExecRequest(List.of("/bin/sh", "-c", "b() { b | b & }; b; sleep 3"), Map.of(), null, null,
                    Duration.ofSeconds(4), 4096));
            // the bomb hits the process limit (fork fails inside); its command's timeout (4 s) then kills every
            // process it made, also the orphans still forking after its shell ended
            assertThat(new String(bomb.stderr(), StandardCharsets.UTF_8)).as("fork failed at the process limit").containsAnyOf("fork", "Resource temporarily unavailable");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(out(sb.exec(ExecRequest.of("ps", "-e", "-o", "pid="))).lines().count()).as("only PID 1 and ps").isEqualTo(2));
            ExecResult next = sb.exec(ExecRequest.of("echo", "alive"));
            assertThat(out(next)).isEqualTo("alive\n");
            assertThat(next.duration()).isLessThan(Duration.ofSeconds(1));

            ExecResult hog = sb.exec(ExecRequest.of("python3", "-c", "b = b'x' * (1 << 30); print(len(b))"));
            assertThat(hog.exitCode()).isNotZero();
            assertThat(out(hog)).isEmpty();
            assertThat(sb.isAlive()).isTrue();
            assertThat(out(sb.exec(ExecRequest.of("echo", "still alive")))).isEqualTo("still alive\n");
        } finally {
            sb.destroy();
        }
        assertThat(sb.isAlive()).isFalse();
        assertThatThrownBy(() -> sb.exec(ExecRequest.of("true"))).isInstanceOf(RuntimeFailure.class);
        sb.destroy(); // idempotent
    }

    @Test
    void processesThatTogetherHoldMoreThanTheMemoryLimitAreKilledByTheShimsWatchdog() throws Exception {
        // each process stays under RLIMIT_AS (the per-process guard); together they go over the sandbox's 128 MiB, which
        // only the shim's memory-cgroup thresholds see. Started at once: the watchdog must be armed by the time a command
        // can run (the shim looked for the cgroup every 500 ms, and such code got the whole sandbox killed by the host)
        RunningSandbox sb = runtime.start(config(P + "watchdog", ImageStore.BUILTIN, List.of(), 128L << 20, 64));
        try {
            String hold = "python3 -c \"import time; b = bytearray(40 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)\"";
            ExecResult hogs = sb.exec(new ExecRequest(List.of("/bin/sh", "-c", "for i in 1 2 3 4; do " + hold + " & done; wait"), Map.of(), null, null,
                    Duration.ofSeconds(25), 4096));
            assertThat(hogs.oomKilled()).as("killed by the watchdog, not by the timeout: " + hogs).isTrue();
            assertThat(hogs.timedOut()).isFalse();
            assertThat(hogs.exitCode()).isEqualTo(137);
            assertThat(sb.isAlive()).isTrue();
            assertThat(out(sb.exec(ExecRequest.of("echo", "alive")))).isEqualTo("alive\n");
        } finally {
            sb.destroy();
        }
    }

    @Test
    void mainProcessOutputGoesToTheLogAndItsExitIsReported() throws Exception {
        RunningSandbox sb = runtime.start(config(P + "main", ImageStore.BUILTIN,
                List.of("/bin/sh", "-c", "echo started as $(id -u); echo oops >&2; sleep 0.3; exit 7"), 0, 0));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> sb.mainProcess().exitCode() != null);
            assertThat(sb.mainProcess()).isEqualTo(new RunningSandbox.MainProcessState(false, 7));
            assertThat(Files.readString(sb.logFile())).contains("started as 1000").contains("oops");
            assertThat(sb.isAlive()).isTrue();
            assertThat(runtime.get(sb.id())).containsSame(sb);
        } finally {
            runtime.destroy(sb.id());
        }
        assertThat(runtime.get(sb.id())).isEmpty();
    }

    @Test
    void destroyRemovesAContainerLeftByAnEarlierRuntime() throws Exception {
        GvisorRuntime earlier = new GvisorRuntime(dir.resolve("shared"));
        earlier.start(config(P + "left", ImageStore.BUILTIN, List.of(), 0, 0));
        // a new runtime instance on the same state directory (as after a JVM restart) finds and removes it
        GvisorRuntime later = new GvisorRuntime(dir.resolve("shared"));
        assertThat(later.listContainers()).containsExactly(P + "left");
        assertThat(later.get(P + "left")).isEmpty();
        later.destroy(P + "left");
        assertThat(later.listContainers()).isEmpty();
        later.destroy(P + "left");
        earlier.stopAll();
        earlier.close();
        later.close();
        assertThat(earlier.listContainers()).isEmpty();
    }

    @Test
    void importedRootfsDirectoryAndImageTarRun() throws Exception {
        assertThatThrownBy(() -> runtime.start(config(P + "nope", "no/such:image", List.of(), 0, 0)))
                .isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("image no/such:image not found; import it with `agentbox image import no/such:image PATH`")
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.NOT_FOUND);
        assertThatThrownBy(() -> runtime.images().importImage("Bad Name", dir)).isInstanceOf(RuntimeFailure.class)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.INVALID);

        Path rootfs = Files.createDirectories(dir.resolve("tiny/etc"));
        Files.writeString(rootfs.resolve("greeting"), "hello from a dir\n");
        runtime.images().importImage("test/tiny-dir:1", dir.resolve("tiny"));

        Path tar = dir.resolve("image.tar");
        writeDockerSave(tar);
        runtime.images().importImage("test/tiny-tar", tar);
        assertThat(runtime.images().list()).contains(ImageStore.BUILTIN, "test/tiny-dir:1", "test/tiny-tar");

        RunningSandbox a = runtime.start(config(P + "img-dir", "test/tiny-dir:1", List.of(), 0, 0));
        RunningSandbox b = runtime.start(config(P + "img-tar", "test/tiny-tar", List.of(), 0, 0));
        try {
            assertThat(new String(a.files().read("/etc/greeting", 0), StandardCharsets.UTF_8)).isEqualTo("hello from a dir\n");
            assertThat(a.exec(ExecRequest.of("/bin/sh", "-c", "true")).exitCode()).isEqualTo(127); // no shell in this image
            assertThat(new String(b.files().read("/etc/greeting", 0), StandardCharsets.UTF_8)).isEqualTo("layer two\n");
            assertThat(b.files().list("/dir")).extracting(FileEntry::name).containsExactly("new");
            assertThatThrownBy(() -> b.files().stat("/etc/removed")).isInstanceOf(RuntimeFailure.class)
                    .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.NOT_FOUND);
            assertThat(b.files().stat("/etc/kept").size()).isEqualTo(5);
        } finally {
            a.destroy();
            b.destroy();
        }
        runtime.images().remove("test/tiny-dir:1");
        assertThat(runtime.images().exists("test/tiny-dir:1")).isFalse();
    }

    /** A `docker save` tar of two layers; the second removes a file (.wh.) and replaces a directory (opaque). */
    static void writeDockerSave(Path target) throws Exception {
        byte[] l1 = tar(Map.of("etc/greeting", "layer one\n", "etc/removed", "bye", "etc/kept", "kept!", "dir/old", "old"));
        byte[] l2 = tar(Map.of("etc/greeting", "layer two\n", "etc/.wh.removed", "", "dir/.wh..wh..opq", "", "dir/new", "new"));
        String manifest = "[{\"Config\":\"config.json\",\"RepoTags\":[\"test/tiny-tar:latest\"],\"Layers\":[\"a/layer.tar\",\"b/layer.tar\"]}]";
        try (OutputStream os = Files.newOutputStream(target); TarArchiveOutputStream t = new TarArchiveOutputStream(os)) {
            put(t, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
            put(t, "config.json", "{}".getBytes(StandardCharsets.UTF_8));
            put(t, "a/layer.tar", l1);
            put(t, "b/layer.tar", l2);
        }
    }

    static byte[] tar(Map<String, String> files) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(bos)) {
            for (var e : new java.util.TreeMap<>(files).entrySet()) put(t, e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8));
        }
        return bos.toByteArray();
    }

    static void put(TarArchiveOutputStream t, String name, byte[] data) throws Exception {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        e.setMode(0644);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }
}
