package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * agentboxd never blocks on a sandbox (issue 9): with 30 sandboxes streaming output, one to a client that
 * reads at 1 KB/s, /healthz and a `true` exec in another sandbox keep answering; then SIGTERM with 50
 * sandboxes and --stop-sandboxes-on-exit: agentboxd exits and leaves no runsc process. The latencies and
 * the exit time are printed (no timed asserts: the machine may be loaded).
 */
class ManySandboxesTest {
    static final int SANDBOXES = 50;
    static final int STREAMING = 30;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void aSlowClientSlowsOnlyItsOwnStreamAndSigtermWith50SandboxesLeavesNothing() throws Exception {
        Path state = Daemon.tempDir();
        Files.writeString(state.resolve("config.yaml"), "quotas:\n  perNamespace: {sandboxes: 60}\n"
                + "sandboxDefaults: {memory: 128Mi, ephemeralStorage: 32Mi}\n");
        DaemonProcess d = new DaemonProcess(state, "--stop-sandboxes-on-exit", "--insecure-http"); // plain HTTP: slowReader writes raw HTTP/1.1 bytes
        try {
            for (int i = 0; i < SANDBOXES; i++) {
                d.post(Daemon.AGENTS + "default/sandboxes", """
                        {"apiVersion": "agents.x-k8s.io/v1beta1", "kind": "Sandbox", "metadata": {"name": "s%d"},
                         "spec": {"podTemplate": {"spec": {"containers": [{"name": "main", "image": "agentbox/builtin",
                           "command": ["sleep", "infinity"]}]}}}}""".formatted(i));
            }
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> readyCount(d) == SANDBOXES);

            // 29 fast readers and one that reads 1 KB a second, each streaming a command's output for ~15 s
            // one process per stream, 2 KB every 10 ms (~200 KB/s): output, not process spawning (each spawn costs
            // gVisor 5-8 ms of CPU, and 30 sandboxes spawning 100 processes a second would saturate both cores)
            String stream = Daemon.JSON.writeValueAsString(Map.of("command", List.of("python3", "-c",
                    "import time\nline = 'x' * 2000\nfor i in range(1500):\n    print(line, flush=True)\n    time.sleep(0.01)\n"),
                    "timeoutSeconds", 60, "maxOutputBytes", 16 << 20));
            List<Thread> streams = new ArrayList<>();
            AtomicLong fastBytes = new AtomicLong();
            for (int i = 1; i < STREAMING; i++) {
                String sb = "s" + i;
                streams.add(Thread.ofVirtual().start(() -> {
                    try (InputStream in = HTTP.send(request(d, "/api/v1/namespaces/default/sandboxes/" + sb + "/exec?stream=true")
                            .POST(HttpRequest.BodyPublishers.ofString(stream)).build(), HttpResponse.BodyHandlers.ofInputStream()).body()) {
                        fastBytes.addAndGet(in.transferTo(OutputStream.nullOutputStream()));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            AtomicLong slowBytes = new AtomicLong();
            Thread slow = Thread.ofVirtual().start(() -> slowReader(d, stream, slowBytes));

            List<Long> healthz = new ArrayList<>();
            List<Long> execs = new ArrayList<>();
            long until = System.nanoTime() + Duration.ofSeconds(12).toNanos();
            String probe = Daemon.JSON.writeValueAsString(Map.of("command", List.of("true")));
            while (System.nanoTime() < until) {
                long t = System.nanoTime();
                assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(d.endpoint() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                        .isEqualTo(200);
                healthz.add(System.nanoTime() - t);
                t = System.nanoTime();
                HttpResponse<String> r = HTTP.send(request(d, "/api/v1/namespaces/default/sandboxes/s" + STREAMING + "/exec")
                        .POST(HttpRequest.BodyPublishers.ofString(probe)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(Daemon.JSON.readTree(r.body()).path("exitCode").asInt()).isZero();
                execs.add(System.nanoTime() - t);
                Thread.sleep(50);
            }
            for (Thread t : streams) t.join(Duration.ofSeconds(90));
            System.out.printf("[ManySandboxesTest] while %d sandboxes streamed (one to a 1 KB/s reader): /healthz p50 %.1f ms p99 %.1f ms, "
                            + "`true` exec in another sandbox p50 %.1f ms p99 %.1f ms (%d probes); fast readers got %d MB, the slow one %d KB%n",
                    STREAMING, pct(healthz, 50), pct(healthz, 99), pct(execs, 50), pct(execs, 99), execs.size(), fastBytes.get() >> 20, slowBytes.get() >> 10);
            assertThat(fastBytes.get()).as("the fast readers got their output while one reader was slow").isGreaterThan(29L * 2_000_000);
            slow.interrupt();
            slow.join(Duration.ofSeconds(10));
        } finally {
            Duration took = d.terminate();
            System.out.printf("[ManySandboxesTest] SIGTERM with %d sandboxes (--stop-sandboxes-on-exit): agentboxd exited in %d ms%n", SANDBOXES, took.toMillis());
            assertThat(SurvivesRestartTest.runscProcessesUnder(state)).as("runsc processes left").isEmpty();
            SurvivesRestartTest.stopLeftovers(state);
        }
    }

    /** A raw HTTP client that reads the streamed answer at 1 KB/s. */
    private static void slowReader(DaemonProcess d, String body, AtomicLong got) {
        URI uri = URI.create(d.endpoint());
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.setReceiveBufferSize(4096);
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            String req = "POST /api/v1/namespaces/default/sandboxes/s0/exec?stream=true HTTP/1.1\r\nHost: " + uri.getAuthority()
                    + "\r\nAuthorization: Bearer " + d.token() + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(b);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1024];
            while (!Thread.currentThread().isInterrupted()) {
                int n = in.read(buf);
                if (n < 0) break;
                got.addAndGet(n);
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // the test is over
        }
    }

    private static HttpRequest.Builder request(DaemonProcess d, String path) {
        return HttpRequest.newBuilder(URI.create(d.endpoint() + path)).header("Authorization", "Bearer " + d.token()).header("Content-Type", "application/json");
    }

    private static int readyCount(DaemonProcess d) throws Exception {
        int ready = 0;
        for (JsonNode s : Daemon.JSON.readTree(d.get(Daemon.AGENTS + "default/sandboxes")).path("items")) if (Daemon.ready(s)) ready++;
        return ready;
    }

    private static double pct(List<Long> nanos, int p) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)) / 1e6;
    }
}
