package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The main process's exit reaches the Sandbox's conditions by restartPolicy (issue 12), found by agentboxd's
 * liveness tick, which reads only its in-memory sandboxes (issue 14): each exit is handed to the controller once.
 */
class MainProcessExitTest {
    static Daemon daemon;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static String sandbox(String name, String restartPolicy, String command) {
        return """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: %s
                spec:
                  podTemplate:
                    spec:
                      restartPolicy: %s
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["/bin/sh", "-c", %s]
                """.formatted(name, restartPolicy, Daemon.JSON.valueToTree(command).toString());
    }

    @Test
    void aMainProcessExitingWithRestartPolicyNeverFailsTheSandboxWithItsExitCode() {
        daemon.createOk("default", sandbox("exits", "Never", "sleep 2; exit 3"));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode ready = ProbesTest.condition(daemon.get("default", "sandboxes", "exits"), "Ready");
            assertThat(ready).isNotNull();
            assertThat(ready.path("reason").asText()).isEqualTo("PodFailed");
            assertThat(ready.path("message").asText()).contains("exited with code 3");
        });
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/exits", null);
    }

    @Test
    void aMainProcessExitingWithRestartPolicyAlwaysIsRestartedEachTime() {
        daemon.createOk("default", sandbox("again", "Always", "sleep 2; exit 0"));
        // two exits: the second one is reported too (a new sandbox, so a new entry in the tick's once-only set)
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(
                daemon.get("default", "sandboxes", "again").path("metadata").path("annotations").path("agentbox.dev/restart-count").asInt())
                .isGreaterThanOrEqualTo(2));
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/again", null);
    }
}
