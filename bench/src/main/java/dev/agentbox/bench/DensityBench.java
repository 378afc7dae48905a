package dev.agentbox.bench;

import dev.agentbox.api.Resources;
import dev.agentbox.client.AgentboxTls;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Density (issue 14): one agentboxd (in-process, its own state directory) with N idle sandboxes of the cheapest
 * template (the built-in image, {@code sleep infinity}, no probe). Measures, on the empty host and then with the N
 * sandboxes: /healthz p50/p99 and warm claim -> first exec p50 (claims of a 2-member pool, the same in both phases);
 * the fill of the N-member pool (time, sandboxes per second, /healthz during the fill); host memory per sandbox (Pss
 * and Rss of its runsc and shim processes, and the drop of MemAvailable); idle CPU per sandbox over a window.
 */
final class DensityBench {
    private static final String NS = "density";
    private static final int CLAIMS = 30;
    private static final int HEALTHZ = 100;

    private DensityBench() {}

    static void run(int n, Duration idleWindow) throws Exception {
        if (n < 3) throw new IllegalArgumentException("--density must be at least 3 (2 of them are the claim pool), got " + n);
        Path state = Files.createTempDirectory("agentbox-density-bench");
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace: {sandboxes: %1$d, warmPoolReplicas: %1$d}
                  daemon: {sandboxes: %1$d, warmPoolReplicas: %1$d}
                sandboxDefaults: {memory: 64Mi, ephemeralStorage: 16Mi}
                """.formatted(n + 2 * CLAIMS + 10));
        long memBefore = HostProcs.memAvailable();
        Agentboxd daemon = Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", 0).withStopSandboxesOnExit(true));
        try (SandboxClient client = SandboxClient.builder().endpoint(daemon.endpoint().toString()).caFile(daemon.caFile()).token(daemon.adminToken())
                .namespace(NS).build()) {
            HttpClient http = HttpClient.newBuilder().sslContext(AgentboxTls.trusting(daemon.caFile())).connectTimeout(Duration.ofSeconds(10)).build();
            URI healthz = URI.create(daemon.endpoint() + "/healthz");
            client.resources().apply(Resources.parseAll("""
                    apiVersion: extensions.agents.x-k8s.io/v1beta1
                    kind: SandboxTemplate
                    metadata: {name: idle}
                    spec:
                      podTemplate:
                        spec:
                          containers:
                          - {name: main, image: agentbox/builtin, command: ["sleep", "infinity"]}
                    """).get(0));
            client.resources().apply(pool("probe", 2));
            Bench.awaitPoolReady(client, "probe", 2);

            progress("density: empty host: /healthz and warm claims");
            List<Double> healthEmpty = healthz(http, healthz, HEALTHZ);
            List<Double> claimsEmpty = claims(client);

            progress("density: filling a warm pool of " + (n - 2) + " sandboxes (" + n + " with the claim pool)");
            List<Double> healthFill = new ArrayList<>();
            long t0 = System.nanoTime();
            client.resources().apply(pool("many", n - 2));
            long deadline = t0 + Duration.ofMinutes(30).toNanos();
            int ready = 0;
            int reported = 0;
            while ((ready = readyReplicas(client, "many")) < n - 2) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("the pool of " + (n - 2) + " had only " + ready + " ready after 30 minutes");
                if (ready >= reported + 50) {
                    // where the fill is: members created (Sandbox objects), started (a shim runs), Ready
                    int shims = HostProcs.count(c -> c.contains(state.toString()) && c.split(" ")[0].endsWith("agentbox-shim"));
                    progress("density: after %d s: %d members created, %d shims running, %d Ready; load average %s".formatted(
                            Math.round((System.nanoTime() - t0) / 1e9), replicas(client, "many"), shims - 2, ready, HostProcs.loadAverage()));
                    reported = ready;
                }
                healthFill.addAll(healthz(http, healthz, 1));
                Thread.sleep(500);
            }
            double fillSeconds = (System.nanoTime() - t0) / 1e9;
            progress("density: filled in " + Math.round(fillSeconds) + " s; letting the last starts settle");
            Thread.sleep(5000);

            List<Long> procs = HostProcs.pids(HostProcs.runscOf(state.toString()));
            HostProcs.Memory mem = HostProcs.memory(procs);
            long memDrop = memBefore - HostProcs.memAvailable();
            progress("density: idle CPU of " + procs.size() + " runsc and shim processes over " + idleWindow.toSeconds() + " s");
            long self = ProcessHandle.current().pid(); // agentboxd runs in this JVM
            List<Long> measured = new ArrayList<>(procs);
            measured.add(self);
            HostProcs.Cpu all = HostProcs.cpuOver(measured, idleWindow);
            double sandboxesCpu = all.percentOfCoreWithout(self);
            double daemonCpu = all.percentOfCore(self);

            progress("density: " + n + " sandboxes: /healthz and warm claims");
            List<Double> healthDense = healthz(http, healthz, HEALTHZ);
            List<Double> claimsDense = claims(client);

            double rate = (n - 2) / fillSeconds;
            System.out.println();
            System.out.printf("density: %d idle sandboxes (built-in image, sleep infinity, platform %s), load average %s%n", n,
                    daemon.settings().runtime().platform(), HostProcs.loadAverage());
            System.out.printf("  pool fill: %d sandboxes in %.1f s = %.2f sandboxes/s (%.0f ms each); /healthz during the fill p50 %.1f ms p99 %.1f ms (n=%d)%n",
                    n - 2, fillSeconds, rate, 1000 / rate, Bench.p(healthFill, 50), Bench.p(healthFill, 99), healthFill.size());
            System.out.printf("  memory per sandbox: Pss %.1f MiB, Rss %.1f MiB (%d runsc/shim processes); MemAvailable dropped %.1f MiB per sandbox%n",
                    mib(mem.pssBytes()) / n, mib(mem.rssBytes()) / n, mem.processes(), mib(memDrop) / n);
            System.out.printf("  idle CPU over %.0f s: all sandboxes %.2f %% of a core = %.4f %% per sandbox; agentboxd (this JVM) %.2f %%%n",
                    all.seconds(), sandboxesCpu, sandboxesCpu / n, daemonCpu);
            System.out.printf("  %-36s %10s %10s %8s%n", "", "empty host", n + " idle", "ratio");
            ratioRow("/healthz p50", Bench.p(healthEmpty, 50), Bench.p(healthDense, 50));
            ratioRow("/healthz p99", Bench.p(healthEmpty, 99), Bench.p(healthDense, 99));
            ratioRow("warm claim -> first exec p50", Bench.p(claimsEmpty, 50), Bench.p(claimsDense, 50));
            ratioRow("warm claim -> first exec p99", Bench.p(claimsEmpty, 99), Bench.p(claimsDense, 99));
            System.out.printf("  goal: warm claim p50 at density within 1.5x of the empty host: %s%n",
                    Bench.p(claimsDense, 50) <= 1.5 * Bench.p(claimsEmpty, 50) ? "met" : "NOT met");

            Results.put("density.n", n);
            Results.put("density.fillPerSecond", rate);
            Results.put("density.pssPerSandboxMiB", mib(mem.pssBytes()) / n);
            Results.put("density.idleCpuPerSandbox", sandboxesCpu / n);
            Results.put("density.claimRatio", Bench.p(claimsDense, 50) / Bench.p(claimsEmpty, 50));
            Results.put("density.healthzRatio", Bench.p(healthDense, 50) / Bench.p(healthEmpty, 50));
        } finally {
            long t = System.nanoTime();
            daemon.close(); // stops every sandbox (stopSandboxesOnExit)
            progress("density: agentboxd stopped its sandboxes in " + Math.round((System.nanoTime() - t) / 1e6) + " ms");
            int left = HostProcs.pids(HostProcs.runscOf(state.toString())).size();
            if (left > 0) Results.note("density: " + left + " runsc/shim processes were left running under " + state + " (see pgrep -fa " + state + ")");
            else TempDirs.delete(state);
        }
    }

    /** Warm claim -> first exec, as Bench measures it: each claim finds a ready member on a machine not busy with the previous refill. */
    private static List<Double> claims(SandboxClient client) throws Exception {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < Bench.WARM_UP_CLAIMS + CLAIMS; i++) {
            Bench.awaitPoolReady(client, "probe", 2);
            Thread.sleep(200);
            long t0 = System.nanoTime();
            try (Sandbox s = client.createSandbox("probe")) {
                s.commands().run(List.of("true"));
                // the first claims of a fresh daemon compile its code paths: not counted, in both phases alike
                if (i >= Bench.WARM_UP_CLAIMS) out.add((System.nanoTime() - t0) / 1e6);
            }
        }
        return out;
    }

    static List<Double> healthz(HttpClient http, URI uri, int n) throws Exception {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            int code = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (code != 200) throw new IllegalStateException("/healthz answered " + code);
            out.add((System.nanoTime() - t0) / 1e6);
        }
        return out;
    }

    private static int readyReplicas(SandboxClient client, String pool) {
        return statusField(client, pool, "readyReplicas");
    }

    private static int replicas(SandboxClient client, String pool) {
        return statusField(client, pool, "replicas");
    }

    private static int statusField(SandboxClient client, String pool, String field) {
        Object status = client.resources().get(ResourceType.SANDBOX_WARM_POOL, pool).getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> m && m.get(field) instanceof Number r ? r.intValue() : 0;
    }

    private static io.fabric8.kubernetes.api.model.HasMetadata pool(String name, int replicas) {
        return Resources.parseAll("""
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata: {name: %s}
                spec:
                  replicas: %d
                  sandboxTemplateRef: {name: idle}
                """.formatted(name, replicas)).get(0);
    }

    private static void ratioRow(String name, double empty, double dense) {
        System.out.printf("  %-36s %7.1f ms %7.1f ms %7.2fx%n", name, empty, dense, dense / empty);
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    private static void progress(String what) {
        System.err.println("[bench] " + what);
    }
}
