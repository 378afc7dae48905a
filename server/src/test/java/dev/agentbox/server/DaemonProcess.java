package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Test fixture: agentboxd in its own JVM, so that a test can kill it with SIGKILL (no shutdown hook runs)
 * and start a {@link Daemon} on the same state directory to check what the restart converges to. Its output
 * goes to {@code <state>/first.log}. It serves HTTPS (its CA is {@code <state>/tls/ca.crt}) unless {@code --insecure-http} is
 * passed.
 */
final class DaemonProcess {
    final Path stateDir;
    private final Process process;
    private final HttpClient http;
    private String endpoint;
    private String token;

    /** The time from starting the JVM until its endpoint file was written (the API answers from then on). */
    final Duration startup;

    DaemonProcess(Path stateDir, String... extraArgs) throws IOException {
        this.stateDir = stateDir;
        Files.createDirectories(stateDir);
        Files.deleteIfExists(stateDir.resolve("endpoint")); // a kill -9 leaves the last one's behind
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Agentboxd.class.getName(), "--state-dir", stateDir.toString(), "--port", "0"));
        cmd.addAll(java.util.List.of(extraArgs));
        long t0 = System.nanoTime();
        this.process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stateDir.resolve("first.log").toFile())).start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> Files.exists(stateDir.resolve("endpoint")));
        startup = Duration.ofNanos(System.nanoTime() - t0);
        // a test that fails before it kills this daemon must not leave it running (it would restart what is cleaned up)
        Process p = process;
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        endpoint = Files.readString(stateDir.resolve("endpoint")).trim();
        token = Files.readString(stateDir.resolve("admin.token")).trim();
        // HTTPS unless --insecure-http was among extraArgs; the CA is written before the endpoint file
        http = Daemon.httpClient(endpoint.startsWith("https://") ? stateDir.resolve("tls/ca.crt") : null);
    }

    /** A client for this daemon: trusting its state directory's CA only (HTTPS), or plain with --insecure-http. */
    HttpClient http() {
        return http;
    }

    String endpoint() {
        return endpoint;
    }

    String token() {
        return token;
    }

    /** SIGTERM (the shutdown hook runs), and wait until the process is gone; returns how long that took. */
    Duration terminate() throws InterruptedException {
        long t0 = System.nanoTime();
        process.destroy();
        if (!process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("agentboxd ignored SIGTERM for 120 s");
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** POSTs a manifest to {@code path} and fails the test on an error Status. */
    String post(String path, String body) {
        String answer = send(HttpRequest.newBuilder(URI.create(endpoint + path)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertThat(answer).doesNotContain("\"status\":\"Failure\"");
        return answer;
    }

    String get(String path) {
        return send(HttpRequest.newBuilder(URI.create(endpoint + path)).header("Authorization", "Bearer " + token).GET().build());
    }

    /** SIGKILL, and wait until the process is gone. */
    void killNine() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    String log() {
        try {
            return Files.readString(stateDir.resolve("first.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
