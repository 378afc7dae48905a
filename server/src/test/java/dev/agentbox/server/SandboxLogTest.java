package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET .../sandboxes/{name}/log}: the main process's stdout and stderr as its shim wrote them, with a log cap of
 * 4 KiB (the smallest agentboxd allows) so that a rotation is cheap to reach. Real gVisor, two sandboxes.
 */
class SandboxLogTest {
    static Daemon daemon;
    final HttpClient http = daemon.http(); // HTTPS: trusts the daemon's CA only

    @BeforeAll
    static void start() throws IOException {
        Path state = Daemon.tempDir();
        Files.writeString(state.resolve("config.yaml"), "logs:\n  maxBytes: 4096\n");
        daemon = new Daemon(state);
        assertThat(daemon.agentboxd.settings().logs().maxBytes().bytes()).isEqualTo(4096);
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static String sandbox(String name, String... command) {
        StringBuilder argv = new StringBuilder();
        for (String c : command) argv.append(argv.isEmpty() ? "" : ", ").append('"').append(c.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append('"');
        return """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: %s
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: [%s]
                """.formatted(name, argv);
    }

    /** A Sandbox that never runs (operatingMode Suspended): it exists, and has no log. */
    static String suspended(String name) {
        String s = sandbox(name, "sleep", "infinity").replace("spec:\n  podTemplate:", "spec:\n  operatingMode: Suspended\n  podTemplate:");
        assertThat(s).contains("operatingMode: Suspended");
        return s;
    }

    static String logPath(String ns, String name) {
        return "/api/v1/namespaces/" + ns + "/sandboxes/" + name + "/log";
    }

    void awaitReady(String ns, String name) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> Daemon.ready(daemon.get(ns, "sandboxes", name)));
    }

    @Test
    void theMainProcesssStdoutAndStderrAreServedAndFollowStreamsNewLinesUntilTheSandboxIsDeleted() throws Exception {
        String ns = "logs";
        daemon.createOk(ns, sandbox("ticker", "sh", "-c",
                "echo hello-stdout; echo hello-stderr >&2; i=0; while true; do sleep 0.3; i=$((i+1)); echo tick-$i; done"));
        awaitReady(ns, "ticker");
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.call("GET", logPath(ns, "ticker"), null).body().contains("tick-2\n"));

        Daemon.Response whole = daemon.call("GET", logPath(ns, "ticker"), null);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.body()).startsWith("hello-stdout\n").contains("hello-stderr\n", "tick-1\n", "tick-2\n");
        assertThat(contentType(logPath(ns, "ticker"))).isEqualTo("text/plain; charset=utf-8");
        assertThat(daemon.call("GET", logPath(ns, "ticker") + "?limitBytes=5", null).body()).isEqualTo("hello");

        // follow: the last line there is now, then lines written after the request started, until the Sandbox is deleted
        HttpResponse<java.io.InputStream> followed = http.send(HttpRequest.newBuilder(URI.create(daemon.agentboxd.endpoint() + logPath(ns, "ticker")
                        + "?follow=true&tailLines=1")).header("Authorization", "Bearer " + daemon.token).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(followed.statusCode()).isEqualTo(200);
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(followed.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String first = lines.poll(10, TimeUnit.SECONDS);
        assertThat(first).startsWith("tick-");
        int firstTick = Integer.parseInt(first.substring(5));
        List<Integer> later = new ArrayList<>();
        while (later.size() < 3) {
            String line = lines.poll(10, TimeUnit.SECONDS);
            assertThat(line).as("a line written after the request started").isNotNull().startsWith("tick-");
            later.add(Integer.parseInt(line.substring(5)));
        }
        assertThat(later).containsExactly(firstTick + 1, firstTick + 2, firstTick + 3);
        assertThat(ended).isNotDone();

        assertThat(daemon.call("DELETE", Daemon.AGENTS + ns + "/sandboxes/ticker", null).status()).isEqualTo(200);
        ended.get(10, TimeUnit.SECONDS); // the stream ends (without an error) once the Sandbox is gone
        assertThat(daemon.call("GET", logPath(ns, "ticker"), null).status()).isEqualTo(404);
    }

    @Test
    void tailLinesReturnsTheLastLinesAcrossTheRotatedFileAndTheCurrentOne() throws Exception {
        String ns = "rotation";
        // two writes of 3000 bytes, apart: the second does not fit under the 4096-byte cap, so the first is rotated to .1
        daemon.createOk(ns, sandbox("chatty", "python3", "-c", """
                import sys, time
                for part in (range(0, 300), range(300, 600)):
                    sys.stdout.write("".join("line-%04d\\n" % i for i in part)); sys.stdout.flush(); time.sleep(0.5)
                sys.stdout.write("done\\n"); sys.stdout.flush(); time.sleep(3600)
                """));
        awaitReady(ns, "chatty");
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.call("GET", logPath(ns, "chatty") + "?tailLines=1", null).body().equals("done\n"));

        String id = "ab-" + daemon.get(ns, "sandboxes", "chatty").path("metadata").path("uid").asText();
        Path current = daemon.stateDir.resolve("runtime/logs/" + id + ".log");
        Path rotated = daemon.stateDir.resolve("runtime/logs/" + id + ".log.1");
        assertThat(rotated).as("the first write was rotated").exists();
        long linesInCurrent = Files.readString(current).lines().count();
        assertThat(Files.readString(rotated).lines().count()).isGreaterThanOrEqualTo(3);

        long n = linesInCurrent + 3; // all of the current file and the last three lines of the rotated one
        Daemon.Response tail = daemon.call("GET", logPath(ns, "chatty") + "?tailLines=" + n, null);
        assertThat(tail.status()).isEqualTo(200);
        List<String> got = tail.body().lines().toList();
        assertThat(got).hasSize((int) n).endsWith("line-0598", "line-0599", "done");
        int from = 600 - (int) n + 1;
        for (int i = 0; i < n - 1; i++) assertThat(got.get(i)).isEqualTo("line-%04d".formatted(from + i));
        List<String> onDisk = (Files.readString(rotated) + Files.readString(current)).lines().toList();
        assertThat(got).isEqualTo(onDisk.subList(onDisk.size() - (int) n, onDisk.size()));
        assertThat(tail.body()).endsWith(Files.readString(current)).hasSizeGreaterThan(Files.readString(current).length());

        assertThat(daemon.call("GET", logPath(ns, "chatty"), null).body()).startsWith("line-0000\n").endsWith("line-0599\ndone\n");
        assertThat(daemon.call("GET", logPath(ns, "chatty") + "?tailLines=0", null).body()).isEmpty();
        assertThat(daemon.call("GET", logPath(ns, "chatty") + "?tailLines=2&limitBytes=4", null).body()).isEqualTo("line");
        daemon.call("DELETE", Daemon.AGENTS + ns + "/sandboxes/chatty", null);
    }

    @Test
    void aSandboxWithNoLogYetGivesAnEmptyAnswerAndAnUnknownOneA404() {
        String ns = "nolog";
        daemon.createOk(ns, suspended("asleep"));
        await().atMost(Duration.ofSeconds(20)).until(() -> "SandboxSuspended".equals(WarmPoolAndClaimTest.reason(daemon.get(ns, "sandboxes", "asleep"))));
        Daemon.Response empty = daemon.call("GET", logPath(ns, "asleep"), null);
        assertThat(empty.status()).as(empty.body()).isEqualTo(200);
        assertThat(empty.body()).isEmpty();
        assertThat(daemon.call("GET", logPath(ns, "asleep") + "?follow=true", null).status())
                .as("a suspended sandbox writes nothing more: the follow ends at once").isEqualTo(200);

        Daemon.Response missing = daemon.call("GET", logPath(ns, "no-such-sandbox"), null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().path("kind").asText()).isEqualTo("Status");
        assertThat(missing.json().path("message").asText()).contains("no-such-sandbox").contains("not found");
        daemon.call("DELETE", Daemon.AGENTS + ns + "/sandboxes/asleep", null);
    }

    @Test
    void badParametersAre400AndATokenOfAnotherNamespaceIs403() {
        String ns = "params";
        daemon.createOk(ns, suspended("idle"));
        for (String bad : List.of("tailLines=abc", "tailLines=-1", "tailLines=1.5", "limitBytes=0", "limitBytes=x", "follow=maybe",
                "timestamps=true", "previous=true", "sinceSeconds=10", "container=other")) {
            Daemon.Response r = daemon.call("GET", logPath(ns, "idle") + "?" + bad, null);
            assertThat(r.status()).as(bad + ": " + r.body()).isEqualTo(400);
            assertThat(r.json().path("message").asText()).as(bad).contains(bad.substring(0, bad.indexOf('=')));
        }
        assertThat(daemon.call("GET", logPath(ns, "idle") + "?container=main&tailLines=3", null).status()).isEqualTo(200);
        assertThat(daemon.call("POST", logPath(ns, "idle"), "").status()).isEqualTo(405);

        Daemon.Response created = daemon.call("POST", "/api/v1/tokens", "{\"name\":\"other-team\",\"namespaces\":[\"other\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String scoped = created.json().path("token").asText();
        Daemon.Response forbidden = daemon.call("GET", logPath(ns, "idle"), null, scoped);
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.body()).doesNotContain(ns + "/idle\"");
        assertThat(daemon.call("GET", logPath(ns, "idle"), null, "not-a-token").status()).isEqualTo(401);
        daemon.call("DELETE", Daemon.AGENTS + ns + "/sandboxes/idle", null);
    }

    private String contentType(String path) throws Exception {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(daemon.agentboxd.endpoint() + path))
                .header("Authorization", "Bearer " + daemon.token).build(), HttpResponse.BodyHandlers.discarding());
        return r.headers().firstValue("Content-Type").orElse("");
    }
}
