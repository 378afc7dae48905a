package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.runtime.TestHosts;
import dev.agentbox.runtime.internal.SandboxNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A template's {@code spec.networkPolicy.egress} reaches its sandboxes on agentboxd (the runtime's EgressTest covers the
 * rules themselves): test host 1 (10.241.1.2, a namespace this test makes) serves TCP 8080 and 8081; the policy allows 8080.
 * Test host 4 stands in for a public host 203.0.113.10 (routed to its namespace), which agentboxd's config
 * ({@code runtime.proxyHosts}, the test seam) names allowed.test.
 */
class EgressPolicyTest {
    static Path dir;
    static TestHosts hosts;
    static Daemon daemon;

    static final String TEMPLATE = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: python
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: python
                    image: agentbox/builtin
                    command: ["sleep", "infinity"]
              networkPolicy:
                egress:
                - to:
                  - ipBlock:
                      cidr: 10.241.1.2/32
                  ports:
                  - protocol: TCP
                    port: 8080
            """;

    static final String PROBE = "python3 -c \"\nimport socket\nfor p in (8080, 8081):\n try:\n"
            + "  print(p, socket.create_connection(('10.241.1.2', p), 2).recv(64).decode().strip())\n"
            + " except Exception as e:\n  print(p, 'closed', type(e).__name__)\n\"";

    @BeforeAll
    static void start() throws Exception {
        String missing = SandboxNetwork.missingTools();
        assumeThat(missing).as("egress tests need ip, nft and nsenter (scripts/setup.sh installs them); missing: " + missing).isNull();
        dir = Files.createTempDirectory("agentbox-egress-");
        hosts = new TestHosts(dir);
        hosts.add(1, List.of(), "tcp=0.0.0.0:8080,0.0.0.0:8081");
        hosts.add(4, List.of("203.0.113.10"), "tcp=0.0.0.0:443");
        Path state = Daemon.tempDir();
        Files.writeString(state.resolve("config.yaml"), "runtime:\n  proxyHosts:\n    allowed.test: 203.0.113.10\n    other.test: 203.0.113.10\n");
        daemon = new Daemon(state);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (daemon != null) daemon.close();
        } finally {
            if (hosts != null) hosts.close();
            if (dir != null) dev.agentbox.runtime.internal.LocalImageStore.deleteTree(dir);
        }
    }

    @Test
    void aClaimedSandboxReachesWhatItsTemplateAllowsAndNothingElse() {
        daemon.createOk("default", TEMPLATE);
        daemon.createOk("default", Daemon.pool("py", 1));
        daemon.createOk("default", Daemon.claim("mine", "py"));
        String sandbox = daemon.awaitClaimReady("default", "mine");
        String out = daemon.exec("default", sandbox, PROBE).json().path("stdout").asText();
        assertThat(out).contains("8080 h1:8080").contains("8081 closed");

        Path records = daemon.stateDir.resolve("runtime").resolve("net");
        assertThat(records.toFile().list()).as("one network per sandbox (the claimed one and the pool's new one)").isNotEmpty();
        daemon.call("DELETE", Daemon.EXT + "default/sandboxwarmpools/py", null);
        daemon.call("DELETE", Daemon.EXT + "default/sandboxclaims/mine", null);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(records.toFile().list()).as("network records left").isEmpty());
        assertThat(TestHosts.output("ip", "netns", "list")).doesNotContain(SandboxNetwork.NETNS_PREFIX);
    }

    static final String CONNECT = "python3 -c \"\nimport os, socket, ssl\nfor name in ('allowed.test', 'other.test'):\n"
            + " p = os.environ['HTTPS_PROXY'].removeprefix('http://').split(':')\n"
            + " o, i = ssl.MemoryBIO(), ssl.MemoryBIO()\n t = ssl.create_default_context().wrap_bio(i, o, server_hostname=name)\n"
            + " try: t.do_handshake()\n except ssl.SSLWantReadError: pass\n"
            + " s = socket.create_connection((p[0], int(p[1])), 3); s.settimeout(3)\n"
            + " s.sendall(('CONNECT %s:443 HTTP/1.1' % name).encode() + bytes([13, 10, 13, 10]))\n"
            + " head = s.recv(39).decode()\n"
            + " if ' 200 ' in head: s.sendall(o.read()); print(name, 'through', s.recv(64).decode().strip())\n"
            + " else: print(name, 'refused', head.split()[1])\n\"";

    @Test
    void theDomainsAnnotationGivesAClaimedSandboxItsProxyAndNothingElse() {
        daemon.createOk("default", """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: proxied
                  annotations:
                    agentbox.dev/egress-domains: allowed.test
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: python
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """);
        daemon.createOk("default", Daemon.pool("pp", 1).replace("name: python", "name: proxied"));
        daemon.createOk("default", Daemon.claim("via-proxy", "pp"));
        String sandbox = daemon.awaitClaimReady("default", "via-proxy");
        String out = daemon.exec("default", sandbox, CONNECT).json().path("stdout").asText();
        assertThat(out).contains("allowed.test through h4:443").contains("other.test refused 403");
        assertThat(daemon.exec("default", sandbox, PROBE).json().path("stdout").asText()).as("no ipBlock: nothing direct")
                .contains("8080 closed").contains("8081 closed");
        daemon.call("DELETE", Daemon.EXT + "default/sandboxwarmpools/pp", null);
        daemon.call("DELETE", Daemon.EXT + "default/sandboxclaims/via-proxy", null);
    }

    @Test
    void aSandboxKeepsItsNetworkAndProxyAcrossKillNineOfAgentboxd() throws Exception {
        Path state = Daemon.tempDir();
        Files.writeString(state.resolve("config.yaml"), "runtime:\n  proxyHosts:\n    allowed.test: 203.0.113.10\n    other.test: 203.0.113.10\n");
        String both = TEMPLATE.replace("  name: python", "  name: python\n  annotations:\n    agentbox.dev/egress-domains: allowed.test");
        DaemonProcess first = new DaemonProcess(state);
        String sandbox;
        try {
            first.post(Daemon.EXT + "default/sandboxtemplates", both);
            first.post(Daemon.EXT + "default/sandboxwarmpools", Daemon.pool("py", 1));
            first.post(Daemon.EXT + "default/sandboxclaims", Daemon.claim("survivor", "py"));
            sandbox = SurvivesRestartTest.awaitClaim(first, "survivor");
            assertThat(SurvivesRestartTest.stdout(first, sandbox, PROBE)).contains("8080 h1:8080");
        } finally {
            first.killNine();
        }
        try (Daemon second = new Daemon(state)) {
            assertThat(second.awaitClaimReady("default", "survivor")).isEqualTo(sandbox);
            assertThat(second.exec("default", sandbox, PROBE).json().path("stdout").asText()).contains("8080 h1:8080").contains("8081 closed");
            assertThat(second.exec("default", sandbox, CONNECT).json().path("stdout").asText()).as("the proxy, started again on re-attach")
                    .contains("allowed.test through h4:443").contains("other.test refused 403");
            JsonNode s = second.get("default", "sandboxes", sandbox);
            assertThat(s.path("metadata").path("annotations").has("agentbox.dev/restart-count")).as("the same sandbox, not started again").isFalse();
        } finally {
            SurvivesRestartTest.stopLeftovers(state);
        }
        assertThat(state.resolve("runtime").resolve("net").toFile().list()).as("network records after every sandbox stopped").isEmpty();
    }

    @Test
    void theNetworkOfASandboxThatWentWhileAgentboxdWasKilledIsRemovedAtItsNextStart() throws Exception {
        Path state = Daemon.tempDir();
        DaemonProcess first = new DaemonProcess(state);
        String id;
        java.util.Properties net = new java.util.Properties();
        try {
            // restartPolicy Never: a sandbox that went is not started again (under the same id, with the same veth name)
            first.post(Daemon.EXT + "default/sandboxtemplates", TEMPLATE.replace("      containers:", "      restartPolicy: Never\n      containers:"));
            first.post(Daemon.EXT + "default/sandboxwarmpools", Daemon.pool("py", 1));
            first.post(Daemon.EXT + "default/sandboxclaims", Daemon.claim("goner", "py"));
            String sandbox = SurvivesRestartTest.awaitClaim(first, "goner");
            id = SurvivesRestartTest.containerId(Daemon.JSON.readTree(first.get(Daemon.AGENTS + "default/sandboxes/" + sandbox)));
            try (var in = Files.newInputStream(state.resolve("runtime/net").resolve(id))) {
                net.load(in);
            }
        } finally {
            first.killNine();
        }
        // the sandbox dies while no agentboxd runs (its pool member too): runsc forgets them
        String runscRoot = state.resolve("runtime/runsc").toString();
        for (String c : state.resolve("runtime/net").toFile().list()) {
            new ProcessBuilder("runsc", "--root", runscRoot, "delete", "-force", c).inheritIO().start().waitFor();
        }
        assertThat(links()).contains(net.getProperty("veth"));
        try (Daemon second = new Daemon(state)) {
            assertThat(second.list("default", "sandboxes")).isNotEmpty(); // the objects are kept; their networks are not
            assertThat(links()).as("veth of the sandbox that went").doesNotContain(net.getProperty("veth"));
            assertThat(netns()).as("namespace of the sandbox that went").doesNotContain(net.getProperty("netns"));
            assertThat(run("nft", "list", "table", "inet", "agentbox")).doesNotContain(net.getProperty("veth"));
            assertThat(state.resolve("runtime/net").resolve(id)).as("its network record").doesNotExist();
        } finally {
            SurvivesRestartTest.stopLeftovers(state);
        }
        assertThat(state.resolve("runtime/net").toFile().list()).as("network records after every sandbox stopped").isEmpty();
    }

    private static String links() throws Exception {
        return run("ip", "-o", "link", "show");
    }

    private static String netns() throws Exception {
        return run("ip", "netns", "list");
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void aPolicyAgentboxdCannotHonourIsRefusedNamingTheField() {
        Daemon.Response r = daemon.create("default", TEMPLATE.replace("name: python", "name: named-port").replace("port: 8080", "port: http"));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.body()).contains("spec.networkPolicy.egress[0].ports[0].port").contains("give the number");
    }
}
