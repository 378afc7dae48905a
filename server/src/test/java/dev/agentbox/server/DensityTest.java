package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 200 sandboxes on one host stay manageable (issue 14): a warm pool of 190 fills, 10 claims are served from it and
 * exec in their sandboxes, /healthz answers throughout; agentboxd and the 200 idle sandboxes' CPU over 10 s, the
 * fill time and the latencies are printed (no timed asserts); SIGTERM with --stop-sandboxes-on-exit leaves nothing.
 */
class DensityTest {
    static final int POOL = 190;
    static final int CLAIMS = 10;

    @Test
    void twoHundredSandboxesTogetherServeClaimsAndTheApiKeepsAnswering() throws Exception {
        Path state = Daemon.tempDir();
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace: {sandboxes: 210, warmPoolReplicas: 200}
                  daemon: {sandboxes: 210, warmPoolReplicas: 200}
                sandboxDefaults: {memory: 64Mi, ephemeralStorage: 16Mi}
                """);
        DaemonProcess d = new DaemonProcess(state, "--stop-sandboxes-on-exit");
        try {
            d.post(Daemon.EXT + "default/sandboxtemplates", """
                    apiVersion: extensions.agents.x-k8s.io/v1beta1
                    kind: SandboxTemplate
                    metadata: {name: small}
                    spec:
                      podTemplate:
                        spec:
                          containers:
                          - {name: main, image: agentbox/builtin, command: ["sleep", "infinity"]}
                    """);
            long t0 = System.nanoTime();
            d.post(Daemon.EXT + "default/sandboxwarmpools", """
                    apiVersion: extensions.agents.x-k8s.io/v1beta1
                    kind: SandboxWarmPool
                    metadata: {name: many}
                    spec:
                      replicas: %d
                      sandboxTemplateRef: {name: small}
                    """.formatted(POOL + CLAIMS));
            List<Long> healthz = new ArrayList<>();
            await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                healthz.add(healthz(d));
                return readyReplicas(d) == POOL + CLAIMS;
            });
            double fill = (System.nanoTime() - t0) / 1e9;

            Thread.sleep(5000); // let the last starts settle
            long cpu0 = cpuMillis(state);
            Thread.sleep(10_000);
            long idleCpu = cpuMillis(state) - cpu0;

            List<Long> claims = new ArrayList<>();
            for (int i = 0; i < CLAIMS; i++) {
                long c0 = System.nanoTime();
                d.post(Daemon.EXT + "default/sandboxclaims", Daemon.claim("c" + i, "many"));
                String sandbox = awaitClaimSandbox(d, "c" + i);
                JsonNode r = Daemon.JSON.readTree(d.post("/api/v1/namespaces/default/sandboxes/" + sandbox + "/exec", "{\"command\": [\"echo\", \"ok\"]}"));
                assertThat(r.path("stdout").asText()).as("exec in claimed sandbox " + sandbox).isEqualTo("ok\n");
                claims.add(System.nanoTime() - c0);
                healthz.add(healthz(d));
            }
            for (int i = 0; i < 20; i++) healthz.add(healthz(d));
            int sandboxes = Daemon.JSON.readTree(d.get(Daemon.AGENTS + "default/sandboxes")).path("items").size();
            assertThat(sandboxes).isGreaterThanOrEqualTo(POOL + CLAIMS);
            System.out.printf("[DensityTest] %d sandboxes: pool of %d filled in %.1f s; idle CPU of agentboxd and all sandboxes %.1f %% of a core"
                            + " (%.3f %% per sandbox); claim -> first exec p50 %.1f ms max %.1f ms (n=%d); /healthz p50 %.1f ms p99 %.1f ms (n=%d);"
                            + " load average %s%n",
                    sandboxes, POOL + CLAIMS, fill, idleCpu / 100.0, idleCpu / 100.0 / sandboxes, pct(claims, 50), pct(claims, 100), claims.size(),
                    pct(healthz, 50), pct(healthz, 99), healthz.size(), Files.readString(Path.of("/proc/loadavg")).strip());
        } finally {
            Duration took = d.terminate();
            System.out.printf("[DensityTest] SIGTERM with %d sandboxes (--stop-sandboxes-on-exit): agentboxd exited in %d ms%n", POOL + CLAIMS, took.toMillis());
            assertThat(SurvivesRestartTest.runscProcessesUnder(state)).as("runsc processes left").isEmpty();
            SurvivesRestartTest.stopLeftovers(state);
        }
    }

    private static long healthz(DaemonProcess d) throws Exception {
        long t = System.nanoTime();
        assertThat(d.http().send(HttpRequest.newBuilder(URI.create(d.endpoint() + "/healthz")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        return System.nanoTime() - t;
    }

    private static int readyReplicas(DaemonProcess d) throws Exception {
        return Daemon.JSON.readTree(d.get(Daemon.EXT + "default/sandboxwarmpools/many")).path("status").path("readyReplicas").asInt();
    }

    private static String awaitClaimSandbox(DaemonProcess d, String claim) {
        String[] name = new String[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            JsonNode c = Daemon.JSON.readTree(d.get(Daemon.EXT + "default/sandboxclaims/" + claim));
            if (!Daemon.ready(c)) return false;
            name[0] = c.path("status").path("sandbox").path("name").asText();
            return !name[0].isEmpty();
        });
        return name[0];
    }

    /** CPU time (ms) of agentboxd and every runsc and shim process of this state directory. */
    private static long cpuMillis(Path state) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(state.toString())).orElse(false))
                .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toMillis).orElse(0L))
                .sum();
    }

    private static double pct(List<Long> nanos, int p) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1))) / 1e6;
    }
}
