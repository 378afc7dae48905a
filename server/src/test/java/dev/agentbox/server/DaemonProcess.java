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
 * goes to {@code <state>/first.log}.
 */
final class DaemonProcess {
    final Path stateDir;
    private final Process process;
    private final HttpClient http = HttpClient.newHttpClient();
    private String endpoint;
    private String token;

    DaemonProcess(Path stateDir) throws IOException {
        this.stateDir = stateDir;
        this.process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Agentboxd.class.getName(), "--state-dir", stateDir.toString(), "--port", "0")
                .redirectErrorStream(true).redirectOutput(stateDir.resolve("first.log").toFile()).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(stateDir.resolve("endpoint")));
        endpoint = Files.readString(stateDir.resolve("endpoint")).trim();
        token = Files.readString(stateDir.resolve("admin.token")).trim();
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
