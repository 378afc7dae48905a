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
 * Also prints the CPU an idle sandbox costs (every host process of the sandbox, over 10 s with nothing running).
 * Run: mvn -pl runtime test -Dtest=ExecLatencyReportTest [-Dagentbox.platform=systrap|ptrace]; see
 * target/surefire-reports/*-output.txt.
 */
class ExecLatencyReportTest {
    @TempDir
    Path dir;

    @Test
    void printsStartAndExecLatency() throws Exception {
        String platform = System.getProperty("agentbox.platform", GvisorRuntime.Options.DEFAULT_PLATFORM);
        System.out.println("LATENCY platform " + platform);
        try (GvisorRuntime runtime = new GvisorRuntime(dir.resolve("runtime"), new GvisorRuntime.Options("runsc", 0, platform))) {
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
            sb.exec(ExecRequest.of("/bin/true"));
            Thread.sleep(2000);
            long cpu0 = cpuNanosOf(sb.id());
            Thread.sleep(10_000);
            long idle = cpuNanosOf(sb.id()) - cpu0;
            System.out.printf("LATENCY idle sandbox CPU %.2f %% of a core (%d ms in 10 s)%n", idle / 1e7 / 10, idle / 1_000_000);
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

    /** The CPU time of every host process of a sandbox (the shim, runsc, its gofer and Sentry), by command line. */
    static long cpuNanosOf(String id) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(id)).orElse(false))
                .mapToLong(p -> p.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L))
                .sum();
    }

    static double pct(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int idx = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, idx)));
    }
}
