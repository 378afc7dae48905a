package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a sandbox claimed through agentboxd can and cannot reach. */
class IsolationTest {
    static Daemon daemon;
    static String sandbox;
    static final String NS = "iso";

    @BeforeAll
    static void start() {
        daemon = new Daemon();
        daemon.createOk(NS, Daemon.TEMPLATE);
        daemon.createOk(NS, Daemon.pool("py", 1));
        daemon.createOk(NS, Daemon.claim("iso", "py"));
        sandbox = daemon.awaitClaimReady(NS, "iso");
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    JsonNode run(String shell) {
        Daemon.Response r = daemon.exec(NS, sandbox, shell);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void theKernelIsGvisorsNotTheHosts() {
        assertThat(run("dmesg 2>/dev/null | head -3; uname -a").path("stdout").asText()).containsIgnoringCase("gvisor");
    }

    @Test
    void hostSecretsAndAgentboxdStateAreInvisible() {
        JsonNode r = run("ls /etc/shadow /root/.ssh /home/* " + daemon.stateDir + " " + daemon.stateDir.resolve("admin.token") + " 2>&1; echo done");
        assertThat(r.path("stdout").asText()).doesNotContain("abx_admin").contains("No such file").endsWith("done\n");
        assertThat(run("cat /etc/shadow").path("exitCode").asInt()).isNotZero();
        // the default user cannot read everything (/root is 0700): what matters is that no file it sees holds a token
        // (/usr is the host's read-only /usr, which agentboxd never writes to; scanning it costs a minute)
        assertThat(run("grep -rl --exclude-dir=proc --exclude-dir=sys --exclude-dir=usr abx_admin / 2>/dev/null | head -3; echo scanned").path("stdout").asText()).isEqualTo("scanned\n");
    }

    @Test
    void thereIsNoNetwork() {
        String py = "import socket\nfor h,p in [('127.0.0.1'," + daemon.agentboxd.endpoint().getPort() + "),('1.1.1.1',53),('10.0.0.1',80)]:\n"
                + "  try:\n    socket.create_connection((h,p),timeout=2); print('connected',h)\n  except OSError as e: print('blocked',h)\n";
        String out = run("python3 -c \"" + py.replace("\"", "\\\"") + "\"").path("stdout").asText();
        assertThat(out).doesNotContain("connected").contains("blocked 127.0.0.1", "blocked 1.1.1.1", "blocked 10.0.0.1");
    }

    @Test
    void forkBombAndMemoryHogAreContained() {
        // the bomb hits the process-count limit inside; at its timeout the whole process group is killed
        JsonNode bomb = daemon.call("POST", "/api/v1/namespaces/" + NS + "/sandboxes/" + sandbox + "/exec",
                "{\"shell\":\"b(){ b|b & }; b; sleep 60\",\"timeoutSeconds\":5}").json();
        assertThat(bomb.path("timedOut").asBoolean()).as(bomb.toString()).isTrue();
        // what matters: every process of the bomb is gone and the sandbox serves the next command at once
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(run("ps -e -o args= | grep -c '^/bin/sh -c b()'").path("stdout").asText().strip()).isEqualTo("0"));
        JsonNode next = run("echo next");
        assertThat(next.path("stdout").asText()).isEqualTo("next\n");
        assertThat(next.path("durationMillis").asLong()).isLessThan(1000);
        JsonNode hog = run("python3 -c \"x = bytearray(1024*1024*1024); print('allocated')\"");
        assertThat(hog.path("stdout").asText()).doesNotContain("allocated");
        assertThat(hog.path("exitCode").asInt()).isNotZero();
        assertThat(run("echo alive").path("stdout").asText()).isEqualTo("alive\n");
        assertThat(daemon.call("GET", "/healthz", null, null).status()).isEqualTo(200);
    }
}
