package dev.agentbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code agentbox run}: snippets in a code context of a real gVisor sandbox keep their variables between calls. */
class RunCommandEndToEndTest {
    static Agentboxd daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = Agentboxd.start(new AgentboxdConfig(Files.createTempDirectory("cli-run"), "127.0.0.1", 0).withStopSandboxesOnExit(true));
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    static CliEndToEndTest.Run agentbox(String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("--server", daemon.endpoint().toString(), "--ca-file", daemon.caFile().toString(), "--token", daemon.adminToken()));
        all.addAll(java.util.List.of(args));
        return CliEndToEndTest.raw(all.toArray(String[]::new));
    }

    @Test
    void runKeepsVariablesInTheContextItPrints(@TempDir Path tmp) throws Exception {
        Path manifest = tmp.resolve("sandbox.yaml");
        Files.writeString(manifest, """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: runner
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                """);
        assertThat(agentbox("apply", "-f", manifest.toString()).code()).isZero();
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.store().get(Sandbox.class, "default", "runner")
                .map(s -> s.getStatus() != null && s.getStatus().getConditions() != null && s.getStatus().getConditions().stream()
                        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"))).orElse(false));

        CliEndToEndTest.Run first = agentbox("run", "runner", "--", "x = 41");
        assertThat(first.code()).as(first.err()).isZero();
        Matcher id = Pattern.compile("--context (ctx-[0-9a-f]+)").matcher(first.err());
        assertThat(id.find()).as(first.err()).isTrue();

        CliEndToEndTest.Run second = agentbox("run", "runner", "--context", id.group(1), "--", "print('sum'); x + 1");
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.out()).isEqualTo("sum\n42\n");

        CliEndToEndTest.Run failing = agentbox("run", "runner", "--context", id.group(1), "--", "undefined_name");
        assertThat(failing.code()).isEqualTo(1);
        assertThat(failing.err()).contains("NameError");

        assertThat(agentbox("run", "runner", "--list").out()).contains(id.group(1) + "\tpython");
        assertThat(agentbox("run", "runner", "--context", id.group(1), "--delete").code()).isZero();
        CliEndToEndTest.Run gone = agentbox("run", "runner", "--context", id.group(1), "--", "x");
        assertThat(gone.code()).isNotZero();
        assertThat(gone.err()).contains("not found").contains("create a new one");
        assertThat(agentbox("delete", "sandbox", "runner").code()).isZero();
    }

    @Test
    void runHelpExplainsContexts() {
        CliEndToEndTest.Run help = CliEndToEndTest.raw("run", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("--context").contains("--language").contains("persistent interpreter");
    }
}
