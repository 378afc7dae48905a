package dev.agentbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.client.testing.FakeAgentboxd;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    FakeAgentboxd daemon;

    record Run(int code, String out, String err) {}

    @BeforeEach
    void start() throws Exception {
        daemon = new FakeAgentboxd();
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    Run run(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("--server", daemon.endpoint().toString(), "--token", FakeAgentboxd.TOKEN));
        all.addAll(List.of(args));
        return runRaw(stdin, all.toArray(String[]::new));
    }

    Run runRaw(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
        return new Run(code, out.toString(), err.toString());
    }

    static final String MANIFESTS = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: python
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: python
                    image: builtin
            ---
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxWarmPool
            metadata:
              name: python-pool
            spec:
              replicas: 2
              sandboxTemplateRef:
                name: python
            """;

    @Test
    void applyPrintsCreatedThenConfiguredLikeKubectlAndShowsWarnings(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.yaml");
        Files.writeString(f, MANIFESTS);
        daemon.writeWarnings = List.of("spec.podTemplate.spec.nodeSelector is ignored on one host");
        Run first = run(null, "apply", "-f", f.toString());
        assertThat(first.code()).isZero();
        assertThat(first.out()).isEqualTo("""
                sandboxtemplate.extensions.agents.x-k8s.io/python created
                sandboxwarmpool.extensions.agents.x-k8s.io/python-pool created
                """);
        assertThat(first.err()).contains("Warning: spec.podTemplate.spec.nodeSelector is ignored on one host");
        Run second = run(MANIFESTS, "apply", "-f", "-");
        assertThat(second.out()).contains("sandboxtemplate.extensions.agents.x-k8s.io/python configured");
    }

    @Test
    void applyOfBrokenYamlIsOneErrorLine() {
        Run r = run("kind: [unclosed", "apply", "-f", "-");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).startsWith("error: stdin: not valid YAML");
    }

    @Test
    void getPrintsAlignedColumnsWithAge() {
        ObjectNode claim = JSON.createObjectNode().put("apiVersion", "extensions.agents.x-k8s.io/v1beta1").put("kind", "SandboxClaim");
        claim.putObject("metadata").put("name", "c1").put("creationTimestamp", Instant.now().minusSeconds(200).toString());
        claim.putObject("spec").putObject("warmPoolRef").put("name", "python-pool");
        ObjectNode status = claim.putObject("status");
        status.putObject("sandbox").put("name", "python-pool-abcde");
        status.putArray("conditions").addObject().put("type", "Ready").put("status", "True").put("reason", "DependenciesReady");
        daemon.put("sandboxclaims", claim);

        Run r = run(null, "get", "claims");
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).matches("NAME\\s+READY\\s+REASON\\s+SANDBOX\\s+AGE");
        assertThat(lines.get(1)).matches("c1\\s+True\\s+DependenciesReady\\s+python-pool-abcde\\s+3m2\\ds");
        assertThat(lines.get(0).indexOf("SANDBOX")).isEqualTo(lines.get(1).indexOf("python-pool-abcde"));

        Run wide = run(null, "get", "sandboxclaim", "c1", "-o", "wide");
        assertThat(wide.out().lines().findFirst().orElseThrow()).contains("WARMPOOL");
        assertThat(run(null, "get", "claim", "c1", "-o", "yaml").out()).contains("name: c1").contains("reason: DependenciesReady");
        assertThat(run(null, "get", "claim", "-o", "json").out()).contains("\"kind\" : \"List\"");
        assertThat(run(null, "get", "sandboxclaims", "-o", "name").out()).isEqualTo("sandboxclaim.extensions.agents.x-k8s.io/c1\n");
    }

    @Test
    void getOfAnEmptyKindSaysSoOnStderr() {
        Run r = run(null, "get", "sbx");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("No resources found in default namespace.\n");
    }

    @Test
    void warmPoolsShowReadyOverDesired() {
        ObjectNode pool = JSON.createObjectNode().put("apiVersion", "extensions.agents.x-k8s.io/v1beta1").put("kind", "SandboxWarmPool");
        pool.putObject("metadata").put("name", "python-pool");
        pool.putObject("spec").put("replicas", 3).putObject("sandboxTemplateRef").put("name", "python");
        pool.putObject("status").put("readyReplicas", 2);
        daemon.put("sandboxwarmpools", pool);
        Run r = run(null, "get", "warmpool");
        assertThat(r.out().lines().skip(1).findFirst().orElseThrow()).matches("python-pool\\s+python\\s+2/3\\s+\\d+s");
    }

    @Test
    void errorsAreOneLineOnStderrWithExitCode1() {
        Run missing = run(null, "get", "sandboxtemplate", "nope");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("error: SandboxTemplate default/nope not found\n");

        Run unknown = run(null, "get", "pods");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("error: unknown resource type \"pods\"").doesNotContain("\tat ");

        Run usage = run(null, "exec");
        assertThat(usage.code()).isEqualTo(1);
        assertThat(usage.err().strip().lines()).hasSize(1);

        Run badToken = runRaw(null, "--server", daemon.endpoint().toString(), "--token", "wrong", "get", "sbx");
        assertThat(badToken.code()).isEqualTo(1);
        assertThat(badToken.err()).startsWith("error: missing or unknown bearer token");
    }

    @Test
    void anUnreachableServerSaysHowToStartOne() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = runRaw(null, "get", "sbx", "--server", "http://127.0.0.1:" + port, "--token", "x");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("cannot reach agentboxd").contains("agentbox serve");
    }

    @Test
    void claimWaitPrintsTheClaimAndSandboxNames() {
        Run r = run(null, "claim", "python-pool", "--wait", "--name", "mine");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("claim: mine\nsandbox: mine-sbx\n");
        assertThat(daemon.get("sandboxclaims", "default", "mine")).as("the claim stays").isNotNull();

        daemon.claimMode = FakeAgentboxd.ClaimMode.NEVER_READY;
        Run slow = run(null, "claim", "python-pool", "--wait", "--timeout", "500ms");
        assertThat(slow.code()).isEqualTo(1);
        assertThat(slow.err()).startsWith("error: SandboxClaim default/python-pool-").contains("DependenciesNotReady");
    }

    @Test
    void execStreamsOutputAndExitsWithTheCommandsExitCode() {
        run(null, "claim", "pool", "--wait", "--name", "c");
        daemon.exec = req -> new FakeAgentboxd.ExecAnswer(3, List.of(Map.entry(true, "out\n"), Map.entry(false, "err\n")), false);
        Run r = run(null, "exec", "c-sbx", "-w", "/tmp", "-e", "A=1", "--timeout", "10s", "--", "python3", "-c", "exit(3)");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("out\n");
        assertThat(r.err()).isEqualTo("err\n");
        var sent = daemon.execRequests.get(daemon.execRequests.size() - 1);
        assertThat(sent.path("command").toString()).isEqualTo("[\"python3\",\"-c\",\"exit(3)\"]");
        assertThat(sent.path("workingDir").asText()).isEqualTo("/tmp");
        assertThat(sent.path("env").path("A").asText()).isEqualTo("1");
        assertThat(sent.path("timeoutSeconds").asInt()).isEqualTo(10);

        Run viaClaim = run("input", "exec", "--claim", "c", "-i", "--", "cat");
        assertThat(daemon.execRequests.get(daemon.execRequests.size() - 1).path("stdin").asText()).isEqualTo("input");
        assertThat(viaClaim.code()).isEqualTo(3);

        daemon.exec = req -> new FakeAgentboxd.ExecAnswer(137, List.of(), true);
        Run timedOut = run(null, "exec", "c-sbx", "--", "sleep", "99");
        assertThat(timedOut.code()).isEqualTo(124);
        assertThat(timedOut.err()).contains("timeout");
    }

    @Test
    void cpCopiesFilesAndDirectoriesBothWays(@TempDir Path dir) throws Exception {
        run(null, "claim", "pool", "--wait", "--name", "c");
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("sub"));
        Files.writeString(src.resolve("a.txt"), "A");
        Files.writeString(src.resolve("sub/b.txt"), "B");
        assertThat(run(null, "cp", src.resolve("a.txt").toString(), "c-sbx:/work/a.txt").code()).isZero();
        assertThat(daemon.files().get("/work/a.txt")).isEqualTo("A".getBytes());
        assertThat(run(null, "cp", src.toString(), "c-sbx:/work/tree").code()).isZero();
        assertThat(daemon.files()).containsKeys("/work/tree/a.txt", "/work/tree/sub/b.txt");

        Path back = dir.resolve("back");
        Run down = run(null, "cp", "c-sbx:/work/tree", back.toString());
        assertThat(down.code()).isZero();
        assertThat(Files.readString(back.resolve("sub/b.txt"))).isEqualTo("B");
        Files.createDirectories(dir.resolve("into"));
        assertThat(run(null, "cp", "c-sbx:/work/a.txt", dir.resolve("into").toString()).code()).isZero();
        assertThat(Files.readString(dir.resolve("into/a.txt"))).isEqualTo("A");

        Run both = run(null, "cp", "a", "b");
        assertThat(both.code()).isEqualTo(1);
        assertThat(both.err()).startsWith("error: exactly one of SRC and DST");
        Run missing = run(null, "cp", "c-sbx:/nope", dir.toString());
        assertThat(missing.code()).isEqualTo(1);
    }

    @Test
    void deleteAndImages() {
        run(MANIFESTS, "apply", "-f", "-");
        Run d = run(null, "delete", "warmpool", "python-pool");
        assertThat(d.out()).isEqualTo("sandboxwarmpool.extensions.agents.x-k8s.io \"python-pool\" deleted\n");
        assertThat(run(null, "delete", "warmpool", "python-pool").code()).isEqualTo(1);

        assertThat(run(null, "image", "import", "py", "/tmp/rootfs").out()).isEqualTo("image/py imported\n");
        Run list = run(null, "image", "list");
        assertThat(list.out().lines().toList()).containsExactly("NAME", "builtin", "py");
    }

    @Test
    void helpExplainsTheCommands() {
        Run help = runRaw(null, "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("serve", "apply", "get", "delete", "claim", "exec", "cp", "image", "quickstart");
        assertThat(runRaw(null, "exec", "--help").out()).contains("Exits with the command's exit code");
        assertThat(runRaw(null, "mcp", "--help").out())
                .contains("Authorization: Bearer <agentbox token>", "Agentbox-Namespace", "DNS rebinding", "--allowed-host", "--max-sessions");
    }

    @Test
    void namespaceOptionWorksBeforeAndAfterTheSubcommand() {
        run(MANIFESTS, "-n", "team-a", "apply", "-f", "-");
        assertThat(daemon.get("sandboxtemplates", "team-a", "python")).isNotNull();
        assertThat(run(null, "get", "templates", "-n", "team-a").out()).contains("python");
        assertThat(run(null, "get", "templates").err()).contains("No resources found");
    }

    @Test
    void ageIsFormattedLikeKubectl() {
        assertThat(Durations.age(java.time.Duration.ofSeconds(45))).isEqualTo("45s");
        assertThat(Durations.age(java.time.Duration.ofSeconds(119))).isEqualTo("119s");
        assertThat(Durations.age(java.time.Duration.ofSeconds(192))).isEqualTo("3m12s");
        assertThat(Durations.age(java.time.Duration.ofMinutes(45))).isEqualTo("45m");
        assertThat(Durations.age(java.time.Duration.ofMinutes(5 * 60 + 7))).isEqualTo("5h7m");
        assertThat(Durations.age(java.time.Duration.ofHours(30))).isEqualTo("30h");
        assertThat(Durations.age(java.time.Duration.ofHours(76))).isEqualTo("3d4h");
        assertThat(Durations.parse("1m30s")).isEqualTo(java.time.Duration.ofSeconds(90));
    }

    static ObjectNode event(String name, String kind, String object, String reason, String type, String message, Instant first, Instant last, int count) {
        ObjectNode e = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Event");
        e.putObject("metadata").put("name", name).put("namespace", "default");
        e.putObject("involvedObject").put("apiVersion", kind.equals("Sandbox") ? "agents.x-k8s.io/v1beta1" : "extensions.agents.x-k8s.io/v1beta1")
                .put("kind", kind).put("name", object).put("namespace", "default");
        e.put("reason", reason).put("type", type).put("message", message).put("count", count)
                .put("firstTimestamp", first.toString()).put("lastTimestamp", last.toString());
        e.putObject("source").put("component", "agentboxd");
        return e;
    }

    @Test
    void getEventsPrintsKubectlsColumnsOldestFirstAndFiltersForAnObject() {
        Instant now = Instant.now();
        daemon.put("events", event("c1.17a1", "SandboxClaim", "c1", "SandboxAdopted", "Normal", "Adopted warm pool Sandbox \"pool-abcde\"",
                now.minusSeconds(30), now.minusSeconds(30), 1));
        daemon.put("events", event("pool-abcde.17a0", "Sandbox", "pool-abcde", "SandboxRestarted", "Warning",
                "the sandbox is started again (the main process exited with code 1)", now.minusSeconds(300), now.minusSeconds(90), 3));

        Run r = run(null, "get", "events");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("LAST SEEN\\s+TYPE\\s+REASON\\s+OBJECT\\s+MESSAGE");
        // oldest first; OBJECT is kind/name with the kind in lower case, as kubectl prints it
        assertThat(lines.get(1)).matches("9\\ds\\s+Warning\\s+SandboxRestarted\\s+sandbox/pool-abcde\\s+the sandbox is started again \\(the main process exited with code 1\\)");
        assertThat(lines.get(2)).matches("3\\ds\\s+Normal\\s+SandboxAdopted\\s+sandboxclaim/c1\\s+Adopted warm pool Sandbox \"pool-abcde\"");
        assertThat(lines.get(0).indexOf("OBJECT")).isEqualTo(lines.get(1).indexOf("sandbox/pool-abcde"));

        Run wide = run(null, "get", "ev", "-o", "wide");
        assertThat(wide.out().lines().findFirst().orElseThrow())
                .matches("LAST SEEN\\s+TYPE\\s+REASON\\s+OBJECT\\s+SUBOBJECT\\s+SOURCE\\s+MESSAGE\\s+FIRST SEEN\\s+COUNT\\s+NAME");
        assertThat(wide.out().lines().skip(1).findFirst().orElseThrow()).contains("agentboxd").containsPattern("5m\\d*s?\\s+3\\s+pool-abcde\\.17a0$");

        Run forClaim = run(null, "get", "events", "--for", "claim/c1");
        assertThat(forClaim.out().lines().toList()).hasSize(2).last().asString().contains("SandboxAdopted");
        assertThat(run(null, "get", "events", "--for", "SandboxClaim/c1").out()).contains("SandboxAdopted").doesNotContain("SandboxRestarted");
        assertThat(run(null, "get", "events", "--for", "sandbox/missing").err()).contains("No resources found");
        Run notEvents = run(null, "get", "sandboxes", "--for", "claim/c1");
        assertThat(notEvents.code()).isEqualTo(1);
        assertThat(notEvents.err()).contains("--for").contains("only for events");
        assertThat(run(null, "get", "events", "-o", "json").out()).contains("\"kind\" : \"Event\"");
    }

    @Test
    void getEventsWatchPrintsNewEventsAsTheyComeWithoutRepeatingTheListedOnes() throws Exception {
        Instant now = Instant.now();
        daemon.put("events", event("c1.17a1", "SandboxClaim", "c1", "SandboxAdopted", "Normal", "Adopted warm pool Sandbox \"pool-abcde\"",
                now.minusSeconds(30), now.minusSeconds(30), 1));
        daemon.put("events", event("other.17a2", "SandboxClaim", "other", "SandboxProvisioned", "Normal", "Created Sandbox \"other\"",
                now.minusSeconds(20), now.minusSeconds(20), 1));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] args = {"--server", daemon.endpoint().toString(), "--token", FakeAgentboxd.TOKEN, "get", "events", "--for", "sandboxclaim/c1", "-w"};
        Thread cli = Thread.ofVirtual().start(() -> Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream(new byte[0])));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> out.toString().contains("SandboxAdopted"));
        daemon.put("events", event("c1.17a3", "SandboxClaim", "c1", "ClaimExpired", "Normal", "Claim expired", now, now, 1));
        daemon.put("events", event("other.17a4", "SandboxClaim", "other", "ClaimExpired", "Normal", "Claim expired", now, now, 1));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> out.toString().contains("ClaimExpired"));
        cli.interrupt(); // as Ctrl-C
        cli.join(10_000);
        List<String> lines = out.toString().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("LAST SEEN");
        assertThat(lines.get(1)).contains("SandboxAdopted").contains("sandboxclaim/c1");
        assertThat(lines.get(2)).matches("\\ds\\s+Normal\\s+ClaimExpired\\s+sandboxclaim/c1\\s+Claim expired");
        assertThat(lines.get(0).indexOf("REASON")).isEqualTo(lines.get(2).indexOf("ClaimExpired"));
    }
}
