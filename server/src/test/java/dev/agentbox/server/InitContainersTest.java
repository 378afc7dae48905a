package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Init containers through agentboxd (issue 12), with manifests in upstream agent-sandbox's shapes: a template whose
 * busybox init container prepares a shared emptyDir the main container reads; a failing init container keeps the
 * sandbox not Ready naming it, and its output is in `agentbox logs -c`.
 */
class InitContainersTest {
    @TempDir
    static Path dir;

    static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new Daemon();
        Path img = dir.resolve("busybox");
        Files.createDirectories(img.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), img.resolve("bin/busybox"));
        for (String applet : List.of("sh", "cat", "echo", "cp", "chown", "mkdir", "ls", "id")) {
            Files.createSymbolicLink(img.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        daemon.agentboxd.runtime().images().importImage("busybox:1.36", img);
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static JsonNode condition(JsonNode object, String type) {
        for (JsonNode c : object.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c;
        return null;
    }

    @Test
    void aClaimOfATemplateWithABusyboxInitContainerSeesWhatItPreparedInTheSharedVolume() {
        daemon.createOk("default", """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: with-init
                spec:
                  podTemplate:
                    spec:
                      initContainers:
                      - name: prepare
                        image: busybox:1.36
                        command: ["sh", "-c", "echo prepared-by-init > /work/config.txt && chown -R 1000:1000 /work && echo done"]
                        securityContext:
                          runAsUser: 0
                        volumeMounts:
                        - name: workspace
                          mountPath: /work
                      containers:
                      - name: agent
                        image: agentbox/builtin
                        command: ["/bin/sh", "-c", "cat /home/sandbox/workspace/config.txt > /tmp/seen; exec sleep infinity"]
                        volumeMounts:
                        - name: workspace
                          mountPath: /home/sandbox/workspace
                      volumes:
                      - name: workspace
                        emptyDir: {}
                """);
        daemon.createOk("default", """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: with-init-pool
                spec:
                  replicas: 1
                  sandboxTemplateRef:
                    name: with-init
                """);
        daemon.createOk("default", Daemon.claim("init-claim", "with-init-pool"));
        String sandbox = daemon.awaitClaimReady("default", "init-claim");
        assertThat(daemon.exec("default", sandbox, "cat /tmp/seen; stat -c %u /home/sandbox/workspace/config.txt").json().path("stdout").asText())
                .isEqualTo("prepared-by-init\n1000\n");
        Daemon.Response log = daemon.call("GET", "/api/v1/namespaces/default/sandboxes/" + sandbox + "/log?container=prepare", null);
        assertThat(log.status()).isEqualTo(200);
        assertThat(log.body()).isEqualTo("done\n");
        Daemon.Response unknown = daemon.call("GET", "/api/v1/namespaces/default/sandboxes/" + sandbox + "/log?container=nope", null);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body()).contains("prepare (init)").contains("agent");
        daemon.call("DELETE", Daemon.EXT + "default/sandboxclaims/init-claim", null);
        daemon.call("DELETE", Daemon.EXT + "default/sandboxwarmpools/with-init-pool", null);
        daemon.call("DELETE", Daemon.EXT + "default/sandboxtemplates/with-init", null);
    }

    @Test
    void aFailingInitContainerKeepsTheSandboxNotReadyNamingItAndRestartPolicyNeverFailsIt() {
        daemon.createOk("default", """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: init-fails
                spec:
                  podTemplate:
                    spec:
                      restartPolicy: Never
                      initContainers:
                      - name: check-config
                        image: busybox:1.36
                        command: ["sh", "-c", "echo config missing >&2; exit 2"]
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode ready = condition(daemon.get("default", "sandboxes", "init-fails"), "Ready");
            return ready != null && "InitContainerFailed".equals(ready.path("reason").asText());
        });
        JsonNode ready = condition(daemon.get("default", "sandboxes", "init-fails"), "Ready");
        assertThat(ready.path("status").asText()).isEqualTo("False");
        assertThat(ready.path("message").asText()).contains("init container check-config exited with 2").contains("config missing")
                .contains("agentbox logs init-fails -n default -c check-config").contains("restartPolicy is Never");
        assertThat(daemon.call("GET", "/api/v1/namespaces/default/sandboxes/init-fails/log?container=check-config", null).body())
                .isEqualTo("config missing\n");
        assertThat(daemon.agentboxd.runtime().listAttachable()).noneMatch(id -> id.contains("init-fails"));
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/init-fails", null);
    }

    @Test
    void anInitContainerThatFailsThenSucceedsIsRetriedWithBackOffAndTheSandboxBecomesReady() {
        // fails until a time 20 s from now (a scratch volume starts empty on each attempt, so the condition is the clock;
        // 20 s: the first attempt must come before it even when starting a sandbox is slow on a loaded machine)
        long after = System.currentTimeMillis() / 1000 + 20;
        daemon.createOk("default", """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: init-retry
                spec:
                  podTemplate:
                    spec:
                      initContainers:
                      - name: wait-for-it
                        image: agentbox/builtin
                        command: ["/bin/sh", "-c", "[ $(date +%%s) -ge %d ] || { echo not yet; exit 1; }"]
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """.formatted(after));
        await().atMost(Duration.ofSeconds(60)).until(() -> condition(daemon.get("default", "sandboxes", "init-retry"), "agentbox.dev/Restarted") != null);
        JsonNode restarted = condition(daemon.get("default", "sandboxes", "init-retry"), "agentbox.dev/Restarted");
        assertThat(restarted.path("reason").asText()).isEqualTo("InitContainerFailed");
        assertThat(condition(daemon.get("default", "sandboxes", "init-retry"), "Ready").path("message").asText()).contains("trying again in 10 s");
        await().atMost(Duration.ofSeconds(90)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", "init-retry")));
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/init-retry", null);
    }
}
