package dev.agentbox.client.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.Resources;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.FileEntry;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.client.SandboxClientProvider;
import dev.agentbox.operator.AgentboxOperator;
import dev.agentbox.operator.OperatorMetrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An SDK program written only against {@link SandboxClient} / {@link Sandbox} runs on the Kubernetes backend, chosen
 * by configuration alone (AGENTBOX_BACKEND=kubernetes, KUBECONFIG, AGENTBOX_NAMESPACE), against fabric8's CRUD mock
 * API server with the real agentbox operator reconciling its claim. What is simulated: the kubelet (Pods are marked
 * Ready) and the container behind {@code pods/exec} (a local /bin/sh per Pod, see {@link ExecDispatcher}).
 */
class SdkOnMockClusterTest {
    private static KubernetesMockServer server;
    private static KubernetesClient admin;
    private static ExecDispatcher exec;
    private static Operator operator;
    private static SharedIndexInformer<Pod> kubelet;
    private static Path kubeconfig;
    private static Path tmp;
    private static SharedIndexInformer<dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger> snapshotter;

    @BeforeAll
    static void cluster() throws Exception {
        tmp = Files.createTempDirectory("agentbox-k8s-test");
        exec = new ExecDispatcher(tmp.resolve("pods"));
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(),
                new java.util.HashMap<>(), exec, false);
        server.init();
        admin = server.createClient();
        // the operator's CRDs and the podsnapshot.gke.io ones in their subfolder (not its kustomization)
        try (var files = Files.walk(Path.of("..", "operator", "deploy", "crds"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml")).sorted().toList()) admin.resource(Serialization.unmarshal(Files.readString(f), CustomResourceDefinition.class)).create();
        }
        kubelet = admin.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                Pod fresh = admin.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
                PodStatus st = new PodStatus();
                st.setPhase("Running");
                st.setPodIP("10.8.0.2");
                st.setConditions(List.of(new PodConditionBuilder().withType("Ready").withStatus("True").build()));
                fresh.setStatus(st);
                fresh.getMetadata().setResourceVersion(null);
                admin.pods().resource(fresh).updateStatus();
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
            }
        });
        // stand-in for GKE's pod snapshot controller: a manual trigger yields a Ready PodSnapshot of the target Pod
        snapshotter = admin.resources(dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger.class).inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger t) {
                String ns = t.getMetadata().getNamespace();
                var snap = new dev.agentbox.api.snapshot.v1.PodSnapshot();
                snap.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(t.getMetadata().getName() + "-ps").withNamespace(ns)
                        .withAnnotations(Map.of(dev.agentbox.api.Names.ORIGIN_POD_ANNOTATION, t.getSpec().getTargetPod())).build());
                snap.setSpec(new dev.agentbox.api.snapshot.v1.PodSnapshotSpec());
                snap = admin.resource(snap).create();
                var ss = new dev.agentbox.api.snapshot.v1.PodSnapshotStatus();
                dev.agentbox.api.Conditions.set(ss, dev.agentbox.api.Conditions.of("Ready", "True", "Complete", "checkpointed", 1L), java.time.Instant.now());
                snap.setStatus(ss);
                admin.resource(snap).updateStatus();
                var ts = new dev.agentbox.api.snapshot.v1.PodSnapshotManualTriggerStatus();
                dev.agentbox.api.Conditions.set(ts, dev.agentbox.api.Conditions.of("Triggered", "True", "Complete", "snapshot taken", 1L), java.time.Instant.now());
                ts.setSnapshotCreated(new dev.agentbox.api.snapshot.v1.SnapshotRef(snap.getMetadata().getName()));
                t.setStatus(ts);
                t.getMetadata().setResourceVersion(null);
                admin.resource(t).updateStatus();
            }

            @Override
            public void onUpdate(dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger a, dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger b) {
            }

            @Override
            public void onDelete(dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger t, boolean unknown) {
            }
        });
        operator = AgentboxOperator.create(admin, Set.of(), null, new OperatorMetrics(), Clock.systemUTC());
        operator.start();
        for (String example : List.of("python-runtime-template.yaml", "warm-pool.yaml")) {
            HasMetadata o = Resources.parseAll(Files.readString(Path.of("..", "examples", example))).get(0);
            o.getMetadata().setNamespace("agents");
            admin.resource(o).create();
        }
        String url = admin.getConfiguration().getMasterUrl();
        kubeconfig = tmp.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster: {server: "%s", insecure-skip-tls-verify: true}
                users:
                - name: dev
                  user: {token: mock-token}
                contexts:
                - name: mock
                  context: {cluster: mock, user: dev, namespace: elsewhere}
                current-context: mock
                """.formatted(url));
    }

    @AfterAll
    static void stop() {
        if (operator != null) operator.stop();
        if (kubelet != null) kubelet.close();
        if (snapshotter != null) snapshotter.close();
        if (admin != null) admin.close();
        if (server != null) server.destroy();
        if (tmp != null) {
            try (var files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (java.io.IOException e) {
                System.err.println("could not remove " + tmp + ": " + e);
            }
        }
    }

    /** What SandboxClient.fromEnvironment() does, with an explicit environment instead of System.getenv(). */
    static SandboxClient fromEnvironment(Map<String, String> env) {
        for (SandboxClientProvider p : ServiceLoader.load(SandboxClientProvider.class)) {
            if (p.name().equals(env.get("AGENTBOX_BACKEND"))) return p.fromEnvironment(env);
        }
        throw new AssertionError("no provider " + env.get("AGENTBOX_BACKEND"));
    }

    /** The SDK program: nothing in it knows which backend it talks to. */
    static List<String> program(SandboxClient client) {
        List<String> log = new ArrayList<>();
        try (Sandbox sandbox = client.createSandbox("python-pool", CreateOptions.builder().readyTimeout(Duration.ofSeconds(60)).build())) {
            log.add("sandbox " + sandbox.name() + " claim " + sandbox.claimName());
            CommandResult r = sandbox.commands().run("echo hello; echo oops >&2; exit 3");
            log.add("exit=" + r.exitCode() + " out=" + r.stdout().trim() + " err=" + r.stderr().trim());
            CommandResult argv = sandbox.commands().run(List.of("printf", "%s|%s", "a b", "c"));
            log.add("argv=" + argv.stdout());
            sandbox.files().mkdir("work");
            CommandResult withEnv = sandbox.commands().run(CommandRequest.shell("echo $GREETING from $(basename $(pwd)); cat")
                    .withEnv("GREETING", "hi").withWorkingDir("work").withStdin("piped\n"));
            log.add("env=" + withEnv.stdout().trim().replace('\n', '/') + " exit=" + withEnv.exitCode());
            StringBuilder streamed = new StringBuilder();
            sandbox.commands().run(CommandRequest.shell("for i in 1 2 3; do echo line$i; done"), streamed::append, s -> { });
            log.add("streamed=" + streamed.toString().trim().replace('\n', ','));
            sandbox.files().write("work/data/notes.txt", "first\nsecond\n");
            byte[] binary = new byte[20_000];
            for (int i = 0; i < binary.length; i++) binary[i] = (byte) (i * 31);
            sandbox.files().write("work/blob.bin", binary, 0600);
            log.add("read=" + sandbox.files().readString("work/data/notes.txt").trim().replace('\n', ','));
            log.add("binary-equal=" + java.util.Arrays.equals(binary, sandbox.files().read("work/blob.bin")));
            FileEntry st = sandbox.files().stat("work/blob.bin");
            log.add("stat=" + st.type() + "," + st.size() + "," + Integer.toOctalString(st.mode()));
            log.add("list=" + sandbox.files().list("work").stream().map(e -> e.name() + ":" + e.type()).toList());
            sandbox.files().delete("work/data", true);
            log.add("exists-after-delete=" + sandbox.files().exists("work/data/notes.txt"));
            sandbox.files().mkdir("work/a/b");
            log.add("mkdir=" + sandbox.files().stat("work/a/b").isDirectory());
            try {
                sandbox.files().read("work/missing.txt");
            } catch (NotFoundException e) {
                log.add("missing=NotFound");
            }
        }
        return log;
    }

    @Test
    void anSdkProgramRunsOnTheKubernetesBackendChosenByConfigurationOnly() {
        Map<String, String> env = Map.of("AGENTBOX_BACKEND", "kubernetes", "KUBECONFIG", kubeconfig.toString(), "AGENTBOX_NAMESPACE", "agents");
        List<String> log;
        try (SandboxClient client = fromEnvironment(env)) {
            assertThat(client).isInstanceOf(KubernetesSandboxClient.class);
            assertThat(client.namespace()).isEqualTo("agents");
            log = program(client);
        }
        assertThat(log.get(0)).startsWith("sandbox python-pool-").contains("claim python-pool-");
        assertThat(log.subList(1, log.size())).containsExactly(
                "exit=3 out=hello err=oops",
                "argv=a b|c",
                "env=hi from work/piped exit=0",
                "streamed=line1,line2,line3",
                "read=first,second",
                "binary-equal=true",
                "stat=file,20000,600",
                "list=[blob.bin:file, data:dir]",
                "exists-after-delete=false",
                "mkdir=true",
                "missing=NotFound");
        // every command went through pods/exec on the sandbox's Pod
        assertThat(exec.commands).isNotEmpty();
        // closing the sandbox deleted its claim
        assertThat(admin.resources(SandboxClaim.class).inNamespace("agents").list().getItems())
                .noneMatch(c -> log.get(0).contains(c.getMetadata().getName()));
    }

    @Test
    void snapshotsSuspendAndResumeGoThroughThePodSnapshotKindsAndThePinnedAnnotation() {
        try (SandboxClient client = new KubernetesSandboxClient(admin, "agents", false);
             Sandbox sandbox = client.createSandbox("python-pool", CreateOptions.builder().readyTimeout(Duration.ofSeconds(60)).build())) {
            var snap = sandbox.snapshots().create();
            assertThat(snap.getMetadata().getAnnotations()).containsEntry(dev.agentbox.api.Names.ORIGIN_POD_ANNOTATION, sandbox.name());
            assertThat(sandbox.snapshots().list()).extracting(p -> p.getMetadata().getName()).contains(snap.getMetadata().getName());
            assertThat(admin.resources(dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger.class).inNamespace("agents").list().getItems())
                    .anySatisfy(t -> assertThat(t.getSpec().getTargetPod()).isEqualTo(sandbox.name()));

            sandbox.suspend();
            assertThat(admin.pods().inNamespace("agents").withName(sandbox.name()).get()).isNull();
            var stored = admin.resources(dev.agentbox.api.agents.v1beta1.Sandbox.class).inNamespace("agents").withName(sandbox.name()).get();
            String pinned = stored.getSpec().getPodTemplate().getMetadata().getAnnotations().get(dev.agentbox.api.Names.PS_NAME_ANNOTATION);
            assertThat(pinned).isNotBlank();

            sandbox.resume();
            Pod restored = admin.pods().inNamespace("agents").withName(sandbox.name()).get();
            assertThat(restored.getMetadata().getAnnotations()).containsEntry(dev.agentbox.api.Names.PS_NAME_ANNOTATION, pinned);
            assertThat(sandbox.commands().run("echo back").stdout().trim()).isEqualTo("back");
        }
    }

    @Test
    void logsAreThePodsLogOfItsFirstContainer() throws Exception {
        try (SandboxClient client = new KubernetesSandboxClient(admin, "agents", false);
             Sandbox sandbox = client.createSandbox("python-pool", CreateOptions.builder().readyTimeout(Duration.ofSeconds(60)).build())) {
            String pod = ((KubernetesSandbox) sandbox).podName();
            // read before the followed log: the mock server closes the connection a followed log came on, and the
            // client's pool handed that connection to the next request once ("Connection was closed", a CI run)
            String container = admin.pods().inNamespace("agents").withName(pod).get().getSpec().getContainers().get(0).getName();
            Files.writeString(exec.podLog("agents", pod), "one\ntwo\nthree\n");
            assertThat(sandbox.logs(null)).isEqualTo("one\ntwo\nthree\n");
            assertThat(sandbox.logs(2)).isEqualTo("two\nthree\n");
            try (java.io.InputStream in = sandbox.followLogs(1)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("three\n");
            }
            assertThat(exec.logQueries).anySatisfy(q -> assertThat(q).contains("follow=true").contains("tailLines=1").contains("container=" + container));
            assertThatThrownBy(() -> sandbox.logs(-1)).isInstanceOf(dev.agentbox.api.InvalidException.class);
        }
    }

    @Test
    void theNamespaceDefaultsToTheKubeconfigContexts() {
        try (SandboxClient client = fromEnvironment(Map.of("AGENTBOX_BACKEND", "kubernetes", "KUBECONFIG", kubeconfig.toString()))) {
            assertThat(client.namespace()).isEqualTo("elsewhere");
        }
    }

    @Test
    void aClaimOnAMissingPoolTimesOutAndIsDeleted() {
        try (SandboxClient client = new KubernetesSandboxClient(admin, "agents", false)) {
            assertThatThrownBy(() -> client.createSandbox("no-such-pool", CreateOptions.builder().claimName("orphan")
                    .readyTimeout(Duration.ofSeconds(3)).build()))
                    .isInstanceOf(dev.agentbox.api.SandboxTimeoutException.class)
                    .hasMessageContaining("SandboxWarmPool no-such-pool not found");
            assertThat(admin.resources(SandboxClaim.class).inNamespace("agents").withName("orphan").get()).isNull();
        }
    }

    @Test
    void aClaimTheTemplateRefusesFailsFastWithTheReason() {
        try (SandboxClient client = new KubernetesSandboxClient(admin, "agents", false)) {
            assertThatThrownBy(() -> client.createSandbox("python-pool", CreateOptions.builder().env("TASK", "1")
                    .readyTimeout(Duration.ofSeconds(30)).build()))
                    .isInstanceOf(SandboxFailedException.class)
                    .hasMessageContaining("ReconcilerError").hasMessageContaining("envVarsInjectionPolicy Disallowed");
        }
    }

    @Test
    void pathsOutsideTheSandboxAreRefusedBeforeAnythingRuns() {
        assertThatThrownBy(() -> ExecFiles.checkPath("../etc/passwd")).hasMessageContaining("'..'");
        assertThatThrownBy(() -> ExecFiles.checkPath("/proc/self/environ")).hasMessageContaining("/proc");
        assertThat(ExecFiles.entry("regular file|12|644|1700000000|work/a.txt")).satisfies(e -> {
            assertThat(e.name()).isEqualTo("a.txt");
            assertThat(e.isFile()).isTrue();
            assertThat(e.mode()).isEqualTo(0644);
        });
        assertThat(new String(Base64Probe.decode(PodExec.argv(CommandRequest.of("cat").withStdin("x")).get(5)), StandardCharsets.UTF_8)).isEqualTo("x");
    }

    @Test
    void restoreFromPinsTheSnapshotOnTheClaimsPodMetadata() {
        SandboxClaim claim = KubernetesSandboxClient.claimFor("pool", "ns", "c", CreateOptions.builder().restoreFrom("snap-1").build(), java.time.Instant.now());
        assertThat(claim.getSpec().getAdditionalPodMetadata().getAnnotations()).containsEntry("podsnapshot.gke.io/ps-name", "snap-1");
    }

    private static final class Base64Probe {
        static byte[] decode(String s) {
            return java.util.Base64.getDecoder().decode(s);
        }
    }
}
