package dev.agentbox.bench;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The heavy template through agentboxd (in-process, real gVisor): a cold claim (claim env forces a cold start, so
 * its pod spec differs and it cannot restore) vs a warm claim from a pool, and the pool's refill after a hand-over,
 * first with cold-started members, then with members restored from a snapshot of a member. Each figure ends at
 * the first exec that sees the init done ({@code cat /tmp/ready}).
 */
final class SnapshotDaemonBench {
    private SnapshotDaemonBench() {}

    static void run(int runs) throws Exception {
        Path dir = Files.createTempDirectory("snapbench-daemon");
        try (Agentboxd d = Agentboxd.start(new AgentboxdConfig(dir, "127.0.0.1", 0).withStopSandboxesOnExit(true))) {
            HttpClient http = HttpClient.newBuilder().sslContext(dev.agentbox.client.AgentboxTls.trusting(d.caFile())).build();
            String token = d.adminToken();
            String base = d.endpoint().toString();
            String cmd = "[" + String.join(", ", SnapshotBench.HEAVY.stream().map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"").toList()) + "]";
            post(http, base + "/apis/podsnapshot.gke.io/v1/podsnapshotstorageconfigs", token, """
                    {"apiVersion":"podsnapshot.gke.io/v1","kind":"PodSnapshotStorageConfig","metadata":{"name":"local"},
                     "spec":{"snapshotStorageConfig":{"local":{"path":"%s"}}}}""".formatted(dir.resolve("images")));
            post(http, base + "/apis/podsnapshot.gke.io/v1/namespaces/default/podsnapshotpolicies", token, """
                    {"apiVersion":"podsnapshot.gke.io/v1","kind":"PodSnapshotPolicy","metadata":{"name":"heavy"},
                     "spec":{"storageConfigName":"local","selector":{"matchLabels":{"app":"heavy"}},"triggerConfig":{"type":"manual"}}}""");
            post(http, base + "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxtemplates", token, """
                    {"apiVersion":"extensions.agents.x-k8s.io/v1beta1","kind":"SandboxTemplate","metadata":{"name":"heavy"},
                     "spec":{"podTemplate":{"metadata":{"labels":{"app":"heavy"}},"spec":{"containers":[{"name":"main","image":"agentbox/builtin",
                     "command":%s,"resources":{"limits":{"memory":"1Gi"}}}]}}}}""".formatted(cmd));
            post(http, base + "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxwarmpools", token, """
                    {"apiVersion":"extensions.agents.x-k8s.io/v1beta1","kind":"SandboxWarmPool","metadata":{"name":"heavy"},
                     "spec":{"replicas":1,"sandboxTemplateRef":{"name":"heavy"}}}""");
            String member = awaitInitialisedMember(d, http, base, token, Set.of());

            List<Double> cold = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                String sb = claim(d, http, base, token, "cold-" + i, true);
                awaitInit(http, base, token, sb);
                cold.add(SnapshotBench.ms(t0));
                delete(http, base, token, "cold-" + i);
            }
            List<Double> warmCold = new ArrayList<>(), refillCold = new ArrayList<>();
            member = claims(d, http, base, token, "wc", runs, member, warmCold, refillCold);

            post(http, base + "/apis/podsnapshot.gke.io/v1/namespaces/default/podsnapshotmanualtriggers", token, """
                    {"apiVersion":"podsnapshot.gke.io/v1","kind":"PodSnapshotManualTrigger","metadata":{"name":"t"},"spec":{"targetPod":"%s"}}""".formatted(member));
            await(() -> d.store().get(PodSnapshotManualTrigger.class, "default", "t").map(t -> Conditions.get(t, Conditions.TRIGGERED).isPresent()).orElse(false));
            // the member that was snapshotted is cold-started; hand it over once so the pool holds a restored member
            member = claims(d, http, base, token, "prime", 1, member, new ArrayList<>(), new ArrayList<>());
            List<Double> warmRestored = new ArrayList<>(), refillRestored = new ArrayList<>();
            claims(d, http, base, token, "wr", runs, member, warmRestored, refillRestored);

            System.out.printf("through agentboxd, heavy template (%d runs each, medians; p99 in brackets):%n", runs);
            System.out.printf("  cold claim -> first exec:                        %.0f ms (%.0f)%n", SnapshotBench.pct(cold, 50), SnapshotBench.pct(cold, 99));
            System.out.printf("  warm claim -> first exec, pool filled cold:      %.0f ms (%.0f)%n", SnapshotBench.pct(warmCold, 50), SnapshotBench.pct(warmCold, 99));
            System.out.printf("  warm claim -> first exec, pool filled by restore: %.0f ms (%.0f)%n", SnapshotBench.pct(warmRestored, 50), SnapshotBench.pct(warmRestored, 99));
            System.out.printf("  pool refill after a claim (new member initialised), cold:       %.0f ms (%.0f)%n", SnapshotBench.pct(refillCold, 50), SnapshotBench.pct(refillCold, 99));
            System.out.printf("  pool refill after a claim (new member initialised), by restore: %.0f ms (%.0f)  => %.1fx faster%n",
                    SnapshotBench.pct(refillRestored, 50), SnapshotBench.pct(refillRestored, 99), SnapshotBench.pct(refillCold, 50) / SnapshotBench.pct(refillRestored, 50));
            for (Sandbox s : d.store().list(Sandbox.class, "default")) {
                http.send(HttpRequest.newBuilder(URI.create(base + "/apis/agents.x-k8s.io/v1beta1/namespaces/default/sandboxes/" + s.getMetadata().getName()))
                        .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            }
            http.send(HttpRequest.newBuilder(URI.create(base + "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxwarmpools/heavy"))
                    .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            await(() -> d.store().list(Sandbox.class, "default").isEmpty());
        }
    }

    /** n warm claims in a row: claim -> first exec, and hand-over -> the refilled member initialised. Returns the last new member. */
    static String claims(Agentboxd d, HttpClient http, String base, String token, String prefix, int n, String member,
                         List<Double> claimMs, List<Double> refillMs) throws Exception {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            String sb = claim(d, http, base, token, prefix + i, false);
            awaitInit(http, base, token, sb);
            claimMs.add(SnapshotBench.ms(t0));
            long t1 = System.nanoTime();
            member = awaitInitialisedMember(d, http, base, token, Set.of(sb));
            refillMs.add(SnapshotBench.ms(t1));
            delete(http, base, token, prefix + i);
        }
        return member;
    }

    static String claim(Agentboxd d, HttpClient http, String base, String token, String name, boolean cold) throws Exception {
        post(http, base + "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxclaims", token, """
                {"apiVersion":"extensions.agents.x-k8s.io/v1beta1","kind":"SandboxClaim","metadata":{"name":"%s"},
                 "spec":{"warmPoolRef":{"name":"heavy"}%s}}""".formatted(name, cold ? ",\"env\":[{\"name\":\"COLD\",\"value\":\"1\"}]" : ""));
        await(() -> d.store().get(SandboxClaim.class, "default", name).map(Conditions::isReady).orElse(false));
        return d.store().get(SandboxClaim.class, "default", name).orElseThrow().getStatus().getSandbox().getName();
    }

    static String awaitInitialisedMember(Agentboxd d, HttpClient http, String base, String token, Set<String> not) throws Exception {
        String[] found = new String[1];
        await(() -> {
            for (Sandbox s : d.store().list(Sandbox.class, "default")) {
                String name = s.getMetadata().getName();
                boolean member = s.getMetadata().getLabels() == null || !s.getMetadata().getLabels().containsKey(dev.agentbox.api.Names.CLAIM_UID_LABEL);
                if (member && !not.contains(name) && Conditions.isReady(s) && initialised(http, base, token, name)) {
                    found[0] = name;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    static void awaitInit(HttpClient http, String base, String token, String sandbox) throws Exception {
        await(() -> initialised(http, base, token, sandbox));
    }

    static boolean initialised(HttpClient http, String base, String token, String sandbox) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/default/sandboxes/" + sandbox + "/exec"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString("{\"shell\":\"cat /tmp/ready\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("\"exitCode\":0");
        } catch (Exception e) {
            return false;
        }
    }

    static void delete(HttpClient http, String base, String token, String claim) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(base + "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxclaims/" + claim))
                .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }

    static void post(HttpClient http, String url, String token, String json) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) throw new IllegalStateException(url + ": " + r.body());
    }

    static void await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out");
            Thread.sleep(10);
        }
    }
}
