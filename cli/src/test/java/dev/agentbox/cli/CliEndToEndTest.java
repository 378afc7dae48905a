package dev.agentbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agentbox command against a real agentboxd with real gVisor sandboxes, as a user runs it. */
class CliEndToEndTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static Agentboxd daemon;

    record Run(int code, String out, String err) {}

    @BeforeAll
    static void start() throws Exception {
        daemon = Agentboxd.start(new AgentboxdConfig(Files.createTempDirectory("cli-e2e"), "127.0.0.1", 0).withStopSandboxesOnExit(true));
        assertThat(daemon.endpoint().getScheme()).isEqualTo("https");
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static Run agentbox(String... args) {
        // over HTTPS, as agentboxd serves by default: the commands trust the daemon's CA (and nothing else)
        List<String> all = new ArrayList<>(List.of("--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(),
                "--token", daemon.adminToken()));
        all.addAll(List.of(args));
        return raw(all.toArray(String[]::new));
    }

    static Run raw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), new ByteArrayInputStream(new byte[0]));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void applyClaimExecAndCopyAgainstARealDaemon(@TempDir Path tmp) throws Exception {
        Run applied = agentbox("apply", "-f", REPO.resolve("examples/python-runtime-template.yaml").toString(),
                "-f", REPO.resolve("examples/warm-pool.yaml").toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("sandboxtemplate.extensions.agents.x-k8s.io/python-runtime created",
                "sandboxwarmpool.extensions.agents.x-k8s.io/python-pool created");

        Run claimed = agentbox("claim", "python-pool", "--wait", "--name", "e2e", "--timeout", "90s");
        assertThat(claimed.code()).as(claimed.err()).isZero();
        String sandbox = daemon.store().get(dev.agentbox.api.extensions.v1beta1.SandboxClaim.class, "default", "e2e")
                .orElseThrow().getStatus().getSandbox().getName();
        assertThat(claimed.out()).contains(sandbox);

        Run prime = agentbox("exec", sandbox, "--", "python3", "-c", QuickstartCommand.PRIME_SNIPPET);
        assertThat(prime.code()).as(prime.err()).isZero();
        assertThat(prime.out()).isEqualTo("263\n");

        Run failing = agentbox("exec", sandbox, "--", "sh", "-c", "echo oops >&2; exit 7");
        assertThat(failing.code()).isEqualTo(7);
        assertThat(failing.err()).contains("oops");

        Path local = tmp.resolve("script.py");
        Files.writeString(local, "print('copied', 6 * 7)\n");
        assertThat(agentbox("cp", local.toString(), sandbox + ":/tmp/script.py").code()).isZero();
        assertThat(agentbox("exec", sandbox, "--", "python3", "/tmp/script.py").out()).isEqualTo("copied 42\n");
        Path back = tmp.resolve("back.py");
        assertThat(agentbox("cp", sandbox + ":/tmp/script.py", back.toString()).code()).isZero();
        assertThat(Files.readString(back)).isEqualTo("print('copied', 6 * 7)\n");

        Run claims = agentbox("get", "sandboxclaims");
        assertThat(claims.out()).containsPattern("NAME\\s+READY").containsPattern("e2e\\s+True");

        Run missing = agentbox("claim", "no-such-pool", "--wait");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("no-such-pool").doesNotContain("Exception");

        assertThat(agentbox("delete", "sandboxclaim", "e2e").code()).isZero();
        assertThat(agentbox("delete", "sandboxwarmpool", "python-pool").code()).isZero();
    }

    @Test
    void logsPrintsTheMainProcesssOutputAndFollowsItUntilTheSandboxIsDeleted(@TempDir Path tmp) throws Exception {
        Path manifest = tmp.resolve("ticker.yaml");
        Files.writeString(manifest, """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: cli-ticker
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sh", "-c", "echo to-stdout; echo to-stderr >&2; i=0; while true; do sleep 0.3; i=$((i+1)); echo tick-$i; done"]
                """);
        Run applied = agentbox("apply", "-f", manifest.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> agentbox("logs", "cli-ticker").out().contains("tick-1\n"));

        Run all = agentbox("logs", "cli-ticker");
        assertThat(all.code()).as(all.err()).isZero();
        assertThat(all.out()).startsWith("to-stdout\n").contains("to-stderr\n", "tick-1\n");
        Run last = agentbox("logs", "cli-ticker", "--tail", "1", "-n", "default");
        assertThat(last.code()).as(last.err()).isZero();
        assertThat(last.out()).matches("tick-\\d+\n");

        // -f: what is there, then new lines as they come, until the sandbox is deleted; then exit 0
        java.io.StringWriter followed = new java.io.StringWriter();
        java.util.concurrent.CompletableFuture<Integer> follow = java.util.concurrent.CompletableFuture.supplyAsync(() -> Main.execute(
                new String[] {"--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(), "--token", daemon.adminToken(),
                        "logs", "-f", "--tail", "1", "cli-ticker"},
                new PrintWriter(followed, true), new PrintWriter(new StringWriter(), true), new ByteArrayInputStream(new byte[0])));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> followed.toString().lines().count() >= 3);
        List<String> ticks = followed.toString().lines().limit(3).toList();
        int first = Integer.parseInt(ticks.get(0).substring(5));
        assertThat(ticks).containsExactly("tick-" + first, "tick-" + (first + 1), "tick-" + (first + 2));
        assertThat(follow).isNotDone();
        assertThat(agentbox("delete", "sandbox", "cli-ticker").code()).isZero();
        assertThat(follow.get(20, java.util.concurrent.TimeUnit.SECONDS)).isZero();

        Run missing = agentbox("logs", "cli-ticker");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("cli-ticker").contains("not found").doesNotContain("Exception");
        assertThat(agentbox("logs", "-f", "no-such-sandbox").code()).isEqualTo(1);

        Run help = raw("logs", "--help");
        assertThat(help.out()).contains("stdout and stderr", "logs.maxBytes", "while agentboxd is down", "--follow", "--tail");
    }

    @Test
    void quickstartComputesThe56thPrimeInsideGvisor() throws Exception {
        String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        Run quick = raw("quickstart", "--repo", REPO.toString());
        assertThat(quick.code()).as(quick.out() + quick.err()).isZero();
        assertThat(quick.out()).contains("263").containsPattern("\\(kernel [0-9.]+").doesNotContain("kernel " + hostKernel);
    }

    @Test
    void portForwardAndTheSdksPortsReachAnHttpServerInsideASandbox(@TempDir Path tmp) throws Exception {
        Path manifest = tmp.resolve("web.yaml");
        Files.writeString(manifest, """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: cli-web
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sh", "-c", "echo served-from-inside > /tmp/index.html; exec python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp"]
                        readinessProbe:
                          httpGet: {path: /index.html, port: 8000}
                          periodSeconds: 1
                """);
        assertThat(agentbox("apply", "-f", manifest.toString()).code()).isZero();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> daemon.store()
                .get(dev.agentbox.api.agents.v1beta1.Sandbox.class, "default", "cli-web").map(CliEndToEndTest::isReady).orElse(false));

        // the SDK: one connection, and the proxy URL
        try (dev.agentbox.client.SandboxClient client = dev.agentbox.client.SandboxClient.builder().endpoint(daemon.endpoint().toString())
                .caFile(daemon.caFile()).token(daemon.adminToken()).build()) {
            dev.agentbox.client.Sandbox sb = client.attach("cli-web");
            try (dev.agentbox.client.PortConnection c = sb.ports().connect(8000)) {
                c.output().write("GET /index.html HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                c.shutdownOutput();
                String answer = new String(c.input().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(answer).startsWith("HTTP/1.0 200").endsWith("served-from-inside\n");
            }
            java.net.URI url = sb.ports().url(8000);
            assertThat(url.toString()).isEqualTo(daemon.endpoint() + "/api/v1/namespaces/default/sandboxes/cli-web:8000/proxy/");
            java.net.http.HttpResponse<String> viaProxy = java.net.http.HttpClient.newBuilder().sslContext(dev.agentbox.client.AgentboxTls.trusting(daemon.caFile())).build().send(java.net.http.HttpRequest.newBuilder(url.resolve("index.html"))
                    .header("Authorization", "Bearer " + daemon.adminToken()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(viaProxy.body()).isEqualTo("served-from-inside\n");
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> sb.ports().connect(9999)))
                    .isInstanceOf(dev.agentbox.api.AgentboxException.class).hasMessageContaining("nothing listens on port 9999");
        }

        // the CLI: kubectl's output, one local connection after another
        int local;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            local = free.getLocalPort();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Thread forwarding = Thread.ofVirtual().start(() -> Main.execute(new String[] {"--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(), "--token", daemon.adminToken(),
                "port-forward", "cli-web", local + ":8000"}, new PrintWriter(out, true), new PrintWriter(err, true), new ByteArrayInputStream(new byte[0])));
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> out.toString().contains("Forwarding from 127.0.0.1:" + local + " -> 8000"));
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            for (int i = 0; i < 3; i++) {
                java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + local + "/index.html")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).as(err.toString()).isEqualTo("served-from-inside\n");
            }
            assertThat(out.toString()).contains("Handling connection for " + local);
        } finally {
            forwarding.interrupt();
            forwarding.join(10_000);
        }
        assertThat(forwarding.isAlive()).as("port-forward stops on interrupt (Ctrl-C)").isFalse();
        Run bad = agentbox("port-forward", "cli-web", "80:http");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("'http' is not a port 1..65535");
        assertThat(agentbox("delete", "sandbox", "cli-web").code()).isZero();
    }

    static boolean isReady(dev.agentbox.api.agents.v1beta1.Sandbox s) {
        return s.getStatus() != null && s.getStatus().getConditions() != null
                && s.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
