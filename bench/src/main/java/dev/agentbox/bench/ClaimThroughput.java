package dev.agentbox.bench;

import dev.agentbox.api.Resources;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.server.Agentboxd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code bench/run --claims-per-second CLIENTS [--pool N] [--seconds S]}: CLIENTS concurrent SDK clients (one connection
 * each) claim a sandbox from a pool of N of the cheapest template, run {@code true} in it, and release it, in a loop for S
 * seconds while the pool refills. Prints claims/s and the claim -> first exec latency, split into warm claims (a pool
 * member) and cold ones (the pool was empty). Every sandbox it makes is deleted at the end.
 */
final class ClaimThroughput {
    private static final String NS = "bench-cps";

    private ClaimThroughput() {}

    /** Quotas for a pool this size plus one held sandbox per client (the defaults allow 50 per namespace). */
    static void configure(Path state, int clients, int pool) throws java.io.IOException {
        int sandboxes = 2 * (clients + pool) + 10;
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace: {sandboxes: %d, warmPoolReplicas: %d}
                  daemon: {sandboxes: %d, warmPoolReplicas: %d}
                """.formatted(sandboxes, pool, sandboxes, pool));
    }

    static void run(Agentboxd daemon, int clients, int poolSize, int seconds) throws Exception {
        try (SandboxClient admin = client(daemon)) {
            admin.resources().apply(Resources.parseAll("""
                    apiVersion: extensions.agents.x-k8s.io/v1beta1
                    kind: SandboxTemplate
                    metadata:
                      name: tiny
                    spec:
                      podTemplate:
                        spec:
                          containers:
                          - name: main
                            image: agentbox/builtin
                            command: ["sleep", "infinity"]
                            resources:
                              limits: {cpu: "1", memory: 128Mi}
                    """).get(0));
            admin.resources().apply(Resources.parseAll("""
                    apiVersion: extensions.agents.x-k8s.io/v1beta1
                    kind: SandboxWarmPool
                    metadata:
                      name: tiny
                    spec:
                      replicas: %d
                      sandboxTemplateRef:
                        name: tiny
                    """.formatted(poolSize)).get(0));
            System.err.printf("[bench] waiting for the pool of %d%n", poolSize);
            awaitReady(admin, poolSize);
            Thread.sleep(1000); // let the last starts settle
            allAtOnce(daemon, admin, clients, poolSize);

            List<Double> warm = Collections.synchronizedList(new ArrayList<>());
            List<Double> cold = Collections.synchronizedList(new ArrayList<>());
            List<Long> warmDone = Collections.synchronizedList(new ArrayList<>()); // when each warm claim's exec was done
            AtomicInteger failures = new AtomicInteger();
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(seconds).toNanos();
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                workers.add(Thread.ofVirtual().start(() -> {
                    try (SandboxClient c = client(daemon)) {
                        c.resources().list(ResourceType.SANDBOX_WARM_POOL, null); // the connection is open before the clock runs
                        while (System.nanoTime() < end) {
                            long t0 = System.nanoTime();
                            try (Sandbox s = c.createSandbox("tiny")) {
                                s.commands().run(List.of("true"));
                                double ms = (System.nanoTime() - t0) / 1e6;
                                // a cold sandbox is named after its claim; a warm one is a pool member's name
                                boolean isCold = s.name().equals(s.claimName());
                                (isCold ? cold : warm).add(ms);
                                if (!isCold) warmDone.add(System.nanoTime() - start);
                            } catch (RuntimeException e) {
                                failures.incrementAndGet();
                                System.err.println("[bench] claim failed: " + e.getMessage());
                            }
                        }
                    }
                }));
            }
            for (Thread t : workers) t.join();
            double took = (System.nanoTime() - start) / 1e9;
            int total = warm.size() + cold.size();
            System.out.printf("%nclaims/s with %d concurrent clients, pool of %d refilling, %d s, load average %s%n", clients, poolSize, seconds,
                    Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            System.out.printf("%-44s %5s %10s %10s%n", "measure", "n", "p50", "p99");
            row("warm claim -> first exec (pool member)", warm);
            row("cold claim -> first exec (pool was empty)", cold);
            System.out.printf("claims: %d in %.1f s = %.1f claims/s (warm %.1f/s), %d failed; goal >= 100 warm claims/s%n",
                    total, took, total / took, warm.size() / took, failures.get());
            // the claim path's own rate: how fast the members that were ready at the start were handed out (after that the
            // rate is the refill's, one gVisor start per warm claim)
            List<Long> done = new ArrayList<>(warmDone);
            Collections.sort(done);
            int burst = Math.min(poolSize, done.size());
            if (burst > 0) {
                double burstSeconds = done.get(burst - 1) / 1e9;
                System.out.printf("burst: the first %d warm claims (the pool's ready members) done in %.2f s = %.1f warm claims/s%n",
                        burst, burstSeconds, burst / burstSeconds);
                Results.put("throughput.burstWarmClaimsPerSecond", burst / burstSeconds);
            }
            Results.put("throughput.claimsPerSecond", total / took);
            Results.put("throughput.warmClaimsPerSecond", warm.size() / took);
            admin.resources().delete(ResourceType.SANDBOX_WARM_POOL, "tiny");
            awaitNoSandboxes(admin);
        }
    }

    /**
     * The claim path's own capacity, without the refill in the way: every client claims a member of the ready pool at
     * the same moment, runs {@code true} in it and keeps it; claims/s = clients / the time until the last one ran.
     * Then they are released and the pool refills before the sustained phase.
     */
    private static double allAtOnce(Agentboxd daemon, SandboxClient admin, int clients, int poolSize) throws Exception {
        List<SandboxClient> conns = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            SandboxClient c = client(daemon);
            c.resources().list(ResourceType.SANDBOX_WARM_POOL, null); // connected before the clock runs
            conns.add(c);
        }
        List<Sandbox> held = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger warm = new AtomicInteger();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (SandboxClient c : conns) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                    Sandbox s = c.createSandbox("tiny");
                    held.add(s);
                    s.commands().run(List.of("true"));
                    if (!s.name().equals(s.claimName())) warm.incrementAndGet();
                } catch (Exception e) {
                    System.err.println("[bench] claim failed: " + e.getMessage());
                }
            }));
        }
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread t : threads) t.join();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%nall at once: %d clients each claimed a member of the ready pool of %d and ran `true`: %d done (%d warm) in %.2f s = %.1f claims/s%n",
                clients, poolSize, held.size(), warm.get(), seconds, held.size() / seconds);
        for (Sandbox s : held) s.close();
        for (SandboxClient c : conns) c.close();
        awaitReady(admin, poolSize);
        Thread.sleep(1000);
        Results.put("throughput.allAtOnceClaimsPerSecond", held.size() / seconds);
        return held.size() / seconds;
    }

    private static SandboxClient client(Agentboxd daemon) {
        return SandboxClient.builder().endpoint(daemon.endpoint().toString()).caFile(daemon.caFile()).token(daemon.adminToken()).namespace(NS).build();
    }

    private static void row(String name, List<Double> values) {
        System.out.printf("%-44s %5d %8.1f ms %7.1f ms%n", name, values.size(), Bench.p(values, 50), Bench.p(values, 99));
    }

    private static void awaitReady(SandboxClient client, int ready) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            Object status = client.resources().get(ResourceType.SANDBOX_WARM_POOL, "tiny").getAdditionalProperties().get("status");
            if (status instanceof java.util.Map<?, ?> m && m.get("readyReplicas") instanceof Number n && n.intValue() >= ready) return;
            Thread.sleep(100);
        }
        throw new IllegalStateException("the pool did not reach " + ready + " ready sandboxes in 5 minutes");
    }

    private static void awaitNoSandboxes(SandboxClient client) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline && !client.resources().list(ResourceType.SANDBOX, null).isEmpty()) Thread.sleep(200);
    }
}
