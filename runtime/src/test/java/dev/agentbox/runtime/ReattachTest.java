package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sandboxes outlive the runtime that started them (issue 10): a new runtime on the same directory re-attaches. */
class ReattachTest {
    @TempDir
    Path dir;

    GvisorRuntime first;
    GvisorRuntime second;
    static final String P = "ra-" + ProcessHandle.current().pid() + "-";

    @AfterEach
    void stop() {
        GvisorRuntime last = new GvisorRuntime(dir.resolve("runtime"));
        last.stopAll();
        last.close();
        assertThat(last.listContainers()).isEmpty();
        assertThat(last.listAttachable()).isEmpty();
    }

    static SandboxConfig config(String id) {
        return new SandboxConfig(id, ImageStore.BUILTIN, List.of("/bin/sh", "-c", "echo main started; while true; do sleep 1; done"),
                Map.of(), "/tmp", 256L << 20, 0, 64, 1000, 1000, false, List.of(), List.of(), null, 128L << 20, SandboxConfig.DEFAULT_CAPABILITIES, List.of());
    }

    static String run(RunningSandbox sb, String script) throws RuntimeFailure {
        ExecResult r = sb.exec(new ExecRequest(List.of("/bin/sh", "-c", script), Map.of(), null, null, Duration.ofMinutes(10), 1 << 20));
        return new String(r.stdout(), StandardCharsets.UTF_8) + new String(r.stderr(), StandardCharsets.UTF_8);
    }

    static final String VALUE_SERVER = "nohup python3 -c \"\nimport socket, os\nvalue = 12345 * 2\n"
            + "s = socket.socket(socket.AF_UNIX)\ns.bind('/tmp/value.sock')\ns.listen()\n"
            + "while True:\n  c, _ = s.accept()\n  c.sendall(str(value).encode())\n  c.close()\n\" >/dev/null 2>&1 &"
            + " while [ ! -S /tmp/value.sock ]; do sleep 0.05; done; echo listening";
    static final String ASK_VALUE = "python3 -c \"\nimport socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/tmp/value.sock')\n"
            + "print(s.recv(100).decode())\n\"";

    @Test
    void aNewRuntimeReattachesWithProcessesMemoryAndFilesIntact() throws Exception {
        first = new GvisorRuntime(dir.resolve("runtime"));
        RunningSandbox sb = first.start(config(P + "keep"));
        assertThat(run(sb, "echo kept > /tmp/file; nohup sleep 1000 >/dev/null 2>&1 & echo ok")).isEqualTo("ok\n");
        assertThat(run(sb, VALUE_SERVER)).isEqualTo("listening\n");
        first.close(); // as agentboxd does on exit (and as a kill -9 does, without asking)
        assertThat(sb.isAlive()).isFalse();

        second = new GvisorRuntime(dir.resolve("runtime"));
        assertThat(second.listAttachable()).containsExactly(P + "keep");
        assertThat(second.listContainers()).containsExactly(P + "keep");
        RunningSandbox again = second.attach(config(P + "keep"));
        assertThat(run(again, "cat /tmp/file")).isEqualTo("kept\n");
        assertThat(run(again, "ps -e -o args=")).contains("sleep 1000").contains("python3");
        assertThat(run(again, ASK_VALUE)).isEqualTo("24690\n");
        assertThat(again.mainProcess().running()).isTrue();
        assertThat(Files.readString(again.logFile())).contains("main started");
        assertThat(second.attach(config(P + "keep"))).isSameAs(again);
        second.close();
    }

    @Test
    void anExecInFlightWhenTheRuntimeDetachesFailsAndItsProcessesEnd() throws Exception {
        first = new GvisorRuntime(dir.resolve("runtime"));
        RunningSandbox sb = first.start(config(P + "inflight"));
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                run(sb, "sleep 777");
                failed.complete(null);
            } catch (Throwable t) {
                failed.complete(t);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> run(sb, "ps -e -o args=").contains("sleep 777"));
        first.close();
        assertThat(failed.get(10, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("not running");
        second = new GvisorRuntime(dir.resolve("runtime"));
        RunningSandbox again = second.attach(config(P + "inflight"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !run(again, "ps -e -o args=").contains("sleep 777"));
        second.close();
    }

    @Test
    void aSandboxThatDiedWhileDetachedIsReportedNotReplaced() throws Exception {
        first = new GvisorRuntime(dir.resolve("runtime"));
        first.start(config(P + "died"));
        first.close();
        // the sandbox's processes die while no runtime is attached (here: runsc kills it)
        new ProcessBuilder("runsc", "--root", dir.resolve("runtime/runsc").toString(), "kill", P + "died", "KILL").start().waitFor();
        second = new GvisorRuntime(dir.resolve("runtime"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(() -> second.attach(config(P + "died")))
                .isInstanceOf(RuntimeFailure.class).hasMessageContaining("stopped while agentboxd was away")
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.FAILED));
        second.destroy(P + "died");
        assertThat(second.listAttachable()).isEmpty();
        second.close();
    }

    @Test
    void aSandboxWhoseShimWasKilledIsReportedNotReplaced() throws Exception {
        first = new GvisorRuntime(dir.resolve("runtime"));
        first.start(config(P + "noshim"));
        first.close();
        long pid = Long.parseLong(Files.readString(dir.resolve("runtime/s/" + P + "noshim.pid")).strip());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        second = new GvisorRuntime(dir.resolve("runtime"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(() -> second.attach(config(P + "noshim")))
                .isInstanceOf(RuntimeFailure.class).hasMessageContaining("shim is gone"));
        second.destroy(P + "noshim");
        assertThat(second.listContainers()).doesNotContain(P + "noshim");
        second.close();
    }

    @Test
    void attachingToASandboxThatWasNeverStartedIsNotFound() {
        second = new GvisorRuntime(dir.resolve("runtime"));
        assertThatThrownBy(() -> second.attach(config(P + "never"))).isInstanceOf(RuntimeFailure.class)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.NOT_FOUND);
        second.close();
    }
}
