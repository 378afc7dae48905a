package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.runtime.GvisorRuntime;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Sandboxes outlive agentboxd (issue 10): after kill -9 or SIGTERM, the next agentboxd on the same state
 * directory finds each sandbox with its processes, memory and files, in the same runsc container.
 */
class SurvivesRestartTest {

    /** A background Python process that holds a value in memory and tells it on a unix socket. */
    static final String VALUE_SERVER = "nohup python3 -c \"\nimport socket\nvalue = 12345 * 2\n"
            + "s = socket.socket(socket.AF_UNIX)\ns.bind('/tmp/value.sock')\ns.listen()\n"
            + "while True:\n  c, _ = s.accept()\n  c.sendall(str(value).encode())\n  c.close()\n\" >/dev/null 2>&1 &"
            + " while [ ! -S /tmp/value.sock ]; do sleep 0.05; done; echo listening";
    static final String ASK_VALUE = "python3 -c \"\nimport socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/tmp/value.sock')\n"
            + "print(s.recv(100).decode())\n\"";

    /** Exec through a DaemonProcess (over HTTPS, trusting its CA). */
    static JsonNode exec(DaemonProcess d, String ns, String sandbox, String shell) throws Exception {
        String body = Daemon.JSON.writeValueAsString(Map.of("shell", shell, "timeoutSeconds", 3600));
        HttpResponse<String> r = d.http().send(HttpRequest.newBuilder(URI.create(d.endpoint() + "/api/v1/namespaces/" + ns + "/sandboxes/" + sandbox + "/exec"))
                .header("Authorization", "Bearer " + d.token()).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Daemon.JSON.readTree(r.body());
    }

    static String stdout(DaemonProcess d, String sandbox, String shell) throws Exception {
        return exec(d, "default", sandbox, shell).path("stdout").asText();
    }

    /** The claim's sandbox once the claim is Ready, through a DaemonProcess. */
    static String awaitClaim(DaemonProcess d, String claim) {
        String[] sandbox = new String[1];
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            JsonNode c = Daemon.JSON.readTree(d.get(Daemon.EXT + "default/sandboxclaims/" + claim));
            sandbox[0] = c.path("status").path("sandbox").path("name").asText(null);
            return Daemon.ready(c) && sandbox[0] != null;
        });
        return sandbox[0];
    }

    /** The host pid of a sandbox's gVisor sentry: the same one after the restart means the same container. */
    static long sentryPid(String containerId) throws IOException {
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            String cmd = cmdline(p.pid());
            if (cmd.startsWith("runsc-sandbox ") && cmd.endsWith(" " + containerId)) return p.pid();
        }
        return -1;
    }

    /** argv as the process set it (ProcessHandle.Info shows the executable's path instead of argv[0]). */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    static String containerId(JsonNode sandbox) {
        return "ab-" + sandbox.path("metadata").path("uid").asText();
    }

    /** Every Sandbox object has its container and every container its object. */
    static void assertOneContainerPerObject(Daemon d) {
        Set<String> objects = new HashSet<>();
        for (String ns : List.of("default")) for (JsonNode s : d.list(ns, "sandboxes")) objects.add(containerId(s));
        try (GvisorRuntime runtime = new GvisorRuntime(d.stateDir.resolve("runtime"))) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(new HashSet<>(runtime.listContainers())).isEqualTo(objects));
        }
    }

    private void survives(boolean killNine) throws Exception {
        Path state = Daemon.tempDir();
        try {
            survives(state, killNine);
        } finally {
            stopLeftovers(state);
        }
    }

    /** A test that fails between a kill and the next daemon would leave sandboxes running: stop them. */
    static void stopLeftovers(Path state) {
        try (GvisorRuntime runtime = new GvisorRuntime(state.resolve("runtime"))) {
            runtime.stopAll();
        }
    }

    private void survives(Path state, boolean killNine) throws Exception {
        DaemonProcess first = new DaemonProcess(state);
        String sandbox;
        long sentry;
        String id;
        try {
            first.post(Daemon.EXT + "default/sandboxtemplates", Daemon.TEMPLATE);
            first.post(Daemon.EXT + "default/sandboxwarmpools", Daemon.pool("py", 1));
            first.post(Daemon.EXT + "default/sandboxclaims", Daemon.claim("mine", "py"));
            sandbox = awaitClaim(first, "mine");
            assertThat(stdout(first, sandbox, "echo kept > /tmp/file; nohup sleep 1000 >/dev/null 2>&1 & echo ok")).isEqualTo("ok\n");
            assertThat(stdout(first, sandbox, VALUE_SERVER)).isEqualTo("listening\n");
            id = containerId(Daemon.JSON.readTree(first.get(Daemon.AGENTS + "default/sandboxes/" + sandbox)));
            sentry = sentryPid(id);
            assertThat(sentry).isPositive();
        } finally {
            if (killNine) first.killNine();
            else first.terminate();
        }
        assertThat(sentryPid(id)).as("the sandbox runs while no agentboxd does").isEqualTo(sentry);

        try (Daemon second = new Daemon(state)) {
            assertThat(second.awaitClaimReady("default", "mine")).isEqualTo(sandbox);
            assertThat(second.exec("default", sandbox, "cat /tmp/file").json().path("stdout").asText()).isEqualTo("kept\n");
            assertThat(second.exec("default", sandbox, "ps -e -o args=").json().path("stdout").asText()).contains("sleep 1000").contains("python3");
            assertThat(second.exec("default", sandbox, ASK_VALUE).json().path("stdout").asText()).isEqualTo("24690\n");
            assertThat(sentryPid(id)).as("the same runsc container").isEqualTo(sentry);
            JsonNode s = second.get("default", "sandboxes", sandbox);
            assertThat(s.path("metadata").path("annotations").has("agentbox.dev/restart-count")).as("not started again").isFalse();
            second.awaitPoolReady("default", "py", 1);
            await().atMost(Duration.ofSeconds(30)).until(second.agentboxd::idle);
            assertOneContainerPerObject(second);
        }
    }

    @Test
    void aClaimedSandboxKeepsItsFileProcessAndMemoryAcrossKillNine() throws Exception {
        survives(true);
    }

    @Test
    void aClaimedSandboxKeepsItsFileProcessAndMemoryAcrossSigterm() throws Exception {
        survives(false);
    }

    @Test
    void withStopSandboxesOnExitSigtermLeavesNothingRunning() throws Exception {
        Path state = Daemon.tempDir();
        DaemonProcess d = new DaemonProcess(state, "--stop-sandboxes-on-exit");
        d.post(Daemon.EXT + "default/sandboxtemplates", Daemon.TEMPLATE);
        d.post(Daemon.EXT + "default/sandboxwarmpools", Daemon.pool("py", 2));
        await().atMost(Duration.ofSeconds(90)).until(() -> d.get(Daemon.EXT + "default/sandboxwarmpools/py").contains("\"readyReplicas\":2"));
        Duration took = d.terminate();
        System.out.println("[SurvivesRestartTest] SIGTERM with --stop-sandboxes-on-exit and 2 sandboxes: exited in " + took.toMillis() + " ms");
        assertThat(runscProcessesUnder(state)).isEmpty();
        try (GvisorRuntime runtime = new GvisorRuntime(state.resolve("runtime"))) {
            assertThat(runtime.listContainers()).isEmpty();
            assertThat(runtime.listAttachable()).isEmpty();
        }
    }

    /** runsc and shim processes whose command line names this state directory. */
    static List<String> runscProcessesUnder(Path state) {
        List<String> out = new ArrayList<>();
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            String cmd = cmdline(p.pid());
            if (cmd.contains(state.toString()) && (cmd.contains("runsc") || cmd.contains("agentbox-shim")) && p.isAlive()) out.add(p.pid() + " " + cmd);
        }
        return out;
    }

    /**
     * kill -9 during 20 concurrent claims, three times: no object lost, no sandbox bound to two claims, one
     * container per object, and every sandbox that ran before a kill runs after it with its state.
     */
    @Test
    void killNineDuringConcurrentClaimsThreeTimesLosesNothing() throws Exception {
        Path state = Daemon.tempDir();
        try {
            killNineDuringConcurrentClaims(state);
        } finally {
            stopLeftovers(state);
        }
    }

    private void killNineDuringConcurrentClaims(Path state) throws Exception {
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace: {sandboxes: 200, warmPoolReplicas: 100}
                sandboxDefaults: {memory: 256Mi, ephemeralStorage: 64Mi}
                """);
        Map<String, String> marked = new ConcurrentHashMap<>(); // sandbox -> the marker written into it before a kill
        DaemonProcess d = new DaemonProcess(state);
        d.post(Daemon.EXT + "default/sandboxtemplates", Daemon.TEMPLATE);
        d.post(Daemon.EXT + "default/sandboxwarmpools", Daemon.pool("py", 4));
        for (int round = 0; round < 3; round++) {
            DaemonProcess current = d;
            // every claim that exists (a POST cut off by a kill may not have made one) gets a marker in its sandbox:
            // it must still be there after the next kill
            List<String> claims = new ArrayList<>();
            for (JsonNode c : Daemon.JSON.readTree(current.get(Daemon.EXT + "default/sandboxclaims")).path("items")) claims.add(c.path("metadata").path("name").asText());
            for (String c : claims) {
                String sb = awaitClaim(current, c);
                String marker = "round" + round + "-" + c;
                assertThat(stdout(current, sb, "echo " + marker + " > /tmp/marker; cat /tmp/marker")).isEqualTo(marker + "\n");
                marked.put(sb, marker);
            }
            List<Thread> claimers = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger created = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < 20; i++) {
                String name = "r" + round + "c" + i;
                claimers.add(Thread.ofVirtual().start(() -> {
                    current.post(Daemon.EXT + "default/sandboxclaims", Daemon.claim(name, "py"));
                    created.incrementAndGet();
                }));
            }
            // kill while claims are being bound and cold sandboxes started: once a third of the POSTs were answered (on a
            // loaded machine 20 TLS handshakes can take longer than a fixed sleep), the rest still in flight
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).until(() -> created.get() >= 7);
            Thread.sleep(100L * round);
            current.killNine();
            for (Thread t : claimers) t.join(); // a post cut off by the kill fails that thread, not the test
            d = new DaemonProcess(state);
            System.out.println("[SurvivesRestartTest] round " + (round + 1) + ": restarted agentboxd answered after " + d.startup.toMillis() + " ms");
        }
        d.killNine();
        try (Daemon last = new Daemon(state)) {
            Map<String, String> boundTo = new HashMap<>();
            for (JsonNode c : last.list("default", "sandboxclaims")) {
                String name = c.path("metadata").path("name").asText();
                String sb = last.awaitClaimReady("default", name);
                assertThat(boundTo.put(sb, name)).as("sandbox " + sb + " bound to two claims").isNull();
            }
            // a claim whose POST the kill cut off may not exist; every one that does is bound and Ready
            assertThat(boundTo).hasSizeGreaterThanOrEqualTo(20);
            for (var e : marked.entrySet()) {
                assertThat(last.exec("default", e.getKey(), "cat /tmp/marker").json().path("stdout").asText())
                        .as("sandbox %s kept its state across the kills", e.getKey()).isEqualTo(e.getValue() + "\n");
            }
            await().atMost(Duration.ofSeconds(60)).until(last.agentboxd::idle);
            for (JsonNode s : last.list("default", "sandboxes")) {
                assertThat(s.path("metadata").path("annotations").has("agentbox.dev/restart-count"))
                        .as("sandbox %s was started again", s.path("metadata").path("name").asText()).isFalse();
            }
            assertOneContainerPerObject(last);
        }
    }
}
