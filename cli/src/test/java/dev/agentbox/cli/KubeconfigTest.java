package dev.agentbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.Resources;
import dev.agentbox.client.AgentboxTls;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.client.ServerUnavailableException;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agentbox kubeconfig} against a real agentboxd over HTTPS, used by the real kubectl: the token and agentboxd's
 * CA in the kubeconfig are what make it work. Only requests that need no discovery (which agentboxd does not serve yet).
 */
class KubeconfigTest {
    static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    static final String TEMPLATES = "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/%s/sandboxtemplates";
    static final ObjectMapper JSON = new ObjectMapper();
    static Agentboxd daemon;
    static Agentboxd other; // another agentboxd, with a CA of its own

    record Run(int code, String out, String err) {}

    @BeforeAll
    static void start() throws Exception {
        daemon = Agentboxd.start(new AgentboxdConfig(Files.createTempDirectory("kubeconfig-e2e"), "127.0.0.1", 0).withStopSandboxesOnExit(true));
        other = Agentboxd.start(new AgentboxdConfig(Files.createTempDirectory("kubeconfig-e2e-other"), "127.0.0.1", 0).withStopSandboxesOnExit(true));
        try (SandboxClient c = SandboxClient.builder().endpoint(daemon.endpoint()).caFile(daemon.caFile()).token(daemon.adminToken()).build()) {
            for (HasMetadata r : Resources.parseAll(Files.readString(CliEndToEndTest.REPO.resolve("examples/python-runtime-template.yaml")))) {
                c.resources().apply(r);
            }
        }
    }

    @AfterAll
    static void stop() {
        try {
            if (daemon != null) daemon.close();
        } finally {
            if (other != null) other.close();
        }
    }

    static Run agentbox(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), new ByteArrayInputStream(new byte[0]));
        return new Run(code, out.toString(), err.toString());
    }

    /** {@code agentbox kubeconfig} for {@link #daemon}, with the given extra arguments. */
    static Run kubeconfig(String... args) {
        List<String> all = new ArrayList<>(List.of("--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(),
                "--token", daemon.adminToken(), "kubeconfig"));
        all.addAll(List.of(args));
        return agentbox(all.toArray(String[]::new));
    }

    static Run kubectl(Path home, Path kubeconfig, String... args) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(KUBECTL), "kubectl is not installed at " + KUBECTL
                + ": this test runs the real kubectl (v1.32) against agentboxd; install it to run it");
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--kubeconfig", kubeconfig.toString(), "--request-timeout=30s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", home.toString()); // no ~/.kube of the machine's user
        pb.environment().remove("KUBECONFIG");
        Path stdout = home.resolve("kubectl.out");
        Path stderr = home.resolve("kubectl.err");
        Process p = pb.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + args[0] + " did not end in 60 s");
        }
        return new Run(p.exitValue(), Files.readString(stdout), Files.readString(stderr));
    }

    @Test
    void kubectlAuthenticatesWithTheTokenAndTrustsAgentboxdsCaFromTheKubeconfig(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("kube/agentbox.kubeconfig");
        Run wrote = kubeconfig("--write", file.toString());
        assertThat(wrote.code()).as(wrote.err()).isZero();
        assertThat(wrote.out()).contains("wrote " + file, "kubectl --kubeconfig " + file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        Run health = kubectl(tmp, file, "get", "--raw", "/healthz");
        assertThat(health.code()).as(health.err()).isZero();
        assertThat(health.out().strip()).isEqualTo("ok");

        Run templates = kubectl(tmp, file, "get", "--raw", TEMPLATES.formatted("default"));
        assertThat(templates.code()).as(templates.err()).isZero();
        JsonNode list = JSON.readTree(templates.out());
        assertThat(list.path("kind").asText()).isEqualTo("SandboxTemplateList");
        assertThat(list.path("items").findValuesAsText("name")).contains("python-runtime");

        Run context = kubectl(tmp, file, "config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.namespace} {.current-context}");
        assertThat(context.out()).isEqualTo("default agentbox");
    }

    @Test
    void withoutTheRightTokenOrCaKubectlFails(@TempDir Path tmp) throws Exception {
        Path wrongToken = tmp.resolve("wrong-token");
        assertThat(agentbox("--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(), "--token", "abx_not-a-token",
                "kubeconfig", "--write", wrongToken.toString()).code()).isZero();
        Run unauthorized = kubectl(tmp, wrongToken, "get", "--raw", TEMPLATES.formatted("default"));
        assertThat(unauthorized.code()).isNotZero();
        assertThat(unauthorized.err()).contains("You must be logged in to the server", "missing or unknown bearer token");

        // the CA of another agentboxd: kubectl refuses this one's certificate
        Path wrongCa = tmp.resolve("wrong-ca");
        assertThat(agentbox("--server", daemon.endpoint().toString(), "--ca-file", other.caFile().toString(), "--token", daemon.adminToken(),
                "kubeconfig", "--write", wrongCa.toString()).code()).isZero();
        Run untrusted = kubectl(tmp, wrongCa, "get", "--raw", "/healthz");
        assertThat(untrusted.code()).isNotZero();
        assertThat(untrusted.err()).contains("x509");
    }

    @Test
    void aScopedTokenAndItsNamespaceGoIntoTheKubeconfig(@TempDir Path tmp) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(AgentboxTls.trusting(daemon.caFile())).build();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(daemon.endpoint() + "/api/v1/tokens"))
                .header("Authorization", "Bearer " + daemon.adminToken()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"kubectl-team-a\",\"namespaces\":[\"team-a\"]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String teamA = JSON.readTree(created.body()).path("token").asText();

        Path file = tmp.resolve("team-a");
        Run wrote = agentbox("--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(),
                "kubeconfig", "--token", teamA, "-n", "team-a", "--context", "team-a", "--write", file.toString());
        assertThat(wrote.code()).as(wrote.err()).isZero();
        Run own = kubectl(tmp, file, "get", "--raw", TEMPLATES.formatted("team-a"));
        assertThat(own.code()).as(own.err()).isZero();
        assertThat(JSON.readTree(own.out()).path("kind").asText()).isEqualTo("SandboxTemplateList");
        Run foreign = kubectl(tmp, file, "get", "--raw", TEMPLATES.formatted("default"));
        assertThat(foreign.code()).isNotZero();
        assertThat(foreign.err()).containsIgnoringCase("forbidden");
        Run context = kubectl(tmp, file, "config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.namespace} {.current-context}");
        assertThat(context.out()).isEqualTo("team-a team-a");
    }

    @Test
    void kubeconfigPrintsTheServerTheCaDataTheTokenAndTheNamespace() throws Exception {
        Run printed = kubeconfig("-n", "team-b", "--context", "local");
        assertThat(printed.code()).as(printed.err()).isZero();
        JsonNode k = Manifests.YAML.readTree(printed.out());
        assertThat(k.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(k.path("kind").asText()).isEqualTo("Config");
        assertThat(k.path("current-context").asText()).isEqualTo("local");
        JsonNode cluster = k.path("clusters").get(0);
        assertThat(cluster.path("name").asText()).isEqualTo("local");
        assertThat(cluster.path("cluster").path("server").asText()).isEqualTo(daemon.endpoint().toString()).startsWith("https://127.0.0.1:");
        assertThat(Base64.getDecoder().decode(cluster.path("cluster").path("certificate-authority-data").asText()))
                .isEqualTo(Files.readAllBytes(daemon.caFile()));
        assertThat(k.path("users").get(0).path("user").path("token").asText()).isEqualTo(daemon.adminToken());
        JsonNode context = k.path("contexts").get(0).path("context");
        assertThat(context.path("cluster").asText()).isEqualTo("local");
        assertThat(context.path("user").asText()).isEqualTo("local");
        assertThat(context.path("namespace").asText()).isEqualTo("team-b");

        Run plain = agentbox("--server", "http://127.0.0.1:1", "--token", "t", "kubeconfig");
        assertThat(plain.code()).isZero();
        assertThat(plain.err()).contains("plain HTTP", "kubectl sends no bearer token");
        assertThat(plain.out()).doesNotContain("certificate-authority-data");

        Run noCa = agentbox("--server", "https://127.0.0.1:1", "--ca-file", "/nonexistent/ca.crt", "--token", "t", "kubeconfig");
        assertThat(noCa.code()).isEqualTo(1);
        assertThat(noCa.err()).contains("/nonexistent/ca.crt").doesNotContain("Exception");

        Run help = agentbox("kubeconfig", "--help");
        assertThat(help.out()).contains("certificate-authority-data", "0600", "--write", "--context", "--namespace", "--token", "kubectl");
        assertThat(agentbox("--help").out()).contains("kubeconfig");
        assertThat(agentbox("serve", "--help").out()).contains("--insecure-http", "STATE_DIR/tls/", "agentbox kubeconfig");
    }

    @Test
    void theSdkAndTheCliTrustOnlyAgentboxdsCa(@TempDir Path empty) throws Exception {
        // the state directory's tls/ca.crt, found as the endpoint and token are
        try (SandboxClient c = SandboxClient.builder().stateDir(daemon.config().stateDir()).build()) {
            assertThat(c.resources().list(dev.agentbox.client.ResourceType.SANDBOX_TEMPLATE, null)).isNotEmpty();
        }
        // another agentboxd's CA
        try (SandboxClient c = SandboxClient.builder().endpoint(daemon.endpoint()).caFile(other.caFile()).token(daemon.adminToken()).build()) {
            assertThatThrownBy(() -> c.resources().list(dev.agentbox.client.ResourceType.SANDBOX_TEMPLATE, null))
                    .isInstanceOf(ServerUnavailableException.class)
                    .hasMessageContaining("TLS handshake").hasMessageContaining(other.caFile().toString()).hasMessageContaining("AGENTBOX_CA_FILE");
        }
        // no CA at all: the JDK's default trust store, which does not know agentboxd's CA
        try (SandboxClient c = SandboxClient.builder().stateDir(empty).endpoint(daemon.endpoint()).token(daemon.adminToken()).build()) {
            Assumptions.assumeTrue(System.getenv("AGENTBOX_CA_FILE") == null, "AGENTBOX_CA_FILE is set in this environment");
            assertThatThrownBy(() -> c.resources().list(dev.agentbox.client.ResourceType.SANDBOX_TEMPLATE, null))
                    .isInstanceOf(ServerUnavailableException.class).hasMessageContaining("no CA file was given");
        }
        Run cli = agentbox("--server", daemon.endpoint().toString(), "--ca-file", other.caFile().toString(), "--token", daemon.adminToken(),
                "get", "sandboxtemplates");
        assertThat(cli.code()).isEqualTo(1);
        assertThat(cli.err()).contains("TLS handshake", other.caFile().toString()).doesNotContain("\tat ");
        // plain HTTP to the HTTPS port: a hint at the scheme
        Run plain = agentbox("--server", daemon.endpoint().toString().replace("https://", "http://"), "--token", daemon.adminToken(),
                "get", "sandboxtemplates");
        assertThat(plain.code()).isEqualTo(1);
        assertThat(plain.err()).contains("should the address be https://?");
    }
}
