package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.agentbox.runtime.SandboxConfig.InitContainer;
import dev.agentbox.runtime.SandboxConfig.Mount;
import dev.agentbox.runtime.SandboxConfig.Volume;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods as Kubernetes runs them, on real gVisor: init containers run in order in their own root filesystem (their
 * image's) before the main process, the pod's volumes are shared between containers at each one's mount paths, and
 * host volumes (persistent directories, read-only file volumes) behave as the kubelet's, against the attacks on them.
 */
class InitContainersAndVolumesTest {
    @TempDir
    static Path dir;

    static GvisorRuntime runtime;
    static final String BUSYBOX = "test/busybox";
    RunningSandbox sb;

    @BeforeAll
    static void start() throws Exception {
        runtime = new GvisorRuntime(dir.resolve("runtime"));
        // a second image, as upstream's init containers use busybox: the static busybox and its applets
        Path img = dir.resolve("busybox-rootfs");
        Files.createDirectories(img.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), img.resolve("bin/busybox"));
        for (String applet : List.of("sh", "cat", "echo", "id", "ls", "chown", "mkdir", "touch", "stat", "test", "sleep", "wc", "head")) {
            Files.createSymbolicLink(img.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.createDirectories(img.resolve("etc"));
        Files.writeString(img.resolve("etc/os-release"), "NAME=busybox-for-tests\n");
        runtime.images().importImage(BUSYBOX, img);
    }

    @AfterEach
    void destroy() {
        if (sb != null) sb.destroy();
        sb = null;
    }

    @AfterAll
    static void stop() {
        runtime.stopAll();
        runtime.close();
    }

    static int seq;

    static SandboxConfig pod(List<String> command, List<Volume> volumes, List<Mount> mounts, List<InitContainer> inits) {
        return new SandboxConfig("iv-" + ProcessHandle.current().pid() + "-" + (++seq), ImageStore.BUILTIN, command, Map.of(), "/tmp",
                256L << 20, 0, 64, 1000, 1000, false, volumes, mounts, null, 64L << 20, SandboxConfig.DEFAULT_CAPABILITIES, inits);
    }

    static InitContainer init(String name, String image, String script, int uid, List<Mount> mounts) {
        return new InitContainer(name, image, List.of("/bin/sh", "-c", script), Map.of("WHO", name), null, uid, uid,
                SandboxConfig.DEFAULT_CAPABILITIES, mounts);
    }

    static String sh(RunningSandbox sb, String script) throws RuntimeFailure {
        ExecResult r = sb.exec(ExecRequest.shell(script));
        return new String(r.stdout(), StandardCharsets.UTF_8) + new String(r.stderr(), StandardCharsets.UTF_8);
    }

    @Test
    void initContainersRunInOrderInTheirOwnImageAndTheMainContainerReadsWhatTheyWroteToASharedVolume() throws Exception {
        List<InitContainer> inits = List.of(
                // another image, as root: writes into the volume (seen at /work) and hands the file to the main user
                init("prepare", BUSYBOX, "cat /etc/os-release > /work/from-init; echo $WHO >> /work/from-init; "
                        + "chown 1000:1000 /work/from-init; echo ran-first > /work/order", 0, List.of(new Mount("shared", "/work"))),
                // the built-in image, as another user: sees the first one's file, at its own path
                init("second", ImageStore.BUILTIN, "cat /also/order > /also/order2 && echo then-second >> /also/order2 && id -u >> /also/order2",
                        1000, List.of(new Mount("shared", "/also"))));
        sb = runtime.start(pod(List.of("/bin/sh", "-c", "cp /data/from-init /tmp/main-saw; exec sleep 600"),
                List.of(Volume.disk("shared", 16L << 20)), List.of(new Mount("shared", "/data")), inits));
        await().atMost(Duration.ofSeconds(10)).until(() -> sh(sb, "cat /tmp/main-saw 2>/dev/null").contains("prepare"));
        assertThat(sh(sb, "cat /tmp/main-saw")).isEqualTo("NAME=busybox-for-tests\nprepare\n");
        assertThat(sh(sb, "stat -c '%u' /data/from-init")).isEqualTo("1000\n");
        assertThat(sh(sb, "cat /data/order2")).isEqualTo("ran-first\nthen-second\n1000\n");
        // the main container's root is the built-in image's, not busybox's
        assertThat(sh(sb, "grep -c busybox-for-tests /etc/os-release || true")).isEqualTo("0\n");
        assertThat(Files.readString(runtime.initLogFile(sb.id(), "prepare"))).isEmpty();
    }

    @Test
    void anInitContainersRootIsReadOnlyExceptTmpAndItSeesNeitherTheAgentNorTheMainRoot() throws Exception {
        sb = runtime.start(pod(List.of(), List.of(Volume.disk("out", 1L << 20)), List.of(new Mount("out", "/out")), List.of(
                init("probe", BUSYBOX, "touch /rootfile 2>&1; touch /tmp/ok && echo tmp-writable; test -e /.agentbox/init || echo no-agent;"
                        + " test -e /usr/bin/python3 || echo no-main-root; echo x > /dev/null && echo devnull; head -c 3 /dev/zero | wc -c;"
                        + " ls /proc/self/fd | head -1", 0, List.of(new Mount("out", "/out"))))));
        String log = Files.readString(runtime.initLogFile(sb.id(), "probe"));
        assertThat(log).contains("Read-only file system").contains("tmp-writable").contains("no-agent").contains("no-main-root")
                .contains("devnull").contains("3\n");
    }

    @Test
    void aFailingInitContainerFailsTheStartWithItsNameExitCodeAndOutputAndLeavesNothingRunning() throws Exception {
        SandboxConfig config = pod(List.of("/bin/sh", "-c", "echo main-ran > /tmp/main; sleep 600"), List.of(), List.of(), List.of(
                init("ok", BUSYBOX, "echo fine", 0, List.of()),
                init("breaks", BUSYBOX, "echo about to fail >&2; exit 3", 0, List.of()),
                init("never", BUSYBOX, "echo must-not-run", 0, List.of())));
        assertThatThrownBy(() -> runtime.start(config)).isInstanceOfSatisfying(InitContainerFailure.class, e -> {
            assertThat(e.container()).isEqualTo("breaks");
            assertThat(e.exitCode()).isEqualTo(3);
            assertThat(e.getMessage()).contains("init container breaks exited with 3").contains("about to fail");
        });
        assertThat(Files.readString(runtime.initLogFile(config.id(), "ok"))).isEqualTo("fine\n");
        assertThat(Files.exists(runtime.initLogFile(config.id(), "never"))).isFalse();
        assertThat(runtime.listAttachable()).doesNotContain(config.id());
        assertThatThrownBy(() -> runtime.attach(config)).isInstanceOf(RuntimeFailure.class);
    }

    @Test
    void anInitContainerWhoseCommandIsMissingFailsTheStartSayingSo() {
        SandboxConfig config = pod(List.of(), List.of(), List.of(), List.of(
                new InitContainer("missing", BUSYBOX, List.of("/bin/no-such-tool"), Map.of(), null, 0, 0, Set.of(), List.of())));
        assertThatThrownBy(() -> runtime.start(config)).isInstanceOfSatisfying(InitContainerFailure.class, e -> {
            assertThat(e.container()).isEqualTo("missing");
            assertThat(e.getMessage()).contains("no-such-tool");
        });
    }

    @Test
    void aPersistentHostDirectoryGetsTheWritesOfEveryContainerAndKeepsThemAfterTheSandboxIsGone(@TempDir Path pv) throws Exception {
        Files.writeString(pv.resolve("before"), "from an earlier run\n");
        Volume data = new Volume("data", Volume.Medium.HOST_DIR, 0, pv);
        sb = runtime.start(pod(List.of(), List.of(data), List.of(new Mount("data", "/home/sandbox/work")),
                List.of(init("seed", BUSYBOX, "cat /seed/before > /seed/seen-by-init; mkdir -p /seed/sub; chown -R 1000:1000 /seed", 0,
                        List.of(new Mount("data", "/seed"))))));
        assertThat(sh(sb, "cat /home/sandbox/work/seen-by-init; echo from-main > /home/sandbox/work/sub/main.txt; ls /home/sandbox/work"))
                .isEqualTo("from an earlier run\nbefore\nseen-by-init\nsub\n");
        sb.destroy();
        sb = null;
        assertThat(Files.readString(pv.resolve("sub/main.txt"))).isEqualTo("from-main\n");
        assertThat(Files.readString(pv.resolve("seen-by-init"))).isEqualTo("from an earlier run\n");
    }

    @Test
    void rootInsideCannotWriteOrTruncateTheHostFilesOfAReadOnlyFileVolume(@TempDir Path canary) throws Exception {
        Files.writeString(canary.resolve("config.yaml"), "key: value\n");
        Volume files = new Volume("config", Volume.Medium.HOST_FILES, 0, canary);
        SandboxConfig config = new SandboxConfig("iv-ro-" + ProcessHandle.current().pid(), ImageStore.BUILTIN, List.of(), Map.of(), "/tmp",
                256L << 20, 0, 64, 0, 0, false, List.of(files), List.of(new Mount("config", "/etc/app"), new Mount("config", "/one.yaml", "config.yaml", false)),
                null, 64L << 20, SandboxConfig.DEFAULT_CAPABILITIES, List.of());
        sb = runtime.start(config);
        String out = sh(sb, "id -u; cat /one.yaml; : > /etc/app/config.yaml; echo x >> /one.yaml; python3 -c \"import os; os.open('/etc/app/config.yaml', os.O_WRONLY|os.O_TRUNC)\";"
                + " rm /etc/app/config.yaml; echo new > /etc/app/new; true");
        assertThat(out).startsWith("0\nkey: value\n").contains("Read-only file system");
        assertThat(Files.readString(canary.resolve("config.yaml"))).isEqualTo("key: value\n");
        try (var s = Files.list(canary)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("config.yaml");
        }
    }

    @Test
    void aSubPathThroughASymlinkTheSandboxPlantedNeverBindsTheHostPathItPointsTo(@TempDir Path pv, @TempDir Path canary) throws Exception {
        Files.writeString(canary.resolve("secret"), "host secret\n");
        Files.setPosixFilePermissions(pv, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx")); // the sandbox user writes it
        Volume data = new Volume("data", Volume.Medium.HOST_DIR, 0, pv);
        // first run: code inside plants a symlink in its persistent volume, pointing at a host directory
        sb = runtime.start(pod(List.of(), List.of(data), List.of(new Mount("data", "/data")), List.of()));
        sh(sb, "ln -s " + canary + " /data/escape; ln -s / /data/root");
        assertThat(Files.isSymbolicLink(pv.resolve("escape"))).isTrue();
        sb.destroy();
        sb = null;
        // next run mounts subPath "escape" (and "root"): refused, never bound
        for (String sub : List.of("escape", "root", "escape/secret")) {
            SandboxConfig next = pod(List.of(), List.of(data), List.of(new Mount("data", "/mnt/x", sub, false)), List.of());
            assertThatThrownBy(() -> runtime.start(next)).isInstanceOf(RuntimeFailure.class).hasMessageContaining("symlink");
            assertThat(runtime.listAttachable()).doesNotContain(next.id());
        }
        assertThat(Files.readString(canary.resolve("secret"))).isEqualTo("host secret\n");
    }

    @Test
    void whatADiskVolumeHoldsIsNotCountedAsMemoryWhileAMemoryVolumeIs() throws Exception {
        // 192 MiB of memory, 150 MB written to a disk emptyDir, then a process that holds 100 MB: under Kubernetes' rules
        // only the process counts against the memory limit, so nothing is killed
        SandboxConfig config = new SandboxConfig("iv-mem-" + ProcessHandle.current().pid(), ImageStore.BUILTIN, List.of(), Map.of(), "/tmp",
                192L << 20, 0, 64, 1000, 1000, false, List.of(Volume.disk("scratch", 200L << 20)), List.of(new Mount("scratch", "/scratch")),
                null, 64L << 20, SandboxConfig.DEFAULT_CAPABILITIES, List.of());
        sb = runtime.start(config);
        assertThat(sh(sb, "dd if=/dev/urandom of=/scratch/fill bs=1M count=150 iflag=fullblock 2>&1 | tail -1")).contains("150");
        ExecResult hold = sb.exec(ExecRequest.shell("python3 -c \"import time; b = bytearray(100 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(3); print('survived')\""));
        assertThat(new String(hold.stdout(), StandardCharsets.UTF_8)).isEqualTo("survived\n");
        assertThat(hold.oomKilled()).isFalse();
        assertThat(sh(sb, "ls -l /scratch/fill | awk '{print $5}'")).isEqualTo(Long.toString(150L << 20) + "\n");
    }

    @Test
    void aDiskVolumeStopsAtItsSizeLimit() throws Exception {
        sb = runtime.start(pod(List.of(), List.of(Volume.disk("small", 4L << 20)), List.of(new Mount("small", "/small")), List.of()));
        assertThat(sh(sb, "dd if=/dev/zero of=/small/f bs=1M count=8 2>&1")).contains("No space left on device");
        assertThat(sh(sb, "df -k /small | tail -1 | awk '{print $2}'")).isEqualTo("4096\n");
    }
}
