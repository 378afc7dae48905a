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
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static Run agentbox(String... args) {
        List<String> all = new ArrayList<>(List.of("--server", daemon.endpoint().toString(), "--token", daemon.adminToken()));
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
    void quickstartComputesThe56thPrimeInsideGvisor() throws Exception {
        String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        Run quick = raw("quickstart", "--repo", REPO.toString());
        assertThat(quick.code()).as(quick.out() + quick.err()).isZero();
        assertThat(quick.out()).contains("263").containsPattern("\\(kernel [0-9.]+").doesNotContain("kernel " + hostKernel);
    }
}
