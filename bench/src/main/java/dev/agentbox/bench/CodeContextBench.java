package dev.agentbox.bench;

import dev.agentbox.api.Resources;
import dev.agentbox.client.CodeResult;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Code-context round trips (docs/code-contexts.md): {@code sandbox.code().run("x + 1")} in a live Python context,
 * beside what an agent without contexts pays for the same line, one {@code python3 -c} exec, and beside an exec of
 * {@code true} (the transport alone). One agentboxd of its own, one sandbox of examples/python-runtime-template.yaml.
 */
final class CodeContextBench {
    private CodeContextBench() {}

    static void run(int n) throws Exception {
        Path repo = Path.of(System.getProperty("agentbox.repo", "."));
        Path state = Files.createTempDirectory("agentbox-contexts-bench");
        try (Agentboxd daemon = Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", 0).withStopSandboxesOnExit(true));
             SandboxClient client = SandboxClient.builder().endpoint(daemon.endpoint().toString()).caFile(daemon.caFile()).token(daemon.adminToken())
                     .namespace("contexts").build()) {
            for (HasMetadata o : Resources.parseAll(Files.readString(repo.resolve("examples/python-runtime-template.yaml")))) client.resources().apply(o);
            client.resources().apply(Resources.parseAll("""
                    apiVersion: extensions.agents.x-k8s.io/v1beta1
                    kind: SandboxWarmPool
                    metadata: {name: contexts}
                    spec:
                      replicas: 1
                      sandboxTemplateRef: {name: python-runtime}
                    """).get(0));
            Bench.awaitPoolReady(client, "contexts", 1);
            System.err.println("[bench] code contexts: " + n + " runs of each");
            try (Sandbox s = client.createSandbox("contexts")) {
                long t0 = System.nanoTime();
                CodeResult first = s.code().run("x = 41");
                double firstMs = (System.nanoTime() - t0) / 1e6;
                if (first.failed()) throw new IllegalStateException("the first code run failed: " + first.error() + " " + first.stderr());
                for (int i = 0; i < 10; i++) s.code().run("x + 1");
                List<Double> code = times(n, () -> {
                    CodeResult r = s.code().run("x + 1");
                    if (!"42".equals(r.text())) throw new IllegalStateException("code().run(\"x + 1\") gave " + r.text() + " " + r.error());
                    return null;
                });
                List<Double> python = times(n, () -> {
                    CommandResult r = s.commands().run(List.of("python3", "-c", "x = 41; print(x + 1)"));
                    if (!r.stdout().equals("42\n")) throw new IllegalStateException("python3 -c printed " + r.stdout() + r.stderr());
                    return null;
                });
                List<Double> exec = times(n, () -> s.commands().run(List.of("true")));
                System.out.println();
                System.out.printf("code contexts (one sandbox, python-runtime template), load average %s%n", HostProcs.loadAverage());
                System.out.printf("  first code().run (starts the Python kernel): %.1f ms%n", firstMs);
                System.out.printf("  %-44s %5s %10s %10s%n", "measure", "n", "p50", "p99");
                row("code().run(\"x + 1\") in a live context", code);
                row("exec `python3 -c 'x = 41; print(x + 1)'`", python);
                row("exec `true` (transport only)", exec);
                System.out.printf("  a code-context run is %.1fx faster than a python3 -c exec per snippet (p50)%n", Bench.p(python, 50) / Bench.p(code, 50));
                Results.put("contexts.code.p50", Bench.p(code, 50));
                Results.put("contexts.python.p50", Bench.p(python, 50));
                Results.put("exec.true.p50", Bench.p(exec, 50));
            }
        } finally {
            TempDirs.delete(state);
        }
    }

    private static List<Double> times(int n, Supplier<?> call) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            call.get();
            out.add((System.nanoTime() - t0) / 1e6);
        }
        return out;
    }

    private static void row(String name, List<Double> values) {
        System.out.printf("  %-44s %5d %7.1f ms %7.1f ms%n", name, values.size(), Bench.p(values, 50), Bench.p(values, 99));
    }
}
