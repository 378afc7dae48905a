package dev.agentbox.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.client.AgentboxTls;
import dev.agentbox.runtime.GvisorRuntime;
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
 * agentboxd restarts with N live sandboxes (issue 10): time from starting a new agentboxd process until its API
 * answers, and until every sandbox is re-attached (Ready again, with its state); then SIGTERM in the default mode
 * (sandboxes keep running) and with --stop-sandboxes-on-exit (all stopped), with how long each took.
 *
 * <p>{@code bench/restart [--sandboxes N]}. Prints the machine's load average at start and end.
 */
public final class RestartBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Trusts the CA of the state directory the bench talks to (see {@link #trusting}). */
    private static HttpClient HTTP;

    /** A client for the agentboxd of {@code state}: HTTPS, trusting that state directory's CA only (which exists once it started). */
    private static HttpClient trusting(Path state) {
        return HttpClient.newBuilder().sslContext(AgentboxTls.trusting(state.resolve(AgentboxTls.CA_FILE))).build();
    }

    public static void main(String[] args) throws Exception {
        int n = 50;
        for (int i = 0; i < args.length; i++) if (args[i].equals("--sandboxes")) n = Integer.parseInt(args[++i]);
        System.out.println("load average at start: " + Files.readString(Path.of("/proc/loadavg")).strip());
        Path state = Files.createTempDirectory("agentbox-restart-bench");
        Files.writeString(state.resolve("config.yaml"), "quotas:\n  perNamespace: {sandboxes: " + (n + 10) + "}\n  daemon: {sandboxes: " + (n + 10)
                + "}\nsandboxDefaults: {memory: 128Mi, ephemeralStorage: 32Mi}\n");
        try {
            run(state, n);
        } finally {
            try (GvisorRuntime runtime = new GvisorRuntime(state.resolve("runtime"))) {
                runtime.stopAll();
            }
            System.out.println("load average at end: " + Files.readString(Path.of("/proc/loadavg")).strip());
        }
    }

    private static void run(Path state, int n) throws Exception {
        // once, as a user's first `agentbox serve` does: the launcher's class-data archive is written at its exit
        Path warm = Files.createTempDirectory("agentbox-restart-warmup");
        Process w = agentboxd(warm);
        String warmEndpoint = awaitEndpoint(warm, System.nanoTime());
        HTTP = trusting(warm);
        waitHealthz(warmEndpoint);
        w.destroy();
        w.waitFor();
        long t0 = System.nanoTime();
        try (Agentboxd first = Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", 0))) {
            HTTP = trusting(state); // the CA stays across the restarts below
            String token = first.adminToken();
            String base = first.endpoint().toString();
            for (int i = 0; i < n; i++) {
                post(base, token, "/apis/agents.x-k8s.io/v1beta1/namespaces/default/sandboxes", """
                        {"apiVersion": "agents.x-k8s.io/v1beta1", "kind": "Sandbox", "metadata": {"name": "s%d"},
                         "spec": {"podTemplate": {"spec": {"containers": [{"name": "main", "image": "agentbox/builtin",
                           "command": ["sleep", "infinity"]}]}}}}""".formatted(i));
            }
            awaitReady(base, token, n, Duration.ofMinutes(10));
            System.out.printf("%d sandboxes started in %d ms%n", n, ms(System.nanoTime() - t0));
            for (int i = 0; i < n; i++) exec(base, token, "s" + i, "echo kept-" + i + " > /tmp/marker");
        } // detaches: the sandboxes keep running

        Process second = agentboxd(state);
        long start = System.nanoTime();
        String base = awaitEndpoint(state, start);
        String token = Files.readString(state.resolve("admin.token")).strip();
        long untilHealthz = waitHealthz(base);
        System.out.printf("restart with %d live sandboxes: /healthz answered %d ms after the process started%n", n, ms(untilHealthz - start));
        awaitReady(base, token, n, Duration.ofMinutes(5));
        System.out.printf("restart with %d live sandboxes: all re-attached (Ready) %d ms after the process started%n", n, ms(System.nanoTime() - start));
        int kept = 0;
        for (int i = 0; i < n; i++) if (exec(base, token, "s" + i, "cat /tmp/marker").path("stdout").asText().equals("kept-" + i + "\n")) kept++;
        System.out.printf("sandboxes with their state after the restart: %d of %d%n", kept, n);
        long t = System.nanoTime();
        second.destroy();
        second.waitFor();
        System.out.printf("SIGTERM (default mode, sandboxes keep running): agentboxd exited in %d ms; runsc containers left running: %d%n",
                ms(System.nanoTime() - t), containers(state));

        Process third = agentboxd(state, "--stop-sandboxes-on-exit");
        base = awaitEndpoint(state, System.nanoTime());
        waitHealthz(base);
        awaitReady(base, token, n, Duration.ofMinutes(5));
        t = System.nanoTime();
        third.destroy();
        third.waitFor();
        System.out.printf("SIGTERM with --stop-sandboxes-on-exit and %d sandboxes: agentboxd exited in %d ms; runsc containers left: %d, runsc processes left: %d%n",
                n, ms(System.nanoTime() - t), containers(state), runscProcesses(state));
    }

    /** agentboxd as users start it: `agentbox serve` from the jar, with the launcher's class-data sharing archive. */
    private static Process agentboxd(Path state, String... extra) throws Exception {
        Files.deleteIfExists(state.resolve("endpoint"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jar = System.getProperty("agentbox.jar");
        List<String> cmd = jar != null && Files.exists(Path.of(jar))
                ? new ArrayList<>(List.of(java, "-XX:SharedArchiveFile=" + jar.replace(".jar", ".jsa"), "-XX:+AutoCreateSharedArchive", "-Xlog:cds=off",
                        "-Xlog:cds+dynamic=off", "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", jar, "serve",
                        "--state-dir", state.toString(), "--port", "0"))
                : new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-cp", System.getProperty("java.class.path"), Agentboxd.class.getName(), "--state-dir", state.toString(), "--port", "0"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(state.resolve("daemon.log").toFile())).start();
    }

    private static String awaitEndpoint(Path state, long since) throws Exception {
        Path f = state.resolve("endpoint");
        while (!Files.exists(f) || Files.readString(f).isBlank()) {
            if (System.nanoTime() - since > Duration.ofMinutes(2).toNanos()) throw new IllegalStateException("agentboxd did not start; see " + state.resolve("daemon.log"));
            Thread.sleep(5);
        }
        return Files.readString(f).strip();
    }

    private static long waitHealthz(String base) throws Exception {
        while (true) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) return System.nanoTime();
            } catch (java.io.IOException e) {
                Thread.sleep(5);
            }
        }
    }

    private static void awaitReady(String base, String token, int n, Duration max) throws Exception {
        long until = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < until) {
            JsonNode list = JSON.readTree(get(base, token, "/apis/agents.x-k8s.io/v1beta1/namespaces/default/sandboxes"));
            int ready = 0;
            for (JsonNode s : list.path("items")) {
                for (JsonNode c : s.path("status").path("conditions")) {
                    if (c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True")) ready++;
                }
            }
            if (ready == n) return;
            Thread.sleep(50);
        }
        throw new IllegalStateException("not all " + n + " sandboxes became Ready within " + max);
    }

    private static JsonNode exec(String base, String token, String sandbox, String shell) throws Exception {
        return JSON.readTree(post(base, token, "/api/v1/namespaces/default/sandboxes/" + sandbox + "/exec", JSON.writeValueAsString(Map.of("shell", shell))));
    }

    private static String post(String base, String token, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }

    private static String get(String base, String token, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int containers(Path state) {
        try (GvisorRuntime runtime = new GvisorRuntime(state.resolve("runtime"))) {
            return runtime.listContainers().size();
        }
    }

    private static long runscProcesses(Path state) {
        return ProcessHandle.allProcesses().filter(p -> {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline")));
                return cmd.contains(state.toString()) && cmd.contains("runsc");
            } catch (Exception e) {
                return false;
            }
        }).count();
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}
