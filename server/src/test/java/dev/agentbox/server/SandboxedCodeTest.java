package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile code inside sandboxes that agentboxd runs (issue 9), through the API as a user would: the
 * daemon's default limits apply to a template that sets none, and the sandbox stays Ready and usable.
 */
class SandboxedCodeTest {
    static Daemon daemon;

    static final String NO_LIMITS = """
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
                    command: ["sleep", "infinity"]
            %s""";

    @BeforeAll
    static void start() {
        daemon = new Daemon();
        daemon.createOk("default", NO_LIMITS.formatted("plain", ""));
        awaitReady("plain");
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static void awaitReady(String name) {
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(daemon.get("default", "sandboxes", name)));
    }

    static JsonNode exec(String sandbox, String shell, int timeoutSeconds) throws Exception {
        String body = Daemon.JSON.writeValueAsString(Map.of("shell", shell, "timeoutSeconds", timeoutSeconds));
        Daemon.Response r = daemon.call("POST", "/api/v1/namespaces/default/sandboxes/" + sandbox + "/exec", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** Ready, and the next command answers within a second. */
    static void assertUsable(String sandbox) throws Exception {
        assertThat(Daemon.ready(daemon.get("default", "sandboxes", sandbox))).as("Ready").isTrue();
        JsonNode r = exec(sandbox, "echo usable", 10);
        assertThat(r.path("stdout").asText()).isEqualTo("usable\n");
        assertThat(r.path("durationMillis").asLong()).isLessThan(1000);
    }

    @Test
    void aTemplateWithoutLimitsGetsTheDaemonsDefaultMemoryAndStorageLimits() throws Exception {
        JsonNode hog = exec("plain", "python3 -c 'b = bytearray(3 << 30); print(len(b))'", 60);
        assertThat(hog.path("exitCode").asInt()).isNotZero();
        assertThat(hog.path("stderr").asText()).contains("MemoryError");
        JsonNode fill = exec("plain", "dd if=/dev/zero of=/tmp/big bs=1M count=2048 2>&1; stat -c size=%s /tmp/big; rm -f /tmp/big", 120);
        assertThat(fill.path("stdout").asText()).contains("No space left on device");
        long written = Long.parseLong(fill.path("stdout").asText().replaceAll("(?s).*size=(\\d+).*", "$1"));
        assertThat(written).as("the default ephemeral-storage limit, 1Gi").isLessThanOrEqualTo(1L << 30);
        JsonNode df = exec("plain", "grep -E 'CapEff|Uid' /proc/self/status; id -un", 10);
        assertThat(df.path("stdout").asText()).contains("sandbox").contains("CapEff:\t0000000000000000");
        assertUsable("plain");
    }

    @Test
    void forkBombsOfTheDefaultUserEndAndLeaveTheSandboxUsable() throws Exception {
        exec("plain", "bash -c ':(){ :|:& };:'", 5); // returns at once; its orphans fork on until its 5 s timeout ends them
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(exec("plain", "ps -e -o args= | grep -c '^bash'", 10).path("stdout").asText().strip()).as("bash bomb processes").isEqualTo("0"));
        assertUsable("plain");
        JsonNode py = exec("plain", "python3 -c '\nimport os, time\nwhile True:\n  try: os.fork()\n  except OSError: time.sleep(0.01)\n'", 5);
        // ended by its timeout, by the agent's memory watchdog, or by SIGKILL from gVisor's own OOM killer (seen with the
        // ptrace platform: its children then linger until the timeout ends them, which the next check proves)
        assertThat(py.path("timedOut").asBoolean() || py.path("oomKilled").asBoolean() || py.path("exitCode").asInt() == 137).as(py.toString()).isTrue();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(exec("plain", "ps -e -o args= | grep -cE '^(bash|python3)'", 10).path("stdout").asText().strip())
                        .as("processes of the bombs left").isEqualTo("0"));
        assertUsable("plain");
    }

    @Test
    void killingPidOneOrWritingToTheAgentsChannelFromInsideChangesNothing() throws Exception {
        JsonNode r = exec("plain", "kill -9 1; echo kill=$?; printf '\\037\\377\\377\\377\\147\\000\\000\\000\\001' > /proc/1/fd/1; echo write=$?", 10);
        assertThat(r.path("stdout").asText()).isEqualTo("kill=1\nwrite=2\n");
        assertUsable("plain");
    }

    @Test
    void capabilitiesDropAllIsHonouredForARootCommand() throws Exception {
        daemon.createOk("default", NO_LIMITS.formatted("nocaps", """
                        securityContext:
                          runAsUser: 0
                          capabilities:
                            drop: [ALL]
                """));
        awaitReady("nocaps");
        String status = exec("nocaps", "grep -E 'CapEff|CapBnd' /proc/self/status; id -u", 10).path("stdout").asText();
        assertThat(status).contains("CapEff:\t0000000000000000").contains("CapBnd:\t0000000000000000").endsWith("0\n");
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/nocaps", null);
    }

    @Test
    void aSandboxWhoseShimIsKilledIsReportedAndStartedAgain() throws Exception {
        daemon.createOk("default", NO_LIMITS.formatted("fragile", ""));
        awaitReady("fragile");
        exec("fragile", "echo here > /tmp/state", 10);
        String id = "ab-" + daemon.get("default", "sandboxes", "fragile").path("metadata").path("uid").asText();
        Path pidFile = daemon.stateDir.resolve("runtime/s/" + id + ".pid");
        ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode s = daemon.get("default", "sandboxes", "fragile");
            assertThat(condition(s, "agentbox.dev/Restarted")).isNotNull();
            assertThat(Daemon.ready(s)).isTrue();
        });
        JsonNode s = daemon.get("default", "sandboxes", "fragile");
        JsonNode restarted = condition(s, "agentbox.dev/Restarted");
        assertThat(restarted.path("reason").asText()).isEqualTo("SandboxFailed");
        assertThat(restarted.path("message").asText()).contains("lost");
        assertThat(s.path("metadata").path("annotations").path("agentbox.dev/restart-count").asText()).isEqualTo("1");
        assertThat(exec("fragile", "cat /tmp/state 2>&1", 10).path("stdout").asText()).contains("No such file");
        daemon.call("DELETE", Daemon.AGENTS + "default/sandboxes/fragile", null);
    }

    static JsonNode condition(JsonNode object, String type) {
        for (JsonNode c : object.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c;
        return null;
    }
}
