package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exec, files and isolation against one real gVisor sandbox. */
class GvisorRuntimeTest {
    @TempDir
    static Path dir;

    static GvisorRuntime runtime;
    static RunningSandbox sb;

    @BeforeAll
    static void startSandbox() throws Exception {
        runtime = new GvisorRuntime(dir.resolve("runtime"));
        sb = runtime.start(config("rt-main-" + ProcessHandle.current().pid(), 1000, 256L << 20, 64));
    }

    static SandboxConfig config(String id, int uid, long mem, int nproc) {
        return new SandboxConfig(id, ImageStore.BUILTIN, List.of(), Map.of("GREETING", "hi"), "/tmp", mem, 1000, nproc, uid, uid,
                false, List.of(SandboxConfig.Volume.disk("scratch", 16L << 20)),
                List.of(new SandboxConfig.Mount("scratch", "/scratch")), "box", 0, SandboxConfig.DEFAULT_CAPABILITIES, List.of());
    }

    @AfterAll
    static void cleanUp() {
        if (runtime != null) {
            runtime.stopAll();
            runtime.close();
            assertThat(runtime.listContainers()).isEmpty();
        }
    }

    static String out(ExecResult r) {
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    static String err(ExecResult r) {
        return new String(r.stderr(), StandardCharsets.UTF_8);
    }

    @Test
    void execReturnsStdoutStderrAndExitCode() throws Exception {
        ExecResult r = sb.exec(ExecRequest.shell("echo out; echo err >&2; exit 3"));
        assertThat(out(r)).isEqualTo("out\n");
        assertThat(err(r)).isEqualTo("err\n");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.timedOut()).isFalse();
    }

    @Test
    void execPassesStdinEnvAndWorkingDirAndRunsAsTheConfiguredUser() throws Exception {
        ExecResult r = sb.exec(new ExecRequest(List.of("/bin/sh", "-c", "cat; echo \" $GREETING $EXTRA $(pwd) $(id -u):$(id -g) $(hostname)\""),
                Map.of("EXTRA", "there"), "/scratch", "from stdin".getBytes(StandardCharsets.UTF_8), null, 0));
        assertThat(out(r)).isEqualTo("from stdin hi there /scratch 1000:1000 box\n");
    }

    @Test
    void unknownCommandExitsWith127() throws Exception {
        ExecResult r = sb.exec(ExecRequest.of("no-such-command-xyz"));
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(err(r)).contains("no-such-command-xyz");
    }

    @Test
    void concurrentExecsOnOneSandboxGetTheirOwnOutput() throws Exception {
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ExecResult>> fs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                fs.add(ex.submit(() -> sb.exec(ExecRequest.shell("sleep 0.$((RANDOM % 3)); echo " + n + "; exit " + n))));
            }
            for (int i = 0; i < 20; i++) {
                ExecResult r = fs.get(i).get();
                assertThat(out(r)).isEqualTo(i + "\n");
                assertThat(r.exitCode()).isEqualTo(i);
            }
        }
    }

    @Test
    void listenerReceivesOutputWhileTheCommandRuns() throws Exception {
        List<String> chunks = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecResult r = sb.exec(ExecRequest.shell("echo one; sleep 0.3; echo two >&2"), new RunningSandbox.OutputListener() {
            @Override
            public void onStdout(byte[] c) {
                chunks.add("out:" + new String(c, StandardCharsets.UTF_8));
            }

            @Override
            public void onStderr(byte[] c) {
                chunks.add("err:" + new String(c, StandardCharsets.UTF_8));
            }
        });
        assertThat(chunks).containsExactly("out:one\n", "err:two\n");
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void commandOverItsTimeoutIsKilledAndReportedTimedOut() throws Exception {
        ExecResult r = sb.exec(new ExecRequest(List.of("/bin/sh", "-c", "sleep 30 & sleep 30; echo never"), Map.of(), null, null,
                Duration.ofMillis(500), 0));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(r.duration()).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void hundredMegabytesOfOutputAreCappedAndTheSandboxStillAnswers() throws Exception {
        AtomicLong streamed = new AtomicLong();
        ExecResult r = sb.exec(new ExecRequest(List.of("/bin/sh", "-c", "head -c 100000000 /dev/zero; echo done >&2"), Map.of(), null, null,
                null, 1 << 20), new RunningSandbox.OutputListener() {
            @Override
            public void onStdout(byte[] c) {
                streamed.addAndGet(c.length);
            }

            @Override
            public void onStderr(byte[] c) {}
        });
        String marker = "\n[agentbox: output truncated at 1048576 bytes]\n";
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stdout().length).isEqualTo((1 << 20) + marker.length());
        assertThat(out(r)).endsWith(marker);
        assertThat(err(r)).isEqualTo("done\n");
        assertThat(r.exitCode()).isZero();
        assertThat(streamed.get()).isEqualTo((1 << 20) + marker.length());
        assertThat(out(sb.exec(ExecRequest.of("echo", "alive")))).isEqualTo("alive\n");
    }

    @Test
    void filesRoundTripInsideTheSandbox() throws Exception {
        RunningSandbox.SandboxFiles f = sb.files();
        f.write("/scratch/dir/a.txt", "hello".getBytes(StandardCharsets.UTF_8), 0600);
        f.write("rel.txt", "relative".getBytes(StandardCharsets.UTF_8), 0644);
        assertThat(new String(f.read("/scratch/dir/a.txt", 0), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(new String(f.read("/tmp/rel.txt", 0), StandardCharsets.UTF_8)).isEqualTo("relative");
        FileEntry st = f.stat("/scratch/dir/a.txt");
        assertThat(st.type()).isEqualTo("file");
        assertThat(st.size()).isEqualTo(5);
        assertThat(st.mode()).isEqualTo(0600);
        assertThat(st.name()).isEqualTo("a.txt");
        f.mkdir("/scratch/x/y", true);
        assertThat(f.list("/scratch")).extracting(FileEntry::name).containsExactly("dir", "x");
        assertThat(f.list("/scratch/dir")).extracting(FileEntry::path).containsExactly("/scratch/dir/a.txt");
        // the command sees the file, owned by the sandbox user
        assertThat(out(sb.exec(ExecRequest.shell("cat /scratch/dir/a.txt; stat -c ' %u' /scratch/dir/a.txt")))).isEqualTo("hello 1000\n");
        assertThatThrownBy(() -> f.delete("/scratch/dir", false)).isInstanceOf(RuntimeFailure.class)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.INVALID);
        f.delete("/scratch/dir", true);
        assertThatThrownBy(() -> f.stat("/scratch/dir/a.txt")).isInstanceOf(RuntimeFailure.class)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.NOT_FOUND);
        assertThatThrownBy(() -> f.read("/scratch/missing", 0)).isInstanceOf(RuntimeFailure.class)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.NOT_FOUND);
        f.write("/scratch/big", new byte[1000], 0644);
        assertThatThrownBy(() -> f.read("/scratch/big", 10)).isInstanceOf(RuntimeFailure.class).hasMessageContaining("read limit");
    }

    @Test
    void pathTricksAreRejected() throws Exception {
        RunningSandbox.SandboxFiles f = sb.files();
        for (String p : List.of("/tmp/../etc/passwd", "../etc/passwd", "/proc/self/environ", "/sys/kernel", "/dev/null", "/.agentbox/init")) {
            assertThatThrownBy(() -> f.read(p, 0)).as(p).isInstanceOf(RuntimeFailure.class).hasMessageContaining(p)
                    .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.INVALID);
        }
        // a symlink made inside the sandbox does not lead there either
        sb.exec(ExecRequest.shell("ln -sf /proc/self /tmp/p"));
        assertThatThrownBy(() -> f.read("/tmp/p/environ", 0)).isInstanceOf(RuntimeFailure.class)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.INVALID);
    }

    @Test
    void kernelIsGvisorNotTheHost() throws Exception {
        String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertThat(out(sb.exec(ExecRequest.of("uname", "-r"))).strip()).isNotEqualTo(hostKernel);
        assertThat(out(sb.exec(ExecRequest.shell("dmesg 2>/dev/null || cat /proc/version")))).containsIgnoringCase("gvisor");
    }

    @Test
    void thereIsNoNetwork() throws Exception {
        String script = """
                import socket, sys
                for host in ("127.0.0.1", "1.1.1.1"):
                    s = socket.socket(); s.settimeout(2)
                    try:
                        s.connect((host, 22 if host.startswith("127") else 443)); print(host, "connected")
                    except OSError as e:
                        print(host, "failed")
                """;
        ExecResult r = sb.exec(new ExecRequest(List.of("python3", "-c", script), Map.of(), null, null, null, 0));
        assertThat(out(r)).isEqualTo("127.0.0.1 failed\n1.1.1.1 failed\n");
        assertThat(out(sb.exec(ExecRequest.shell("cat /sys/class/net/*/address 2>/dev/null; ls /sys/class/net")))).doesNotContain("eth");
    }

    @Test
    void hostSecretsAreInvisible() throws Exception {
        ExecResult r = sb.exec(ExecRequest.shell("ls /etc/shadow /etc/ssh 2>&1"));
        assertThat(out(r)).contains("'/etc/shadow': No such file").contains("'/etc/ssh': No such file");
        // the agent runs as root inside: it sees everything there is
        assertThat(sb.files().list("/root")).isEmpty();
        assertThat(sb.files().list("/home")).extracting(FileEntry::name).containsExactly("sandbox");
        // nothing in the sandbox user's home but empty directories: mount points other sandboxes' volumes made in the
        // shared image (InitContainersAndVolumesTest mounts one at /home/sandbox/work)
        for (FileEntry e : sb.files().list("/home/sandbox")) {
            assertThat(e.type()).as(e.path()).isEqualTo("dir");
            assertThat(sb.files().list(e.path())).as(e.path()).isEmpty();
        }
        assertThat(out(sb.exec(ExecRequest.shell("find / -xdev -name 'runtime' -path '*agentbox*' 2>/dev/null | head -1")))).isEmpty();
    }

    @Test
    void pythonComputesTheFiftySixthPrime() throws Exception {
        ExecResult r = sb.exec(ExecRequest.of("python3", "-c",
                "ps=[n for n in range(2,400) if all(n%d for d in range(2,n))]; print(ps[55])"));
        assertThat(out(r)).isEqualTo("263\n");
    }
}
