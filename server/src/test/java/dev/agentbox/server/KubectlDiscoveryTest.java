package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl reads agentboxd's discovery, OpenAPI (v3 for explain and for learning that the server validates
 * fields; v2 protobuf for explain's v2 output) and Table output. kubectl sends a bearer token over TLS only, so this
 * runs when agentboxd serves HTTPS (skipped on plain HTTP) and kubectl is installed. It was checked by hand through a
 * TLS-terminating proxy in front of a plain-HTTP agentboxd.
 */
class KubectlDiscoveryTest {
    static Daemon daemon;
    @TempDir
    static Path home;
    static Path kubeconfig;

    static Path kubectl() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "kubectl");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    @BeforeAll
    static void start() throws IOException {
        assumeTrue(kubectl() != null, "kubectl is not installed");
        daemon = new Daemon();
        kubeconfig = home.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: agentbox
                  cluster:
                    server: %s
                    certificate-authority: %s
                users:
                - name: admin
                  user:
                    token: %s
                contexts:
                - name: agentbox
                  context: {cluster: agentbox, user: admin, namespace: default}
                current-context: agentbox
                """.formatted(daemon.agentboxd.endpoint(), daemon.agentboxd.caFile(), daemon.token));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) daemon.close();
    }

    record Run(int exit, String out) {
    }

    static Run kubectl(String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(kubectl().toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString()); // its own discovery cache
        Process p = pb.start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl %s finished", String.join(" ", args)).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static String ok(String stdin, String... args) throws Exception {
        Run r = kubectl(stdin, args);
        assertThat(r.exit()).as("kubectl %s: %s", String.join(" ", args), r.out()).isZero();
        return r.out();
    }

    @Test
    void kubectlDiscoversExplainsAppliesAndPrintsColumns() throws Exception {
        assertThat(ok(null, "api-resources")).contains("sandboxwarmpools", "swp", "extensions.agents.x-k8s.io/v1beta1", "SandboxWarmPool",
                "podsnapshotstorageconfigs");
        assertThat(ok(null, "version")).contains("Server Version: v1.32.0-agentbox");
        assertThat(ok(null, "explain", "sandboxclaims.spec")).contains("warmPoolRef", "-required-");
        assertThat(ok(null, "explain", "--output=plaintext-openapiv2", "sandboxclaims.spec")).contains("warmPoolRef");
        ok(Daemon.TEMPLATE + "---\n" + Daemon.pool("pool", 0), "apply", "--validate=strict", "-f", "-");
        assertThat(ok(null, "get", "swp")).containsPattern("NAME\\s+DESIRED\\s+READY\\s+AGE").containsPattern("pool\\s+0\\s+");
        Run bad = kubectl(Daemon.claim("c1", "pool").replace("warmPoolRef", "warmPoolReff"), "apply", "--validate=strict", "-f", "-");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.out()).contains("warmPoolReff");
    }
}
