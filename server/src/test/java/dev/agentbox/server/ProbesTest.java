package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Probes as the kubelet runs them (issue 12): exec, httpGet and tcpSocket, with their timing fields, on real gVisor. */
class ProbesTest {
    static Daemon daemon;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static String sandbox(String name, String command, String probes) {
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
                        command: ["/bin/sh", "-c", %s]
                        ports:
                        - {name: web, containerPort: 8000}
                %s""".formatted(name, Daemon.JSON.valueToTree(command).toString(), probes.indent(8));
    }

    static JsonNode condition(JsonNode object, String type) {
        for (JsonNode c : object.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c;
        return null;
    }

    @Test
    void anHttpGetReadinessProbeKeepsTheSandboxNotReadyUntilTheServerInsideAnswers() {
        daemon.createOk("default", sandbox("web", "sleep 3; echo up > /tmp/index.html; exec python3 -m http.server 8000 --directory /tmp", """
                readinessProbe:
                  httpGet: {path: /index.html, port: web}
                  periodSeconds: 1
                """));
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", "web")));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("Ready only once the server (started after 3 s) answered").isGreaterThan(Duration.ofSeconds(3));
        assertThat(daemon.exec("default", "web", "echo reachable").json().path("stdout").asText()).isEqualTo("reachable\n");
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/web", null);
    }

    @Test
    void aReadinessProbeThatFailsTwiceThenPassesWithFailureThresholdThreeNeverTurnsReadyOff() throws Exception {
        // passes on its 1st run, fails on its 2nd and 3rd, passes from the 4th: below failureThreshold 3
        daemon.createOk("default", sandbox("steady", "sleep infinity", """
                readinessProbe:
                  exec:
                    command: ["/bin/sh", "-c", "n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; [ $n -lt 2 ] || [ $n -gt 3 ]"]
                  periodSeconds: 1
                  failureThreshold: 3
                """));
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", "steady")));
        List<String> seen = new ArrayList<>();
        long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        while (System.nanoTime() < until) {
            seen.add(condition(daemon.get("default", "sandboxes", "steady"), "Ready").path("status").asText());
            Thread.sleep(100);
        }
        assertThat(seen).as("Ready while the probe failed twice in a row").containsOnly("True");
        int runs = Integer.parseInt(daemon.exec("default", "steady", "cat /tmp/n").json().path("stdout").asText().strip());
        assertThat(runs).as("the probe ran past its two failures").isGreaterThanOrEqualTo(5);
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/steady", null);
    }

    @Test
    void aFailingLivenessProbeRestartsTheSandboxAndSaysWhy() {
        daemon.createOk("default", sandbox("unlive", "sleep infinity", """
                livenessProbe:
                  tcpSocket: {port: 9999}
                  periodSeconds: 1
                  failureThreshold: 2
                """));
        await().atMost(Duration.ofSeconds(60)).until(() -> condition(daemon.get("default", "sandboxes", "unlive"), "agentbox.dev/Restarted") != null);
        JsonNode restarted = condition(daemon.get("default", "sandboxes", "unlive"), "agentbox.dev/Restarted");
        assertThat(restarted.path("reason").asText()).isEqualTo("ProbeFailed");
        assertThat(restarted.path("message").asText()).contains("liveness probe failed 2 times in a row");
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/unlive", null);
    }

    @Test
    void aStartupProbeHoldsReadinessBackUntilItPasses() {
        daemon.createOk("default", sandbox("slow", "sleep 3; touch /tmp/started; sleep infinity", """
                startupProbe:
                  exec: {command: ["test", "-f", "/tmp/started"]}
                  periodSeconds: 1
                  failureThreshold: 30
                livenessProbe:
                  exec: {command: ["test", "-f", "/tmp/started"]}
                  periodSeconds: 1
                """));
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", "slow")));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofSeconds(3));
        assertThat(condition(daemon.get("default", "sandboxes", "slow"), "agentbox.dev/Restarted"))
                .as("the liveness probe waited for the startup probe").isNull();
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/slow", null);
    }
}
