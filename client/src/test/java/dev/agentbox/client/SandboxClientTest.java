package dev.agentbox.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.ConflictException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.SandboxTimeoutException;
import dev.agentbox.api.UnauthorizedException;
import dev.agentbox.client.testing.FakeAgentboxd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxClientTest {
    FakeAgentboxd daemon;
    SandboxClient client;

    @BeforeEach
    void start() throws Exception {
        daemon = new FakeAgentboxd();
        client = SandboxClient.builder().endpoint(daemon.endpoint()).token(FakeAgentboxd.TOKEN).build();
    }

    @AfterEach
    void stop() {
        client.close();
        daemon.close();
    }

    @Test
    void createSandboxWaitsForTheClaimsReadyConditionAndCloseDeletesTheClaim() {
        daemon.bindDelay = Duration.ofMillis(300);
        Sandbox sandbox = client.createSandbox("python-pool", CreateOptions.builder().claimName("c1")
                .label("team", "a").ttl(Duration.ofMinutes(10)).env("MODE", "test").build());
        assertThat(sandbox.claimName()).isEqualTo("c1");
        assertThat(sandbox.name()).isEqualTo("c1-sbx");
        assertThat(sandbox.namespace()).isEqualTo("default");
        var claim = daemon.get("sandboxclaims", "default", "c1");
        assertThat(claim.path("spec").path("warmPoolRef").path("name").asText()).isEqualTo("python-pool");
        assertThat(claim.path("spec").path("lifecycle").path("shutdownTime").asText()).isNotEmpty();
        assertThat(claim.path("spec").path("env").get(0).path("name").asText()).isEqualTo("MODE");
        assertThat(claim.path("metadata").path("labels").path("team").asText()).isEqualTo("a");

        sandbox.close();
        assertThat(daemon.get("sandboxclaims", "default", "c1")).isNull();
        sandbox.terminate(); // idempotent
    }

    @Test
    void generatedClaimNamesStartWithThePoolName() {
        try (Sandbox sandbox = client.createSandbox("python-pool")) {
            assertThat(sandbox.claimName()).startsWith("python-pool-").hasSize("python-pool-".length() + 5);
        }
    }

    @Test
    void aClaimThatNeverBecomesReadyTimesOutNamingTheClaimAndItsLastCondition() {
        daemon.claimMode = FakeAgentboxd.ClaimMode.NEVER_READY;
        assertThatThrownBy(() -> client.createSandbox("missing-pool",
                CreateOptions.builder().claimName("slow").readyTimeout(Duration.ofMillis(800)).build()))
                .isInstanceOf(SandboxTimeoutException.class)
                .hasMessageContaining("SandboxClaim default/slow")
                .hasMessageContaining("800ms")
                .hasMessageContaining("DependenciesNotReady")
                .hasMessageContaining("SandboxWarmPool missing-pool not found");
        assertThat(daemon.get("sandboxclaims", "default", "slow")).as("the claim is cleaned up").isNull();
    }

    @Test
    void aClaimWhoseSandboxFailsFailsFastWithItsReason() {
        daemon.claimMode = FakeAgentboxd.ClaimMode.FAIL;
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.createSandbox("pool", CreateOptions.builder().claimName("bad").readyTimeout(Duration.ofSeconds(30)).build()))
                .isInstanceOf(SandboxFailedException.class)
                .hasMessageContaining("default/bad").hasMessageContaining("PodFailed");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void runReturnsOutputExitCodeAndDurationAndSendsTheRequestFields() {
        try (Sandbox sandbox = client.createSandbox("pool")) {
            CommandResult hi = sandbox.commands().run("echo hi");
            assertThat(hi.stdout()).isEqualTo("hi\n");
            assertThat(hi.exitCode()).isZero();
            assertThat(hi.succeeded()).isTrue();
            assertThat(hi.duration()).isEqualTo(Duration.ofMillis(7));

            CommandResult f = sandbox.commands().run(List.of("false"));
            assertThat(f.exitCode()).isEqualTo(1);
            assertThat(f.succeeded()).isFalse();

            sandbox.commands().run(CommandRequest.of("echo", "x").withEnv("A", "1").withWorkingDir("/tmp")
                    .withStdin("in").withTimeout(Duration.ofMillis(1500)).withMaxOutputBytes(100));
            var sent = daemon.execRequests.get(daemon.execRequests.size() - 1);
            assertThat(sent.path("command").toString()).isEqualTo("[\"echo\",\"x\"]");
            assertThat(sent.path("env").path("A").asText()).isEqualTo("1");
            assertThat(sent.path("workingDir").asText()).isEqualTo("/tmp");
            assertThat(sent.path("stdin").asText()).isEqualTo("in");
            assertThat(sent.path("timeoutSeconds").asLong()).isEqualTo(2);
            assertThat(sent.path("maxOutputBytes").asLong()).isEqualTo(100);
            assertThat(sent.has("shell")).isFalse();
        }
    }

    @Test
    void streamingRunDeliversChunksAsTheyComeAndTheWholeOutputAtTheEnd() {
        daemon.exec = req -> new FakeAgentboxd.ExecAnswer(3, List.of(Map.entry(true, "one\n"), Map.entry(false, "warn\n"),
                Map.entry(true, "two\n")), false);
        try (Sandbox sandbox = client.createSandbox("pool")) {
            List<String> seen = new ArrayList<>();
            CommandResult r = sandbox.commands().run(CommandRequest.shell("x"), s -> seen.add("out:" + s), s -> seen.add("err:" + s));
            assertThat(seen).containsExactly("out:one\n", "err:warn\n", "out:two\n");
            assertThat(r.stdout()).isEqualTo("one\ntwo\n");
            assertThat(r.stderr()).isEqualTo("warn\n");
            assertThat(r.exitCode()).isEqualTo(3);
        }
    }

    @Test
    void timedOutCommandsAreReportedAsSuch() {
        daemon.exec = req -> new FakeAgentboxd.ExecAnswer(137, List.of(), true);
        try (Sandbox sandbox = client.createSandbox("pool")) {
            CommandResult r = sandbox.commands().run("sleep 100");
            assertThat(r.timedOut()).isTrue();
            assertThat(r.succeeded()).isFalse();
        }
    }

    @Test
    void filesRoundTrip() {
        try (Sandbox sandbox = client.createSandbox("pool")) {
            SandboxFiles files = sandbox.files();
            files.mkdir("/work/data");
            files.write("/work/data/a.txt", "hello");
            files.write("/work/data/b.bin", new byte[] {1, 2, 3});
            assertThat(files.readString("/work/data/a.txt")).isEqualTo("hello");
            assertThat(files.read("/work/data/b.bin")).containsExactly(1, 2, 3);
            assertThat(files.exists("/work/data/a.txt")).isTrue();
            assertThat(files.exists("/work/nope")).isFalse();
            assertThat(files.stat("/work/data").isDirectory()).isTrue();
            assertThat(files.list("/work/data")).extracting(FileEntry::name).containsExactly("a.txt", "b.bin");
            assertThat(files.list("/work/data").get(0).size()).isEqualTo(5);
            files.delete("/work/data/a.txt");
            assertThat(files.exists("/work/data/a.txt")).isFalse();
            assertThatThrownBy(() -> files.read("/work/data/a.txt")).isInstanceOf(NotFoundException.class);
        }
    }

    @Test
    void httpErrorsBecomeTypedExceptionsWithFieldPaths() {
        try (Sandbox sandbox = client.createSandbox("pool")) {
            assertThatThrownBy(() -> sandbox.files().read("../etc/shadow"))
                    .isInstanceOfSatisfying(InvalidException.class, e -> {
                        assertThat(e.errors()).hasSize(1);
                        assertThat(e.errors().get(0).field()).isEqualTo("path");
                    });
        }
        assertThatThrownBy(() -> client.resources().get(ResourceType.SANDBOX_TEMPLATE, "nope"))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("default/nope");
        assertThatThrownBy(() -> client.attach("ghost").commands().run("echo"))
                .isInstanceOf(NotFoundException.class);
        try (SandboxClient wrong = SandboxClient.builder().endpoint(daemon.endpoint()).token("wrong").build()) {
            assertThatThrownBy(() -> wrong.resources().list(ResourceType.SANDBOX, null)).isInstanceOf(UnauthorizedException.class);
        }
    }

    @Test
    void creatingTwiceIsAnAlreadyExistsConflict() {
        var t = template("python");
        client.resources().create(t);
        assertThatThrownBy(() -> client.resources().create(t))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.alreadyExists()).isTrue());
    }

    @Test
    void anUnreachableServerIsAServerUnavailableErrorThatSaysWhatToDo() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (SandboxClient down = SandboxClient.builder().endpoint("http://127.0.0.1:" + port).token("x").build()) {
            assertThatThrownBy(() -> down.resources().list(ResourceType.SANDBOX, null))
                    .isInstanceOf(ServerUnavailableException.class).hasMessageContaining("agentbox serve");
        }
    }

    @Test
    void applyCreatesThenConfiguresAndReportsServerWarnings() {
        daemon.writeWarnings = List.of("spec.podTemplate.spec.nodeSelector has no meaning on one host and is ignored");
        ApplyResult first = client.resources().apply(template("python"));
        assertThat(first.action()).isEqualTo(ApplyResult.Action.CREATED);
        assertThat(first.warnings()).containsExactly("spec.podTemplate.spec.nodeSelector has no meaning on one host and is ignored");
        ApplyResult second = client.resources().apply(template("python"));
        assertThat(second.action()).isEqualTo(ApplyResult.Action.CONFIGURED);
        assertThat(client.resources().list(ResourceType.SANDBOX_TEMPLATE, null)).hasSize(1);
    }

    @Test
    void listFiltersByLabelSelector() {
        var a = template("a");
        a.getMetadata().setLabels(Map.of("tier", "gold"));
        client.resources().create(a);
        client.resources().create(template("b"));
        assertThat(client.resources().list(ResourceType.SANDBOX_TEMPLATE, "tier=gold")).extracting(r -> r.getMetadata().getName()).containsExactly("a");
        assertThat(client.resources().list(ResourceType.SANDBOX_TEMPLATE, "tier!=gold")).extracting(r -> r.getMetadata().getName()).containsExactly("b");
        assertThat(client.resources().inNamespace("other").list(ResourceType.SANDBOX_TEMPLATE, null)).isEmpty();
    }

    @Test
    void watchSeesExistingObjectsThenChanges() throws Exception {
        client.resources().create(template("first"));
        var events = new java.util.concurrent.LinkedBlockingQueue<WatchEvent>();
        try (Watch w = client.resources().watch(ResourceType.SANDBOX_TEMPLATE, null, null, events::add)) {
            assertThat(events.poll(5, java.util.concurrent.TimeUnit.SECONDS)).satisfies(e -> {
                assertThat(e.type()).isEqualTo(WatchEvent.Type.ADDED);
                assertThat(e.object().getMetadata().getName()).isEqualTo("first");
            });
            client.resources().create(template("second"));
            client.resources().delete(ResourceType.SANDBOX_TEMPLATE, "first");
            assertThat(events.poll(5, java.util.concurrent.TimeUnit.SECONDS).object().getMetadata().getName()).isEqualTo("second");
            WatchEvent deleted = events.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(deleted.type()).isEqualTo(WatchEvent.Type.DELETED);
            assertThat(deleted.object().getMetadata().getName()).isEqualTo("first");
        }
    }

    @Test
    void builderReadsEndpointAndTokenFromTheStateDirectory(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("endpoint"), daemon.endpoint() + "/\n", StandardCharsets.UTF_8);
        Files.writeString(home.resolve("admin.token"), FakeAgentboxd.TOKEN + "\n", StandardCharsets.UTF_8);
        try (SandboxClient fromFiles = new SandboxClient.Builder(Map.of(), home).build()) {
            assertThat(fromFiles.resources().list(ResourceType.SANDBOX, null)).isEmpty();
            assertThat(fromFiles.namespace()).isEqualTo("default");
        }
        try (SandboxClient fromEnv = new SandboxClient.Builder(Map.of("AGENTBOX_URL", daemon.endpoint().toString(),
                "AGENTBOX_TOKEN", FakeAgentboxd.TOKEN, "AGENTBOX_NAMESPACE", "team-a"), home.resolve("none")).build()) {
            assertThat(fromEnv.namespace()).isEqualTo("team-a");
            assertThat(fromEnv.resources().list(ResourceType.SANDBOX, null)).isEmpty();
        }
    }

    @Test
    void theCaFileIsFoundAsTheEndpointAndTokenAre(@TempDir Path home) throws Exception {
        // nothing anywhere: https by default, and no CA file (the JDK's default trust store, which knows no agentboxd CA)
        SandboxClient.Builder bare = new SandboxClient.Builder(Map.of(), home);
        assertThat(bare.resolveEndpoint().toString()).isEqualTo("https://127.0.0.1:7878");
        assertThat(bare.resolveCaFile()).isNull();
        // the state directory's tls/ca.crt, once agentboxd wrote it
        Files.createDirectories(home.resolve("tls"));
        Files.writeString(home.resolve(AgentboxTls.CA_FILE), "x");
        assertThat(new SandboxClient.Builder(Map.of(), home).resolveCaFile()).isEqualTo(home.resolve("tls/ca.crt"));
        // AGENTBOX_CA_FILE over the state directory; the builder's caFile over both
        Path env = home.resolve("env.crt");
        SandboxClient.Builder fromEnv = new SandboxClient.Builder(Map.of("AGENTBOX_CA_FILE", " " + env + " "), home);
        assertThat(fromEnv.resolveCaFile()).isEqualTo(env);
        assertThat(fromEnv.caFile(home.resolve("given.crt")).resolveCaFile()).isEqualTo(home.resolve("given.crt"));
    }

    @Test
    void aCaFileThatIsMissingOrNotACertificateIsRefusedWithItsName(@TempDir Path home) throws Exception {
        Path missing = home.resolve("nope.crt");
        assertThatThrownBy(() -> AgentboxTls.trusting(missing)).isInstanceOf(InvalidException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("no such file").hasMessageContaining("tls/ca.crt");
        Path garbage = Files.writeString(home.resolve("garbage.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> AgentboxTls.trusting(garbage)).isInstanceOf(InvalidException.class).hasMessageContaining(garbage.toString());
        Path empty = Files.writeString(home.resolve("empty.crt"), "");
        assertThatThrownBy(() -> AgentboxTls.trusting(empty)).isInstanceOf(InvalidException.class).hasMessageContaining(empty.toString());
        // an https endpoint with a bad CA file: build() refuses at once rather than at the first request
        assertThatThrownBy(() -> new SandboxClient.Builder(Map.of(), home).endpoint("https://127.0.0.1:1").caFile(garbage).build())
                .isInstanceOf(InvalidException.class).hasMessageContaining(garbage.toString());
    }

    @Test
    void resourceTypesResolveByPluralSingularShortAndQualifiedNames() {
        assertThat(ResourceType.resolve("sbx")).isEqualTo(ResourceType.SANDBOX);
        assertThat(ResourceType.resolve("Sandboxes")).isEqualTo(ResourceType.SANDBOX);
        assertThat(ResourceType.resolve("warmpool")).isEqualTo(ResourceType.SANDBOX_WARM_POOL);
        assertThat(ResourceType.resolve("sandboxclaim")).isEqualTo(ResourceType.SANDBOX_CLAIM);
        assertThat(ResourceType.resolve("sandboxtemplates.extensions.agents.x-k8s.io")).isEqualTo(ResourceType.SANDBOX_TEMPLATE);
        assertThatThrownBy(() -> ResourceType.resolve("pods")).isInstanceOf(InvalidException.class).hasMessageContaining("sandboxes (sbx)");
        assertThatThrownBy(() -> ResourceType.forKind("agents.x-k8s.io/v1alpha1", "Sandbox")).hasMessageContaining("use agents.x-k8s.io/v1beta1");
    }

    static io.fabric8.kubernetes.api.model.GenericKubernetesResource template(String name) {
        var t = new io.fabric8.kubernetes.api.model.GenericKubernetesResource();
        t.setApiVersion("extensions.agents.x-k8s.io/v1beta1");
        t.setKind("SandboxTemplate");
        t.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
        t.setAdditionalProperty("spec", Map.of("podTemplate", Map.of("spec", Map.of("containers",
                List.of(Map.of("name", "python", "image", "builtin"))))));
        return t;
    }
}
