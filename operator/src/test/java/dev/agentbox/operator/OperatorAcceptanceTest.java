package dev.agentbox.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.EmbeddedObjectMetadata;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.agents.v1beta1.ShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.ClaimEnvVar;
import dev.agentbox.api.extensions.v1beta1.ClaimLifecycle;
import dev.agentbox.api.extensions.v1beta1.ClaimShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.EnvVarsInjectionPolicy;
import dev.agentbox.api.extensions.v1beta1.NetworkPolicyManagement;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolRef;
import dev.agentbox.operator.desired.NetworkPolicies;
import dev.agentbox.operator.desired.WarmPools;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpecBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance scenarios against fabric8's mock API server (CRUD mode) with the real operator running.
 * What the mock server cannot show (garbage collection by owner reference, a kubelet, NetworkPolicy enforcement)
 * is listed in docs/kubernetes.md; a stand-in kubelet marks Pods Ready.
 */
class OperatorAcceptanceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicInteger NS = new AtomicInteger();
    private static Cluster cluster;

    @BeforeAll
    static void start() {
        cluster = new Cluster();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    private static String namespace() {
        return "t" + NS.incrementAndGet();
    }

    private static List<Sandbox> sandboxes(String ns) {
        return cluster.client.resources(Sandbox.class).inNamespace(ns).list().getItems();
    }

    private static List<Sandbox> poolMembers(String ns, SandboxWarmPool pool) {
        return sandboxes(ns).stream().filter(s -> WarmPools.isMember(s, pool)).toList();
    }

    private static Pod pod(String ns, String name) {
        return cluster.client.pods().inNamespace(ns).withName(name).get();
    }

    private static SandboxClaim claim(String ns, String name) {
        return cluster.client.resources(SandboxClaim.class).inNamespace(ns).withName(name).get();
    }

    private static Sandbox sandbox(String ns, String name) {
        return cluster.client.resources(Sandbox.class).inNamespace(ns).withName(name).get();
    }

    /**
     * Read-modify-write that retries when the operator wrote the object in between (409: the edit carries the
     * resourceVersion it read), as kubectl edit would.
     */
    private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T edit(Class<T> type, String ns, String name,
                                                                                  java.util.function.UnaryOperator<T> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return cluster.client.resources(type).inNamespace(ns).withName(name).edit(change);
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 20) throw e;
            }
        }
    }

    private static String readyReason(io.fabric8.kubernetes.api.model.HasMetadata o) {
        return o == null ? null : Conditions.get(o, Conditions.READY).map(c -> c.getStatus() + "/" + c.getReason()).orElse(null);
    }

    /** The example template, pool (replicas) and the pool object as stored. */
    private static SandboxWarmPool templateAndPool(String ns, int replicas) {
        cluster.apply(ns, Cluster.example("python-runtime-template.yaml"));
        SandboxWarmPool pool = (SandboxWarmPool) Cluster.example("warm-pool.yaml");
        pool.getSpec().setReplicas(replicas);
        return cluster.apply(ns, pool);
    }

    private static SandboxClaim newClaim(String ns, String name, String pool) {
        SandboxClaim c = new SandboxClaim();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        c.setSpec(new SandboxClaimSpec(new SandboxWarmPoolRef(pool)));
        return c;
    }

    @Test
    void templatePoolAndClaimGiveThreeGvisorPodsAnAdoptionWithUpstreamLabelsAndARefill() {
        String ns = namespace();
        SandboxWarmPool pool = templateAndPool(ns, 3);

        await().atMost(WAIT).untilAsserted(() -> {
            List<Sandbox> members = poolMembers(ns, pool);
            assertThat(members).hasSize(3);
            for (Sandbox s : members) {
                assertThat(s.getMetadata().getName()).startsWith("python-pool-");
                assertThat(s.getMetadata().getLabels()).containsEntry(Names.WARM_POOL_SANDBOX_LABEL, Hashing.nameHash("python-pool"))
                        .containsEntry(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash("python-runtime"));
                Pod p = pod(ns, s.getMetadata().getName());
                assertThat(p).isNotNull();
                assertThat(p.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
                assertThat(p.getSpec().getAutomountServiceAccountToken()).isFalse();
                assertThat(p.getMetadata().getLabels()).containsEntry(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash(s.getMetadata().getName()))
                        .containsEntry("app", "python-sandbox");
                assertThat(p.getMetadata().getOwnerReferences()).singleElement()
                        .satisfies(o -> assertThat(o.getUid()).isEqualTo(s.getMetadata().getUid()))
                        .satisfies(o -> assertThat(o.getController()).isTrue());
                assertThat(readyReason(s)).isEqualTo("True/DependenciesReady");
            }
            SandboxWarmPool stored = cluster.client.resources(SandboxWarmPool.class).inNamespace(ns).withName("python-pool").get();
            assertThat(stored.getStatus().getReplicas()).isEqualTo(3);
            assertThat(stored.getStatus().getReadyReplicas()).isEqualTo(3);
            assertThat(stored.getStatus().getSelector()).isEqualTo(Names.WARM_POOL_SANDBOX_LABEL + "=" + Hashing.nameHash("python-pool"));
        });
        // the template's managed NetworkPolicy, with the secure default
        await().atMost(WAIT).untilAsserted(() -> {
            NetworkPolicy np = cluster.client.network().v1().networkPolicies().inNamespace(ns).withName("python-runtime-network-policy").get();
            assertThat(np).isNotNull();
            assertThat(np.getSpec()).isEqualTo(NetworkPolicies.defaultSpec("python-runtime"));
        });
        Set<String> original = new HashSet<>(poolMembers(ns, pool).stream().map(s -> s.getMetadata().getName()).toList());

        SandboxClaim created = cluster.apply(ns, Cluster.example("claim.yaml"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(readyReason(claim(ns, "my-claim"))).isEqualTo("True/DependenciesReady"));
        SandboxClaim bound = claim(ns, "my-claim");
        String name = bound.getStatus().getSandbox().getName();
        assertThat(original).contains(name);
        assertThat(bound.getStatus().getSandbox().getPodIPs()).isNotEmpty();
        assertThat(bound.getMetadata().getAnnotations()).containsEntry(Names.ASSIGNED_SANDBOX_NAME_ANNOTATION, name);
        Sandbox adopted = sandbox(ns, name);
        assertThat(adopted.getMetadata().getLabels()).doesNotContainKey(Names.WARM_POOL_SANDBOX_LABEL)
                .containsEntry(Names.CLAIM_UID_LABEL, created.getMetadata().getUid())
                .containsEntry(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_WARM);
        assertThat(adopted.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("SandboxClaim");
            assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
        });
        // additionalPodMetadata reaches the running Pod
        await().atMost(WAIT).untilAsserted(() -> assertThat(pod(ns, name).getMetadata().getLabels()).containsEntry("team", "agents")
                .containsEntry(Names.CLAIM_UID_LABEL, created.getMetadata().getUid()));
        // the pool refills to 3 unclaimed members, none of them the adopted one
        await().atMost(WAIT).untilAsserted(() -> {
            List<Sandbox> members = poolMembers(ns, pool);
            assertThat(members).hasSize(3).noneMatch(s -> s.getMetadata().getName().equals(name));
            assertThat(members).allSatisfy(s -> assertThat(readyReason(s)).isEqualTo("True/DependenciesReady"));
        });
        // core/v1 Events on the cluster, with upstream's reasons and messages (kubectl describe shows them)
        await().atMost(WAIT).untilAsserted(() -> {
            List<io.fabric8.kubernetes.api.model.Event> events = cluster.client.v1().events().inNamespace(ns).list().getItems();
            assertThat(events).anySatisfy(e -> {
                assertThat(e.getReason()).isEqualTo("SandboxAdopted");
                assertThat(e.getMessage()).isEqualTo("Adopted warm pool Sandbox \"" + name + "\"");
                assertThat(e.getInvolvedObject().getKind()).isEqualTo("SandboxClaim");
                assertThat(e.getInvolvedObject().getUid()).isEqualTo(created.getMetadata().getUid());
                assertThat(e.getType()).isEqualTo("Normal");
                assertThat(e.getSource().getComponent()).isEqualTo("agentbox-operator");
            });
            assertThat(events).filteredOn(e -> "SuccessfulCreate".equals(e.getReason()) && "python-pool".equals(e.getInvolvedObject().getName()))
                    .as("3 members and the refill").hasSizeGreaterThanOrEqualTo(4);
            assertThat(events).anySatisfy(e -> {
                assertThat(e.getReason()).isEqualTo("SandboxPodCreated");
                assertThat(e.getInvolvedObject().getName()).isEqualTo(name);
            });
        });
    }

    @Test
    void tenConcurrentClaimsNeverShareASandbox() throws Exception {
        String ns = namespace();
        SandboxWarmPool pool = templateAndPool(ns, 5);
        await().atMost(WAIT).until(() -> poolMembers(ns, pool).stream().filter(Conditions::isReady).count() == 5);

        ExecutorService exec = Executors.newFixedThreadPool(10);
        List<Future<SandboxClaim>> futures = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String name = "c" + i;
            futures.add(exec.submit((Callable<SandboxClaim>) () -> cluster.apply(ns, newClaim(ns, name, "python-pool"))));
        }
        Map<String, String> claimUids = new java.util.HashMap<>();
        for (Future<SandboxClaim> f : futures) {
            SandboxClaim c = f.get();
            claimUids.put(c.getMetadata().getName(), c.getMetadata().getUid());
        }
        exec.shutdown();
        await().atMost(WAIT).untilAsserted(() -> {
            for (String c : claimUids.keySet()) assertThat(readyReason(claim(ns, c))).as(c).isEqualTo("True/DependenciesReady");
        });
        Map<String, String> sandboxToClaim = new java.util.HashMap<>();
        int warm = 0;
        for (String c : claimUids.keySet()) {
            String s = claim(ns, c).getStatus().getSandbox().getName();
            assertThat(sandboxToClaim.put(s, c)).as("sandbox %s bound twice", s).isNull();
            Sandbox sb = sandbox(ns, s);
            List<OwnerReference> controllers = sb.getMetadata().getOwnerReferences().stream().filter(o -> Boolean.TRUE.equals(o.getController())).toList();
            assertThat(controllers).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo(claimUids.get(c)));
            assertThat(sb.getMetadata().getLabels()).containsEntry(Names.CLAIM_UID_LABEL, claimUids.get(c));
            if (Names.LAUNCH_TYPE_WARM.equals(sb.getMetadata().getLabels().get(Names.LAUNCH_TYPE_LABEL))) warm++;
        }
        assertThat(sandboxToClaim).hasSize(10);
        assertThat(warm).as("warm adoptions").isBetween(1, 10);
        // every claimed sandbox is claimed by exactly one claim: no sandbox carries two claims' uids
        long claimed = sandboxes(ns).stream().filter(s -> s.getMetadata().getLabels().containsKey(Names.CLAIM_UID_LABEL)).count();
        assertThat(claimed).isEqualTo(10);
    }

    private static Sandbox standalone(String ns, String name) {
        Sandbox s = new Sandbox();
        s.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        s.setSpec(new SandboxSpec(new PodTemplate(null, new PodSpecBuilder()
                .withContainers(new ContainerBuilder().withName("main").withImage("python:3.12-slim").withCommand("sleep", "infinity").build())
                .build())));
        return s;
    }

    @Test
    void shutdownTimeDeletesTheSandboxWithPolicyDeleteAndOnlyThePodWithRetain() {
        String ns = namespace();
        String soon = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.SECONDS).toString();
        Sandbox del = standalone(ns, "expire-delete");
        del.getSpec().setShutdownTime(soon);
        del.getSpec().setShutdownPolicy(ShutdownPolicy.DELETE);
        Sandbox keep = standalone(ns, "expire-retain");
        keep.getSpec().setShutdownTime(soon);
        keep.getSpec().setService(true);
        cluster.apply(ns, del);
        cluster.apply(ns, keep);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(readyReason(sandbox(ns, "expire-retain"))).isEqualTo("True/DependenciesReady");
            assertThat(cluster.client.services().inNamespace(ns).withName("expire-retain").get().getSpec().getClusterIP()).isEqualTo("None");
            assertThat(sandbox(ns, "expire-retain").getStatus().getServiceFQDN()).isEqualTo("expire-retain." + ns + ".svc.cluster.local");
        });
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(sandbox(ns, "expire-delete")).isNull();
            Sandbox retained = sandbox(ns, "expire-retain");
            assertThat(readyReason(retained)).isEqualTo("False/SandboxExpired");
            assertThat(pod(ns, "expire-retain")).isNull();
            assertThat(cluster.client.services().inNamespace(ns).withName("expire-retain").get()).isNull();
        });
    }

    @Test
    void claimShutdownTimeRetainKeepsTheClaimAndDeletesItsSandboxWhileDeleteRemovesTheClaim() {
        String ns = namespace();
        templateAndPool(ns, 1);
        String soon = Instant.now().plusSeconds(4).truncatedTo(ChronoUnit.SECONDS).toString();
        SandboxClaim retain = newClaim(ns, "keep-me", "python-pool");
        retain.getSpec().setLifecycle(new ClaimLifecycle(soon, null, ClaimShutdownPolicy.RETAIN));
        SandboxClaim delete = newClaim(ns, "drop-me", "python-pool");
        delete.getSpec().setLifecycle(new ClaimLifecycle(soon, null, ClaimShutdownPolicy.DELETE));
        cluster.apply(ns, retain);
        cluster.apply(ns, delete);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(readyReason(claim(ns, "keep-me"))).isEqualTo("True/DependenciesReady");
            assertThat(readyReason(claim(ns, "drop-me"))).isEqualTo("True/DependenciesReady");
        });
        String kept = claim(ns, "keep-me").getStatus().getSandbox().getName();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(claim(ns, "drop-me")).isNull();
            assertThat(readyReason(claim(ns, "keep-me"))).isEqualTo("False/ClaimExpired");
            assertThat(sandbox(ns, kept)).isNull();
        });
    }

    @Test
    void suspendedDeletesThePodKeepsTheVolumeClaimAndRunningBringsThePodBack() {
        String ns = namespace();
        Sandbox s = standalone(ns, "sleepy");
        s.getSpec().setVolumeClaimTemplates(List.of(new PersistentVolumeClaimTemplate(new EmbeddedObjectMetadata("workspace"),
                new PersistentVolumeClaimSpecBuilder().withAccessModes("ReadWriteOnce")
                        .withNewResources().withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().build())));
        cluster.apply(ns, s);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(readyReason(sandbox(ns, "sleepy"))).isEqualTo("True/DependenciesReady");
            assertThat(pod(ns, "sleepy").getSpec().getVolumes()).anySatisfy(v -> {
                assertThat(v.getName()).isEqualTo("workspace");
                assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("workspace-sleepy");
            });
        });
        edit(Sandbox.class, ns, "sleepy", x -> {
            x.getSpec().setOperatingMode(OperatingMode.SUSPENDED);
            return x;
        });
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(pod(ns, "sleepy")).isNull();
            Sandbox stored = sandbox(ns, "sleepy");
            assertThat(readyReason(stored)).isEqualTo("False/SandboxSuspended");
            assertThat(Conditions.get(stored, Conditions.SUSPENDED)).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getReason()).isEqualTo("PodTerminated");
            });
            assertThat(cluster.client.persistentVolumeClaims().inNamespace(ns).withName("workspace-sleepy").get()).isNotNull();
        });
        edit(Sandbox.class, ns, "sleepy", x -> {
            x.getSpec().setOperatingMode(OperatingMode.RUNNING);
            return x;
        });
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(pod(ns, "sleepy")).isNotNull();
            assertThat(readyReason(sandbox(ns, "sleepy"))).isEqualTo("True/DependenciesReady");
            assertThat(Conditions.get(sandbox(ns, "sleepy"), Conditions.SUSPENDED)).isEmpty();
        });
    }

    @Test
    void podPhasesGiveUpstreamReasons() {
        String ns = namespace();
        cluster.apply(ns, standalone(ns, "ok"));
        cluster.apply(ns, standalone(ns, "bad"));
        await().atMost(WAIT).until(() -> "True/DependenciesReady".equals(readyReason(sandbox(ns, "ok")))
                && "True/DependenciesReady".equals(readyReason(sandbox(ns, "bad"))));
        cluster.setPhase(ns, "ok", "Succeeded");
        cluster.setPhase(ns, "bad", "Failed");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(readyReason(sandbox(ns, "ok"))).isEqualTo("False/PodSucceeded");
            assertThat(readyReason(sandbox(ns, "bad"))).isEqualTo("False/PodFailed");
            assertThat(Conditions.get(sandbox(ns, "bad"), Conditions.FINISHED)).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("PodFailed"));
        });
    }

    @Test
    void unmanagedTemplateHasNoNetworkPolicyAndTemplateRulesReplaceTheDefault() {
        String ns = namespace();
        SandboxTemplate t = (SandboxTemplate) Cluster.example("python-runtime-template.yaml");
        t.getSpec().setNetworkPolicyManagement(NetworkPolicyManagement.UNMANAGED);
        cluster.apply(ns, t);
        SandboxTemplate open = (SandboxTemplate) Cluster.example("python-runtime-template.yaml");
        open.getMetadata().setName("no-ingress");
        open.getSpec().setNetworkPolicy(new dev.agentbox.api.extensions.v1beta1.SandboxNetworkPolicy(List.of(), null));
        cluster.apply(ns, open);
        await().atMost(WAIT).untilAsserted(() -> {
            NetworkPolicy np = cluster.client.network().v1().networkPolicies().inNamespace(ns).withName("no-ingress-network-policy").get();
            assertThat(np).isNotNull();
            assertThat(np.getSpec().getIngress()).isEmpty();
            assertThat(np.getSpec().getEgress()).isEmpty();
            assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
        });
        assertThat(cluster.client.network().v1().networkPolicies().inNamespace(ns).withName("python-runtime-network-policy").get()).isNull();
    }

    @Test
    void claimEnvFollowsTheTemplatesInjectionPolicy() {
        String ns = namespace();
        templateAndPool(ns, 1);
        SandboxClaim rejected = newClaim(ns, "with-env", "python-pool");
        rejected.getSpec().setEnv(List.of(new ClaimEnvVar("TASK_ID", "42")));
        cluster.apply(ns, rejected);
        await().atMost(WAIT).untilAsserted(() -> {
            SandboxClaim c = claim(ns, "with-env");
            assertThat(readyReason(c)).isEqualTo("False/ReconcilerError");
            assertThat(Conditions.get(c, Conditions.READY).orElseThrow().getMessage()).contains("envVarsInjectionPolicy Disallowed");
        });
        assertThat(sandbox(ns, "with-env")).isNull();

        edit(SandboxTemplate.class, ns, "python-runtime", t -> {
            t.getSpec().setEnvVarsInjectionPolicy(EnvVarsInjectionPolicy.ALLOWED);
            return t;
        });
        SandboxClaim allowed = newClaim(ns, "with-env-2", "python-pool");
        allowed.getSpec().setEnv(List.of(new ClaimEnvVar("TASK_ID", "42")));
        cluster.apply(ns, allowed);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(readyReason(claim(ns, "with-env-2"))).isEqualTo("True/DependenciesReady");
            assertThat(claim(ns, "with-env-2").getStatus().getSandbox().getName()).isEqualTo("with-env-2");
            Pod p = pod(ns, "with-env-2");
            assertThat(p.getSpec().getContainers().get(0).getEnv()).anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo("TASK_ID");
                assertThat(e.getValue()).isEqualTo("42");
            });
            assertThat(sandbox(ns, "with-env-2").getMetadata().getLabels()).containsEntry(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_COLD);
        });
    }

    private static dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate scratchVolume() {
        return new dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate(new dev.agentbox.api.agents.v1beta1.EmbeddedObjectMetadata("scratch"),
                new io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpecBuilder().withAccessModes("ReadWriteOnce")
                        .withNewResources().addToRequests("storage", new io.fabric8.kubernetes.api.model.Quantity("1Gi")).endResources().build());
    }

    @Test
    void claimVolumeClaimTemplatesFollowTheTemplatesPolicy() {
        String ns = namespace();
        templateAndPool(ns, 1);
        SandboxClaim rejected = newClaim(ns, "with-vct", "python-pool");
        rejected.getSpec().setVolumeClaimTemplates(List.of(scratchVolume()));
        cluster.apply(ns, rejected);
        await().atMost(WAIT).untilAsserted(() -> {
            SandboxClaim c = claim(ns, "with-vct");
            assertThat(readyReason(c)).isEqualTo("False/VolumeClaimTemplatesError");
            assertThat(Conditions.get(c, Conditions.READY).orElseThrow().getMessage()).contains("volumeClaimTemplatesPolicy Disallowed");
        });
        assertThat(sandbox(ns, "with-vct")).isNull();

        edit(SandboxTemplate.class, ns, "python-runtime", t -> {
            t.getSpec().setVolumeClaimTemplatesPolicy(dev.agentbox.api.extensions.v1beta1.VolumeClaimTemplatesPolicy.ALLOWED);
            return t;
        });
        SandboxClaim allowed = newClaim(ns, "with-vct-2", "python-pool");
        allowed.getSpec().setVolumeClaimTemplates(List.of(scratchVolume()));
        cluster.apply(ns, allowed);
        // cold-started (never a warm member: its volumes are the claim's), with the claim's volume claim template and its PVC
        await().atMost(WAIT).untilAsserted(() -> {
            Sandbox s = sandbox(ns, "with-vct-2");
            assertThat(s).isNotNull();
            assertThat(s.getSpec().getVolumeClaimTemplates()).extracting(v -> v.getMetadata().getName()).contains("scratch");
            assertThat(s.getMetadata().getLabels()).containsEntry(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_COLD);
            assertThat(cluster.client.persistentVolumeClaims().inNamespace(ns).withName("scratch-with-vct-2").get()).isNotNull();
        });
    }

    @Test
    void aTemplateChangeReplacesPoolMembersWithRecreateAndScalingDownDeletesTheSurplus() {
        String ns = namespace();
        SandboxWarmPool pool = templateAndPool(ns, 2);
        edit(SandboxWarmPool.class, ns, "python-pool", p -> {
            p.getSpec().setUpdateStrategy(new dev.agentbox.api.extensions.v1beta1.WarmPoolUpdateStrategy(
                    dev.agentbox.api.extensions.v1beta1.UpdateStrategyType.RECREATE));
            return p;
        });
        await().atMost(WAIT).until(() -> poolMembers(ns, pool).stream().filter(Conditions::isReady).count() == 2);
        Set<String> before = new HashSet<>(poolMembers(ns, pool).stream().map(s -> s.getMetadata().getName()).toList());
        SandboxTemplate changed = edit(SandboxTemplate.class, ns, "python-runtime", t -> {
            t.getSpec().getPodTemplate().getSpec().getContainers().get(0).getEnv().add(new io.fabric8.kubernetes.api.model.EnvVar("V", "2", null));
            return t;
        });
        String newHash = Hashing.blueprintHash(changed.getSpec());
        await().atMost(WAIT).untilAsserted(() -> {
            List<Sandbox> members = poolMembers(ns, pool);
            assertThat(members).hasSize(2).noneMatch(s -> before.contains(s.getMetadata().getName()));
            assertThat(members).allSatisfy(s -> assertThat(s.getMetadata().getLabels()).containsEntry(Names.SANDBOX_TEMPLATE_HASH_LABEL, newHash));
        });
        edit(SandboxWarmPool.class, ns, "python-pool", p -> {
            p.getSpec().setReplicas(1);
            return p;
        });
        await().atMost(WAIT).untilAsserted(() -> assertThat(poolMembers(ns, pool)).hasSize(1));
    }

    @Test
    void operatorExposesReconciliationCounters() {
        await().atMost(WAIT).until(() -> cluster.metrics.reconciliations("Sandbox") >= 0);
        assertThat(cluster.metrics.render()).contains("# TYPE agentbox_operator_reconciliations_total counter");
    }
}
