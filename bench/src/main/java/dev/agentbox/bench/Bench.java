package dev.agentbox.bench;

import dev.agentbox.api.Resources;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.client.ResourceType;
import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.ExecResult;
import dev.agentbox.runtime.GvisorRuntime;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prints claim and exec latencies of a real agentboxd (in-process, real gVisor) next to a naive
 * baseline that pays one {@code runsc exec} per command. Run with {@code bench/run [--warm N] [--cold N] [--exec N]};
 * {@code bench/run --claims-per-second CLIENTS [--pool N] [--seconds S]} measures sustained claims/s instead ({@link ClaimThroughput}).
 * Everything goes through the Java SDK over HTTP, as an agent would.
 */
public final class Bench {
    private static final String NS = "bench";
    /** Claims made and not measured before the warm-claim figures. */
    static final int WARM_UP_CLAIMS = 3;

    public static void main(String[] args) throws Exception {
        int warmRuns = intArg(args, "--warm", 30);
        int coldRuns = intArg(args, "--cold", 15);
        int execRuns = intArg(args, "--exec", 300);
        int baselineRuns = intArg(args, "--baseline", 50);
        Path repo = Path.of(System.getProperty("agentbox.repo", "."));
        Path state = Files.createTempDirectory("agentbox-bench");
        int claimClients = intArg(args, "--claims-per-second", 0); // a mode of its own: sustained claims/s (ClaimThroughput)
        int claimPool = intArg(args, "--pool", 50);
        if (claimClients > 0) ClaimThroughput.configure(state, claimClients, claimPool);
        System.out.printf("agentbox benchmark: %d cores, %s, load average %s%n", Runtime.getRuntime().availableProcessors(),
                runscVersion(), Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        try (Agentboxd daemon = Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", 0).withStopSandboxesOnExit(true));
             SandboxClient client = SandboxClient.builder().endpoint(daemon.endpoint().toString()).caFile(daemon.caFile()).token(daemon.adminToken())
                     .namespace(NS).build()) {
            if (claimClients > 0) {
                ClaimThroughput.run(daemon, claimClients, claimPool, intArg(args, "--seconds", 20));
                return;
            }
            String template = Files.readString(repo.resolve("examples/python-runtime-template.yaml"));
            for (HasMetadata o : Resources.parseAll(template)) client.resources().apply(o);
            client.resources().apply(pool("bench-warm", 3));
            client.resources().apply(pool("bench-cold", 0));
            progress("waiting for the warm pool (3 sandboxes)");
            awaitPoolReady(client, "bench-warm", 3);

            // a daemon serves claims for days: the first few of a fresh JVM run interpreted code, and are not what an
            // agent waits for (the exec figures below also start after warm-up rounds)
            for (int i = 0; i < WARM_UP_CLAIMS; i++) {
                awaitPoolReady(client, "bench-warm", 3);
                try (Sandbox s = client.createSandbox("bench-warm")) {
                    s.commands().run(List.of("true"));
                }
            }
            List<Double> warm = new ArrayList<>();
            List<Double> claimOnly = new ArrayList<>();
            List<Double> firstExec = new ArrayList<>();
            for (int i = 0; i < warmRuns; i++) {
                awaitPoolReady(client, "bench-warm", 3); // every claim finds a ready member
                Thread.sleep(200); // and the machine is not busy starting the previous refill
                long t0 = System.nanoTime();
                try (Sandbox s = client.createSandbox("bench-warm")) {
                    long t1 = System.nanoTime();
                    s.commands().run(List.of("true"));
                    warm.add(ms(t0));
                    claimOnly.add((t1 - t0) / 1e6);
                    firstExec.add(ms(t1));
                }
            }
            progress("warm claims done");
            List<Double> cold = new ArrayList<>();
            for (int i = 0; i < coldRuns; i++) {
                long t0 = System.nanoTime();
                try (Sandbox s = client.createSandbox("bench-cold")) {
                    s.commands().run(List.of("true"));
                    cold.add(ms(t0));
                }
                Thread.sleep(300); // let the previous sandbox's teardown finish
            }
            progress("cold claims done");
            List<Double> exec = new ArrayList<>();
            List<Double> naive = new ArrayList<>();
            List<Double> inProcess = new ArrayList<>();
            List<Double> noProcess = new ArrayList<>();
            List<Double> spawnInside = new ArrayList<>();
            List<Double> healthz = new ArrayList<>();
            try (Sandbox s = client.createSandbox("bench-warm")) {
                for (int i = 0; i < 20; i++) s.commands().run(List.of("true"));
                for (int i = 0; i < execRuns; i++) {
                    long t0 = System.nanoTime();
                    s.commands().run(List.of("true"));
                    exec.add(ms(t0));
                }
                String uid = client.resources().get(ResourceType.SANDBOX, s.name()).getMetadata().getUid();
                GvisorRuntime runtime = (GvisorRuntime) daemon.runtime();
                // where an exec's time goes: the same command without HTTP, the agent's round trip without a process,
                // a process start inside gVisor with no agent in the way, and an HTTPS round trip without a sandbox
                RunningSandbox direct = runtime.get("ab-" + uid).orElseThrow();
                for (int i = 0; i < execRuns; i++) {
                    long t0 = System.nanoTime();
                    direct.exec(ExecRequest.of("true"));
                    inProcess.add(ms(t0));
                    t0 = System.nanoTime();
                    direct.files().stat("/");
                    noProcess.add(ms(t0));
                }
                for (int i = 0; i < 5; i++) {
                    ExecResult r = direct.exec(ExecRequest.of("/bin/sh", "-c",
                            "s=$(date +%s%N); i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done; e=$(date +%s%N); echo $(( (e - s) / 100 ))"));
                    spawnInside.add(Long.parseLong(new String(r.stdout(), java.nio.charset.StandardCharsets.UTF_8).strip()) / 1e6);
                }
                java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
                        .sslContext(dev.agentbox.client.AgentboxTls.trusting(daemon.caFile())).build();
                java.net.URI health = java.net.URI.create(daemon.endpoint() + "/healthz");
                DensityBench.healthz(http, health, 20); // the connection and its TLS session, not counted
                healthz.addAll(DensityBench.healthz(http, health, execRuns));
                for (int i = 0; i < baselineRuns; i++) {
                    long t0 = System.nanoTime();
                    runtime.execViaRunscExec("ab-" + uid, List.of("true"));
                    naive.add(ms(t0));
                }
            }
            System.out.printf("%n(after %d warm-up claims and 20 warm-up execs, not counted)%n", WARM_UP_CLAIMS);
            System.out.printf("%-44s %5s %10s %10s   %s%n", "measure", "n", "p50", "p99", "goal");
            row("warm claim -> first exec (SDK, HTTP)", warm, "p50 <= 15 ms, p99 <= 40 ms");
            row("  of which the claim (one round trip)", claimOnly, "");
            row("  of which the first exec", firstExec, "");
            row("cold claim -> first exec (SDK, HTTP)", cold, "p50 <= 700 ms");
            row("exec round trip of `true` (SDK, HTTP)", exec, "p50 <= 8 ms");
            row("baseline: one `runsc exec true` per command", naive, "");
            System.out.printf("%nwhere an exec's time goes%n");
            row("exec `true` through the runtime API (no HTTP)", inProcess, "");
            row("agent round trip without a process (stat /)", noProcess, "");
            row("/bin/true spawned by sh inside (per spawn)", spawnInside, "");
            row("HTTPS round trip GET /healthz", healthz, "");
            System.out.printf("%nexec through agentbox is %.1fx faster than a runsc exec per command (p50)%n", p(naive, 50) / p(exec, 50));
            Results.claims(p(warm, 50), p(cold, 50), p(exec, 50), p(naive, 50)); // for Suite's summary
            Results.put("claims.claimOnly.p50", p(claimOnly, 50));
            Results.put("claims.firstExec.p50", p(firstExec, 50));
            Results.put("claims.execNoHttp.p50", p(inProcess, 50));
            Results.put("claims.spawnInside.p50", p(spawnInside, 50));
        } finally {
            TempDirs.delete(state);
        }
    }

    private static HasMetadata pool(String name, int replicas) {
        return Resources.parseAll("""
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: %s
                spec:
                  replicas: %d
                  sandboxTemplateRef:
                    name: python-runtime
                """.formatted(name, replicas)).get(0);
    }

    static void awaitPoolReady(SandboxClient client, String pool, int ready) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            var p = client.resources().get(ResourceType.SANDBOX_WARM_POOL, pool);
            Object status = p.getAdditionalProperties().get("status");
            if (status instanceof java.util.Map<?, ?> m && m.get("readyReplicas") instanceof Number n && n.intValue() >= ready) return;
            Thread.sleep(50);
        }
        throw new IllegalStateException("warm pool " + pool + " did not reach " + ready + " ready sandboxes in 2 minutes");
    }

    private static void row(String name, List<Double> values, String goal) {
        System.out.printf("%-44s %5d %8.1f ms %7.1f ms   %s%n", name, values.size(), p(values, 50), p(values, 99), goal);
    }

    static double p(List<Double> values, int percentile) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) return Double.NaN;
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    private static void progress(String what) {
        System.err.println("[bench] " + what);
    }

    private static int intArg(String[] args, String name, int fallback) {
        int i = Arrays.asList(args).indexOf(name);
        return i >= 0 && i + 1 < args.length ? Integer.parseInt(args[i + 1]) : fallback;
    }

    private static String runscVersion() {
        try {
            Process p = new ProcessBuilder("runsc", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("runsc ?");
            p.waitFor();
            return out;
        } catch (Exception e) {
            return "runsc version unknown";
        }
    }
}
