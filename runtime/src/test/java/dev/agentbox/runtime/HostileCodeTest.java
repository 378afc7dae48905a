package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks by code running inside a sandbox (issue 9), each on real gVisor: the sandbox must stay usable
 * and within its limits, and nothing inside can reach the agent's channel or PID 1.
 */
class HostileCodeTest {
    @TempDir
    static Path dir;

    static GvisorRuntime runtime;
    static RunningSandbox user;   // the default user (uid 1000)
    static RunningSandbox root;   // commands as root, default capabilities
    static final String P = "hc-" + ProcessHandle.current().pid() + "-";

    @BeforeAll
    static void start() throws Exception {
        runtime = new GvisorRuntime(dir.resolve("runtime"));
        user = runtime.start(config(P + "user", 1000, SandboxConfig.DEFAULT_CAPABILITIES));
        root = runtime.start(config(P + "root", 0, SandboxConfig.DEFAULT_CAPABILITIES));
    }

    @AfterAll
    static void stop() {
        runtime.stopAll();
        runtime.close();
        assertThat(runtime.listContainers()).isEmpty();
    }

    static SandboxConfig config(String id, int uid, Set<String> caps) {
        return new SandboxConfig(id, ImageStore.BUILTIN, List.of(), Map.of(), "/tmp", 512L << 20, 0, 128, uid, uid, false,
                List.of(), List.of(), null, 256L << 20, caps, List.of());
    }

    static ExecResult sh(RunningSandbox sb, String script, int timeoutSeconds) throws RuntimeFailure {
        return sb.exec(new ExecRequest(List.of("/bin/sh", "-c", script), Map.of(), null, null, Duration.ofSeconds(timeoutSeconds), 1 << 20));
    }

    static String out(ExecResult r) {
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    static String err(ExecResult r) {
        return new String(r.stderr(), StandardCharsets.UTF_8);
    }

    /** How many processes the sandbox has, counting PID 1 and the ps that counts. */
    static long processes(RunningSandbox sb) throws RuntimeFailure {
        return out(sb.exec(ExecRequest.of("ps", "-e", "-o", "pid="))).lines().count();
    }

    /** The sandbox answers a new command, and quickly: what a claim would get next. */
    static void assertUsable(RunningSandbox sb) throws RuntimeFailure {
        assertThat(sb.isAlive()).as("sandbox alive").isTrue();
        ExecResult r = sh(sb, "echo usable", 10);
        assertThat(out(r)).isEqualTo("usable\n");
        assertThat(r.duration()).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void writesToTheAgentsFileDescriptorsFailAsRootAndAsTheDefaultUser() throws Exception {
        for (RunningSandbox sb : List.of(root, user)) {
            // 64 garbage bytes, then a fake frame header announcing a 512 MiB frame, into each of PID 1's fds
            ExecResult r = sh(sb, "for fd in 0 1 2; do head -c 64 /dev/urandom > /proc/1/fd/$fd && echo wrote-$fd;"
                    + " printf '\\037\\377\\377\\377\\147\\000\\000\\000\\001' > /proc/1/fd/$fd && echo header-$fd; done;"
                    + " cat /proc/1/fd/0 > /dev/null && echo read-0; true", 10);
            assertThat(out(r)).as("uid " + sb.config().uid() + " reached the agent's channel: " + err(r)).doesNotContain("wrote-", "header-", "read-0");
            assertThat(err(r)).containsAnyOf("No such device or address", "Permission denied");
            assertUsable(sb);
        }
    }

    @Test
    void truncatingAFileOfAReadOnlyHostMountFromInsideLeavesTheHostFileIntact() throws Exception {
        // /.agentbox is a read-only bind of the runtime's agent directory (this test's own temporary directory);
        // measured on this runsc: `: > file` as root inside got EROFS, yet the gofer had truncated the host file
        Path agentDir = dir.resolve("runtime/agent");
        java.nio.file.Files.writeString(agentDir.resolve("canary"), "precious\n");
        long init = java.nio.file.Files.size(agentDir.resolve("init"));
        ExecResult r = sh(root, ": > /.agentbox/canary; : > /.agentbox/init; echo done", 10);
        assertThat(err(r)).contains("Read-only file system");
        assertThat(java.nio.file.Files.readString(agentDir.resolve("canary"))).isEqualTo("precious\n");
        assertThat(java.nio.file.Files.size(agentDir.resolve("init"))).isEqualTo(init);
        // and through the files API, which writes as the agent (with CAP_DAC_OVERRIDE), on a file of the built-in image:
        // its host file (in the image's directory, the root overlay's lower layer, shared by every sandbox) stays intact.
        // The image's generated package list, not one of its package files: those are hard links to the host's /usr.
        Path image = ((dev.agentbox.runtime.internal.LocalImageStore) runtime.images()).rootfs(ImageStore.BUILTIN);
        String inside = "/" + dev.agentbox.runtime.internal.BuiltinImage.PACKAGES_FILE;
        Path host = image.resolve(dev.agentbox.runtime.internal.BuiltinImage.PACKAGES_FILE);
        String before = java.nio.file.Files.readString(host);
        for (RunningSandbox sb : List.of(root, user)) {
            try {
                sb.files().write(inside, new byte[0], 0644);
            } catch (RuntimeFailure refused) {
                // the default user may not write there; root may, into its own overlay
            }
            sh(sb, ": > " + inside + " 2>/dev/null; true", 10);
            assertThat(java.nio.file.Files.readString(host)).as("the image's file on the host after uid " + sb.config().uid()).isEqualTo(before);
        }
        assertUsable(root);
    }

    @Test
    void writingThroughAHardLinkedFileOfTheBuiltinImageFromInsideLeavesItsHostFileIntact() throws Exception {
        // the built-in image's package files are hard links to the host's own /usr files: a write that reached the lower
        // layer would change the host's file. A canary this test creates (outside the rootfs) stands in for such a file,
        // linked into the image the same way; the shim makes the image read-only for the host kernel (agentbox-shim --ro).
        Path image = ((dev.agentbox.runtime.internal.LocalImageStore) runtime.images()).rootfs(ImageStore.BUILTIN);
        String name = "hostile-canary-" + java.util.UUID.randomUUID();
        Path canary = image.getParent().resolveSibling(name);
        Path link = image.resolve("usr/share/" + name);
        java.nio.file.Files.writeString(canary, "precious\n");
        try {
            java.nio.file.Files.createLink(link, canary);
            for (RunningSandbox sb : List.of(root, user)) {
                try {
                    sb.files().write("/usr/share/" + name, new byte[0], 0644);
                } catch (RuntimeFailure refused) {
                    // refused is fine: the point is the host file
                }
                sh(sb, "f=/usr/share/" + name + "; : > $f; echo more >> $f; chmod 777 $f; rm -f $f; true", 10);
                assertThat(java.nio.file.Files.readString(canary)).as("the linked host file after uid " + sb.config().uid()).isEqualTo("precious\n");
                assertThat(java.nio.file.Files.getPosixFilePermissions(canary)).doesNotContain(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
                assertThat(link).exists();
            }
            assertUsable(root);
        } finally {
            java.nio.file.Files.deleteIfExists(link);
            java.nio.file.Files.deleteIfExists(canary);
        }
    }

    @Test
    void killingPidOneFromInsideIsRefused() throws Exception {
        for (RunningSandbox sb : List.of(root, user)) {
            ExecResult r = sh(sb, "kill -9 1; echo rc=$?; kill -STOP 1; echo rc=$?", 10);
            assertThat(out(r)).isEqualTo("rc=1\nrc=1\n");
            assertThat(err(r)).contains("Operation not permitted");
            assertUsable(sb);
        }
    }

    @Test
    void theAgentCannotBeTracedOrReadFromInside() throws Exception {
        ExecResult r = sh(root, "python3 -c \"\nimport ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                + "print('attach', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\n"
                + "try:\n  open('/proc/1/mem', 'rb').read(1); print('mem read')\nexcept OSError as e: print('mem', e.errno)\n\"", 10);
        assertThat(out(r)).contains("attach -1 1").contains("mem 13").doesNotContain("mem read");
    }

    @Test
    void rootCommandsGetTheDefaultCapabilitiesWithoutKillOrPtraceAndOthersNone() throws Exception {
        long rootCaps = Long.parseLong(field(out(sh(root, "grep CapEff /proc/self/status", 10))), 16);
        assertThat(rootCaps & (1L << 5)).as("CAP_KILL").isZero();
        assertThat(rootCaps & (1L << 19)).as("CAP_SYS_PTRACE").isZero();
        assertThat(rootCaps & (1L << 1)).as("CAP_DAC_OVERRIDE").isNotZero();
        long bounding = Long.parseLong(field(out(sh(root, "grep CapBnd /proc/self/status", 10))), 16);
        assertThat(bounding).isEqualTo(rootCaps);
        assertThat(Long.parseLong(field(out(sh(user, "grep CapEff /proc/self/status", 10))), 16)).isZero();
    }

    @Test
    void capabilitiesDropAllLeavesARootCommandWithNone() throws Exception {
        RunningSandbox none = runtime.start(config(P + "nocaps", 0, Set.of()));
        try {
            String status = out(sh(none, "grep -E 'CapEff|CapPrm|CapBnd' /proc/self/status; id -u", 10));
            assertThat(status).contains("CapEff:\t0000000000000000").contains("CapPrm:\t0000000000000000")
                    .contains("CapBnd:\t0000000000000000").endsWith("0\n");
            assertThat(err(sh(none, "chown 1000 /tmp", 10))).contains("Operation not permitted");
        } finally {
            none.destroy();
        }
    }

    private static String field(String line) {
        return line.substring(line.indexOf(':') + 1).strip();
    }

    @Test
    void shellForkBombEndsWithItsCommandsTimeoutAndTheSandboxServesTheNextCommand() throws Exception {
        // The shell returns at once; the bomb's orphans go on forking until the command's timeout ends them all, or
        // die out sooner when their forks fail at the process limit (seen with the ptrace platform: ~1 s). Either way
        // nothing may be left within the timeout plus the agent's grace, and the next command must run.
        ExecResult r = user.exec(new ExecRequest(List.of("bash", "-c", ":(){ :|:& };:"), Map.of(), null, null, Duration.ofSeconds(5), 1 << 20));
        assertThat(r.exitCode()).as(err(r)).isZero();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(processes(user))
                .as("processes left after the bomb besides PID 1 and ps").isEqualTo(2));
        assertUsable(user);
    }

    @Test
    void pythonForkBombEndsAndTheSandboxServesTheNextCommand() throws Exception {
        ExecResult bomb = sh(user, "python3 -c '\nimport os, time\nwhile True:\n  try: os.fork()\n  except OSError: time.sleep(0.01)\n'", 8);
        assertThat(bomb.timedOut() || bomb.oomKilled()).as("ended by its timeout or the memory watchdog").isTrue();
        assertThat(bomb.exitCode()).isEqualTo(137);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(processes(user)).isEqualTo(2));
        assertUsable(user);
    }

    @Test
    void aTimeoutKillsProcessesThatLeftTheCommandsSession() throws Exception {
        ExecResult r = sh(user, "setsid sh -c 'sleep 1000' & (trap '' HUP; nohup sleep 1001 >/dev/null 2>&1 &); sleep 1000", 2);
        assertThat(r.timedOut()).isTrue();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(out(sh(user, "ps -e -o args=", 10))).doesNotContain("sleep 100"));
    }

    @Test
    void backgroundProcessesOfACommandRunUntilItsTimeout() throws Exception {
        ExecResult r = sh(user, "nohup sleep 300 >/dev/null 2>&1 & echo started", 3);
        assertThat(out(r)).isEqualTo("started\n");
        assertThat(r.timedOut()).isFalse();
        assertThat(out(sh(user, "ps -e -o args=", 10))).contains("sleep 300");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(out(sh(user, "ps -e -o args=", 10))).doesNotContain("sleep 300"));
    }

    @Test
    void memoryHogOverTheLimitFailsInsideAndTheSandboxLives() throws Exception {
        ExecResult hog = sh(user, "python3 -c 'b = bytearray(3 << 30); print(len(b))'", 30);
        assertThat(hog.exitCode()).isNotZero();
        assertThat(err(hog)).contains("MemoryError");
        assertUsable(user);
    }

    @Test
    void writingPastTheStorageLimitGetsEnospcAndTheSandboxLives() throws Exception {
        ExecResult w = sh(user, "dd if=/dev/zero of=/tmp/big bs=1M count=2048 2>&1; stat -c 'size=%s' /tmp/big", 60);
        assertThat(out(w)).contains("No space left on device");
        long written = Long.parseLong(out(w).substring(out(w).indexOf("size=") + 5).strip());
        assertThat(written).isLessThanOrEqualTo(256L << 20);
        assertThat(out(sh(user, "rm /tmp/big; echo freed > /tmp/after; cat /tmp/after", 10))).isEqualTo("freed\n");
        assertUsable(user);
    }

    @Test
    void aSlowReaderPausesOnlyItsOwnCommand() throws Exception {
        // one command produces far more than the window while its consumer takes 100 ms per chunk
        java.util.concurrent.atomic.AtomicLong got = new java.util.concurrent.atomic.AtomicLong();
        Thread slow = Thread.ofVirtual().start(() -> {
            try {
                user.exec(new ExecRequest(List.of("/bin/sh", "-c", "head -c 20000000 /dev/zero"), Map.of(), null, null, Duration.ofSeconds(60), 1 << 20),
                        new RunningSandbox.OutputListener() {
                            @Override
                            public void onStdout(byte[] c) {
                                got.addAndGet(c.length);
                                try {
                                    Thread.sleep(100);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }

                            @Override
                            public void onStderr(byte[] c) {}
                        });
            } catch (RuntimeFailure e) {
                // interrupted at the end of the test
            }
        });
        try {
            Thread.sleep(500);
            for (int i = 0; i < 5; i++) assertUsable(user);
            assertThat(got.get()).as("the slow command is paused, not drained into memory").isLessThan(4L << 20);
        } finally {
            slow.interrupt();
            slow.join(10_000);
        }
    }
}
