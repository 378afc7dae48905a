package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints start-to-hello latency and the exec round trip of /bin/true through the agent, with a
 * per-command `runsc exec` baseline. Figures only, no timed asserts (timing goals live in benchmarks).
 * Run: mvn -pl runtime test -Dtest=ExecLatencyReportTest; see target/surefire-reports/*-output.txt.
 */
class ExecLatencyReportTest {
    @TempDir
    Path dir;

    @Test
    void printsStartAndExecLatency() throws Exception {
        try (GvisorRuntime runtime = new GvisorRuntime(dir.resolve("runtime"))) {
            List<Double> starts = new ArrayList<>();
            String id = "lat-" + ProcessHandle.current().pid();
            for (int i = 0; i < 5; i++) {
                SandboxConfig c = new SandboxConfig(id + "-" + i, ImageStore.BUILTIN, List.of(), Map.of(), null, 256L << 20, 0, 0, 1000, 1000,
                        false, null);
                long t0 = System.nanoTime();
                RunningSandbox sb = runtime.start(c);
                starts.add((System.nanoTime() - t0) / 1e6);
                if (i < 4) sb.destroy();
            }
            RunningSandbox sb = runtime.get(id + "-4").orElseThrow();
            for (int i = 0; i < 20; i++) sb.exec(ExecRequest.of("/bin/true"));
            List<Double> agent = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long t0 = System.nanoTime();
                assertThat(sb.exec(ExecRequest.of("/bin/true")).exitCode()).isZero();
                agent.add((System.nanoTime() - t0) / 1e6);
            }
            List<Double> hello = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long t0 = System.nanoTime();
                ((dev.agentbox.runtime.internal.GvisorSandbox) sb).hello(java.time.Duration.ofSeconds(5));
                hello.add((System.nanoTime() - t0) / 1e6);
            }
            System.out.printf("LATENCY hello round trip (no process) p50 %.2f ms p99 %.2f ms%n", pct(hello, 50), pct(hello, 99));
            List<Double> baseline = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                long t0 = System.nanoTime();
                runtime.execViaRunscExec(sb.id(), List.of("/bin/true"));
                baseline.add((System.nanoTime() - t0) / 1e6);
            }
            System.out.printf("LATENCY start->hello p50 %.1f ms max %.1f ms (n=%d)%n", pct(starts, 50), pct(starts, 100), starts.size());
            System.out.printf("LATENCY exec /bin/true via agent p50 %.2f ms p99 %.2f ms (n=%d)%n", pct(agent, 50), pct(agent, 99), agent.size());
            System.out.printf("LATENCY exec /bin/true via runsc exec (baseline) p50 %.2f ms p99 %.2f ms (n=%d)%n", pct(baseline, 50), pct(baseline, 99), baseline.size());
            runtime.stopAll();
            runtime.close();
            assertThat(runtime.listContainers()).isEmpty();
        }
    }

    static double pct(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int idx = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, idx)));
    }
}
