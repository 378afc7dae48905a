package dev.agentbox.operator.desired;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.api.agents.v1beta1.ShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.ClaimEnvVar;
import dev.agentbox.api.extensions.v1beta1.ClaimLifecycle;
import dev.agentbox.api.extensions.v1beta1.ClaimShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.EnvVarsInjectionPolicy;
import dev.agentbox.api.extensions.v1beta1.NetworkPolicyManagement;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimStatus;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplateSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplateRef;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolRef;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolSpec;
import dev.agentbox.api.extensions.v1beta1.UpdateStrategyType;
import dev.agentbox.api.extensions.v1beta1.WarmPoolUpdateStrategy;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure desired-state builders and decisions, without any API server. */
class DesiredStateTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static SandboxTemplate template(String runtimeClass) {
        SandboxTemplate t = new SandboxTemplate();
        t.setMetadata(new ObjectMetaBuilder().withName("py").withNamespace("ns").withUid("t-uid").build());
        t.setSpec(new SandboxTemplateSpec(new PodTemplate(new PodMetadata(Map.of("app", "py"), Map.of("note", "x")), new PodSpecBuilder()
                .withRuntimeClassName(runtimeClass)
                .withContainers(new ContainerBuilder().withName("main").withImage("python").withEnv(new EnvVar("HOME", "/root", null)).build(),
                        new ContainerBuilder().withName("side").withImage("busybox").build())
                .build())));
        return t;
    }

    private static SandboxWarmPool pool() {
        SandboxWarmPool p = new SandboxWarmPool();
        p.setMetadata(new ObjectMetaBuilder().withName("py-pool").withNamespace("ns").withUid("p-uid").build());
        p.setSpec(new SandboxWarmPoolSpec(3, new SandboxTemplateRef("py")));
        return p;
    }

    private static SandboxClaim claim() {
        SandboxClaim c = new SandboxClaim();
        c.setMetadata(new ObjectMetaBuilder().withName("c1").withNamespace("ns").withUid("c-uid").withGeneration(1L).build());
        c.setSpec(new SandboxClaimSpec(new SandboxWarmPoolRef("py-pool")));
        return c;
    }

    private static Sandbox sandbox(String name) {
        Sandbox s = new Sandbox();
        s.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").withUid(name + "-uid").withGeneration(1L).build());
        s.setSpec(new SandboxSpec().copyBlueprintFrom(template(null).getSpec()));
        return s;
    }

    @Test
    void podGetsGvisorNoTokenTheNameHashLabelAndAnOwnerReference() {
        Sandbox s = sandbox("sb-1");
        s.getMetadata().setLabels(Map.of(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash("py")));
        Pod pod = Sandboxes.pod(s);
        assertThat(pod.getMetadata().getName()).isEqualTo("sb-1");
        assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getMetadata().getLabels()).containsEntry(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash("sb-1"))
                .containsEntry(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash("py")).containsEntry("app", "py");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("note", "x");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("Sandbox");
            assertThat(o.getUid()).isEqualTo("sb-1-uid");
            assertThat(o.getController()).isTrue();
        });
    }

    @Test
    void theTemplatesRuntimeClassAndTokenChoiceWin() {
        Sandbox s = sandbox("sb");
        s.setSpec(new SandboxSpec().copyBlueprintFrom(template("kata").getSpec()));
        s.getSpec().getPodTemplate().getSpec().setAutomountServiceAccountToken(true);
        Pod pod = Sandboxes.pod(s);
        assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("kata");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isTrue();
    }

    @Test
    void planFollowsShutdownTimeAndOperatingMode() {
        Sandbox s = sandbox("sb");
        assertThat(Sandboxes.plan(s, NOW)).isInstanceOfSatisfying(SandboxPlan.Run.class, r -> {
            assertThat(r.service()).isNull();
            assertThat(r.deleteService()).as("unset service keeps an existing Service (upstream)").isFalse();
            assertThat(r.requeueAfter()).isNull();
        });
        s.getSpec().setService(false);
        assertThat(Sandboxes.plan(s, NOW)).isInstanceOfSatisfying(SandboxPlan.Run.class, r -> assertThat(r.deleteService()).isTrue());
        s.getSpec().setService(true);
        s.getSpec().setShutdownTime("2026-01-01T00:00:30Z");
        assertThat(Sandboxes.plan(s, NOW)).isInstanceOfSatisfying(SandboxPlan.Run.class, r -> {
            assertThat(r.service().getSpec().getClusterIP()).isEqualTo("None");
            assertThat(r.service().getSpec().getSelector()).containsEntry(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash("sb"));
            assertThat(r.requeueAfter()).isEqualTo(Duration.ofSeconds(30));
        });
        assertThat(Sandboxes.plan(s, NOW.plusSeconds(30))).isInstanceOf(SandboxPlan.Expire.class); // default policy Retain
        s.getSpec().setShutdownPolicy(ShutdownPolicy.DELETE);
        assertThat(Sandboxes.plan(s, NOW.plusSeconds(31))).isInstanceOf(SandboxPlan.DeleteSandbox.class);
        s.getSpec().setShutdownTime(null);
        s.getSpec().setOperatingMode(OperatingMode.SUSPENDED);
        assertThat(Sandboxes.plan(s, NOW)).isInstanceOf(SandboxPlan.Suspend.class);
    }

    private static Pod podWith(String phase, boolean ready) {
        return new PodBuilder().withNewMetadata().withName("sb").endMetadata().withNewStatus().withPhase(phase)
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .addNewPodIP().withIp("10.0.0.7").endPodIP().endStatus().build();
    }

    @Test
    void statusReasonsAreUpstreams() {
        Sandbox s = sandbox("sb");
        SandboxPlan run = Sandboxes.plan(s, NOW);
        assertThat(reason(Sandboxes.status(s, run, null, NOW))).isEqualTo("False/DependenciesNotReady");
        assertThat(reason(Sandboxes.status(s, run, podWith("Pending", false), NOW))).isEqualTo("False/DependenciesNotReady");
        SandboxStatus ready = Sandboxes.status(s, run, podWith("Running", true), NOW);
        assertThat(reason(ready)).isEqualTo("True/DependenciesReady");
        assertThat(ready.getPodIPs()).containsExactly("10.0.0.7");
        assertThat(ready.getSelector()).isEqualTo(Names.SANDBOX_NAME_HASH_LABEL + "=" + Hashing.nameHash("sb"));
        assertThat(reason(Sandboxes.status(s, run, podWith("Succeeded", false), NOW))).isEqualTo("False/PodSucceeded");
        assertThat(reason(Sandboxes.status(s, run, podWith("Failed", false), NOW))).isEqualTo("False/PodFailed");
        assertThat(reason(Sandboxes.status(s, new SandboxPlan.Suspend(), null, NOW))).isEqualTo("False/SandboxSuspended");
        assertThat(reason(Sandboxes.status(s, new SandboxPlan.Expire("gone"), null, NOW))).isEqualTo("False/SandboxExpired");
    }

    private static String reason(SandboxStatus st) {
        return Conditions.get(st, Conditions.READY).map(c -> c.getStatus() + "/" + c.getReason()).orElseThrow();
    }

    @Test
    void networkPolicyDefaultsAreUpstreamsAndUnmanagedMeansNone() {
        SandboxTemplate t = template(null);
        var np = NetworkPolicies.desired(t).orElseThrow();
        assertThat(np.getMetadata().getName()).isEqualTo("py-network-policy");
        assertThat(np.getSpec().getPodSelector().getMatchLabels()).containsExactly(Map.entry(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash("py")));
        assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
        assertThat(np.getSpec().getIngress()).singleElement().satisfies(r ->
                assertThat(r.getFrom()).singleElement().satisfies(p -> assertThat(p.getPodSelector().getMatchLabels()).containsExactly(Map.entry("app", "sandbox-router"))));
        var egressTo = np.getSpec().getEgress().get(0).getTo();
        assertThat(egressTo.get(0).getIpBlock().getCidr()).isEqualTo("0.0.0.0/0");
        assertThat(egressTo.get(0).getIpBlock().getExcept()).containsExactly("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16");
        assertThat(egressTo.get(1).getIpBlock().getCidr()).isEqualTo("::/0");
        assertThat(egressTo.get(1).getIpBlock().getExcept()).contains("fc00::/7", "fe80::/10");
        t.getSpec().setNetworkPolicyManagement(NetworkPolicyManagement.UNMANAGED);
        assertThat(NetworkPolicies.desired(t)).isEmpty();
    }

    @Test
    void warmPoolCreatesMembersWithGenerateNameAndUpstreamLabels() {
        SandboxWarmPool p = pool();
        WarmPoolPlan plan = WarmPools.plan(p, template(null), List.of(), NOW);
        assertThat(plan.create()).hasSize(3);
        Sandbox m = plan.create().get(0);
        assertThat(m.getMetadata().getGenerateName()).isEqualTo("py-pool-");
        assertThat(m.getMetadata().getLabels()).containsEntry(Names.WARM_POOL_SANDBOX_LABEL, Hashing.nameHash("py-pool"))
                .containsEntry(Names.SANDBOX_TEMPLATE_HASH_LABEL, Hashing.blueprintHash(template(null).getSpec()))
                .containsEntry(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash("py"));
        assertThat(m.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo("p-uid"));
        assertThat(plan.status().getSelector()).isEqualTo(Names.WARM_POOL_SANDBOX_LABEL + "=" + Hashing.nameHash("py-pool"));
        assertThat(WarmPools.plan(p, null, List.of(), NOW).templateMissing()).isTrue();
        assertThat(Objects2.generateNamePrefix("x".repeat(80))).hasSize(58).endsWith("-");
    }

    @Test
    void recreateReplacesMembersOfAnOldTemplateWhileOnReplenishKeepsThem() {
        SandboxWarmPool p = pool();
        p.getSpec().setReplicas(2);
        Sandbox old = WarmPools.newMember(p, template(null));
        old.getMetadata().setName("old");
        old.getMetadata().getLabels().put(Names.SANDBOX_TEMPLATE_HASH_LABEL, "stale");
        Sandbox current = WarmPools.newMember(p, template(null));
        current.getMetadata().setName("cur");
        WarmPoolPlan keep = WarmPools.plan(p, template(null), List.of(old, current), NOW);
        assertThat(keep.create()).isEmpty();
        assertThat(keep.delete()).isEmpty();
        p.getSpec().setUpdateStrategy(new WarmPoolUpdateStrategy(UpdateStrategyType.RECREATE));
        WarmPoolPlan recreate = WarmPools.plan(p, template(null), List.of(old, current), NOW);
        assertThat(recreate.delete()).containsExactly("old");
        assertThat(recreate.create()).hasSize(1);
        p.getSpec().setReplicas(0);
        assertThat(WarmPools.plan(p, template(null), List.of(old, current), NOW).delete()).containsExactlyInAnyOrder("old", "cur");
    }

    @Test
    void adoptionSwapsThePoolForTheClaimAndCarriesAdditionalPodMetadata() {
        SandboxWarmPool p = pool();
        Sandbox member = WarmPools.newMember(p, template(null));
        member.getMetadata().setName("py-pool-abcde");
        member.getMetadata().setResourceVersion("17");
        SandboxClaim c = claim();
        c.getSpec().setAdditionalPodMetadata(new PodMetadata(Map.of("team", "a"), Map.of(Names.PS_NAME_ANNOTATION, "snap")));
        Sandbox adopted = Claims.adopt(member, c, p);
        assertThat(adopted.getMetadata().getResourceVersion()).isEqualTo("17");
        assertThat(adopted.getMetadata().getLabels()).doesNotContainKey(Names.WARM_POOL_SANDBOX_LABEL)
                .containsEntry(Names.CLAIM_UID_LABEL, "c-uid").containsEntry(Names.LAUNCH_TYPE_LABEL, "warm");
        assertThat(adopted.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getUid()).isEqualTo("c-uid");
            assertThat(o.getKind()).isEqualTo("SandboxClaim");
        });
        assertThat(adopted.getSpec().getPodTemplate().getMetadata().getLabels()).containsEntry("team", "a").containsEntry("app", "py");
        assertThat(member.getMetadata().getLabels()).containsKey(Names.WARM_POOL_SANDBOX_LABEL); // the input is not modified
        assertThat(Claims.needsColdStart(c)).isTrue(); // a pinned snapshot restore needs a fresh Pod
        SandboxClaim annotated = claim();
        annotated.getMetadata().setAnnotations(Map.of(Names.PS_NAME_ANNOTATION, "snap-2"));
        assertThat(Claims.needsColdStart(annotated)).isTrue();
        assertThat(Claims.coldSandbox(annotated, template(null)).getSpec().getPodTemplate().getMetadata().getAnnotations())
                .containsEntry(Names.PS_NAME_ANNOTATION, "snap-2");
    }

    private static dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate vct(String name, String size) {
        return new dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate(new dev.agentbox.api.agents.v1beta1.EmbeddedObjectMetadata(name),
                new io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpecBuilder().withAccessModes("ReadWriteOnce")
                        .withNewResources().addToRequests("storage", new io.fabric8.kubernetes.api.model.Quantity(size)).endResources().build());
    }

    @Test
    void claimVolumeClaimTemplatesFollowTheTemplatesPolicyAsUpstream() {
        SandboxTemplate t = template(null);
        t.getSpec().setVolumeClaimTemplates(List.of(vct("data", "1Gi")));
        SandboxClaim c = claim();
        assertThat(Claims.needsColdStart(c)).isFalse();
        c.getSpec().setVolumeClaimTemplates(List.of(vct("data", "5Gi"), vct("cache", "2Gi")));
        assertThat(Claims.needsColdStart(c)).as("a claim with volumeClaimTemplates is always cold-started").isTrue();
        assertThat(Claims.checkVolumeClaimTemplates(c, t)).hasValueSatisfying(m -> assertThat(m).contains("Disallowed"));
        t.getSpec().setVolumeClaimTemplatesPolicy(dev.agentbox.api.extensions.v1beta1.VolumeClaimTemplatesPolicy.ALLOWED);
        assertThat(Claims.checkVolumeClaimTemplates(c, t)).hasValueSatisfying(m -> assertThat(m).contains("already has data"));
        c.getSpec().setVolumeClaimTemplates(List.of(vct("cache", "2Gi")));
        assertThat(Claims.checkVolumeClaimTemplates(c, t)).isEmpty();
        assertThat(Claims.coldSandbox(c, t).getSpec().getVolumeClaimTemplates()).extracting(v -> v.getMetadata().getName()).containsExactly("data", "cache");
        t.getSpec().setVolumeClaimTemplatesPolicy(dev.agentbox.api.extensions.v1beta1.VolumeClaimTemplatesPolicy.OVERRIDES);
        c.getSpec().setVolumeClaimTemplates(List.of(vct("data", "5Gi"), vct("cache", "2Gi")));
        assertThat(Claims.checkVolumeClaimTemplates(c, t)).isEmpty();
        var merged = Claims.coldSandbox(c, t).getSpec().getVolumeClaimTemplates();
        assertThat(merged).extracting(v -> v.getMetadata().getName()).containsExactly("data", "cache");
        assertThat(merged.get(0).getSpec().getResources().getRequests().get("storage")).isEqualTo(new io.fabric8.kubernetes.api.model.Quantity("5Gi"));
        assertThat(t.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage"))
                .as("the template is not changed").isEqualTo(new io.fabric8.kubernetes.api.model.Quantity("1Gi"));
    }

    @Test
    void aMemberNotReadyPastTheReadinessGracePeriodIsDeletedAndReplaced() {
        SandboxWarmPool p = pool();
        p.getSpec().setReplicas(2);
        p.getSpec().setReadinessGracePeriodSeconds(60);
        Sandbox stuck = WarmPools.newMember(p, template(null));
        stuck.getMetadata().setName("stuck");
        stuck.getMetadata().setCreationTimestamp(NOW.minusSeconds(61).toString());
        Sandbox young = WarmPools.newMember(p, template(null));
        young.getMetadata().setName("young");
        young.getMetadata().setCreationTimestamp(NOW.minusSeconds(50).toString());
        WarmPoolPlan plan = WarmPools.plan(p, template(null), List.of(stuck, young), NOW);
        assertThat(plan.delete()).containsExactly("stuck");
        assertThat(plan.create()).as("its replacement").hasSize(1);
        assertThat(plan.recheckAfter()).as("when young's grace period ends").isEqualTo(java.time.Duration.ofSeconds(11));
        // a Ready member is kept however old; one that turned not Ready counts from that transition
        young.setStatus(new dev.agentbox.api.agents.v1beta1.SandboxStatus());
        young.getStatus().setConditions(List.of(Conditions.of(Conditions.READY, Conditions.TRUE, "Ready", "", 1L)));
        young.getStatus().getConditions().get(0).setLastTransitionTime(NOW.minusSeconds(3600).toString());
        stuck.setStatus(new dev.agentbox.api.agents.v1beta1.SandboxStatus());
        stuck.getStatus().setConditions(List.of(Conditions.of(Conditions.READY, Conditions.FALSE, "ProbeFailed", "", 1L)));
        stuck.getStatus().getConditions().get(0).setLastTransitionTime(NOW.minusSeconds(10).toString());
        WarmPoolPlan later = WarmPools.plan(p, template(null), List.of(stuck, young), NOW);
        assertThat(later.delete()).isEmpty();
        assertThat(later.recheckAfter()).isEqualTo(java.time.Duration.ofSeconds(51));
    }

    @Test
    void warmPoolStatusCarriesTheObservedGeneration() {
        SandboxWarmPool p = pool();
        p.getMetadata().setGeneration(4L);
        assertThat(WarmPools.status(p, List.of()).getObservedGeneration()).isEqualTo(4L);
    }

    @Test
    void envInjectionFollowsThePolicy() {
        SandboxTemplate t = template(null);
        SandboxClaim c = claim();
        c.getSpec().setEnv(List.of(new ClaimEnvVar("HOME", "/work"), new ClaimEnvVar("TOKEN", "t", "side")));
        assertThat(Claims.checkEnv(c, t)).hasValueSatisfying(m -> assertThat(m).contains("Disallowed"));
        t.getSpec().setEnvVarsInjectionPolicy(EnvVarsInjectionPolicy.ALLOWED);
        assertThat(Claims.checkEnv(c, t)).hasValueSatisfying(m -> assertThat(m).contains("HOME is already set by container main"));
        t.getSpec().setEnvVarsInjectionPolicy(EnvVarsInjectionPolicy.OVERRIDES);
        assertThat(Claims.checkEnv(c, t)).isEmpty();
        Sandbox cold = Claims.coldSandbox(c, t);
        assertThat(cold.getMetadata().getName()).isEqualTo("c1");
        assertThat(cold.getMetadata().getLabels()).containsEntry(Names.LAUNCH_TYPE_LABEL, "cold").containsEntry(Names.CLAIM_UID_LABEL, "c-uid");
        var containers = cold.getSpec().getPodTemplate().getSpec().getContainers();
        assertThat(containers.get(0).getEnv()).extracting(EnvVar::getName, EnvVar::getValue).containsExactly(org.assertj.core.groups.Tuple.tuple("HOME", "/work"));
        assertThat(containers.get(1).getEnv()).extracting(EnvVar::getName).containsExactly("TOKEN");
        c.getSpec().setEnv(List.of(new ClaimEnvVar("X", "1", "nope")));
        assertThat(Claims.checkEnv(c, t)).hasValueSatisfying(m -> assertThat(m).contains("no container named nope"));
    }

    @Test
    void claimLifecycleDecisions() {
        SandboxClaim c = claim();
        assertThat(Claims.lifecycle(c, NOW)).isEqualTo(new Claims.LifecycleDecision.Active(null));
        c.getSpec().setLifecycle(new ClaimLifecycle("2026-01-01T00:01:00Z", null, null));
        assertThat(Claims.lifecycle(c, NOW)).isEqualTo(new Claims.LifecycleDecision.Active(Instant.parse("2026-01-01T00:01:00Z")));
        assertThat(Claims.lifecycle(c, NOW.plusSeconds(60))).isInstanceOf(Claims.LifecycleDecision.Expired.class);
        c.getSpec().getLifecycle().setShutdownPolicy(ClaimShutdownPolicy.DELETE);
        assertThat(Claims.lifecycle(c, NOW.plusSeconds(60))).isEqualTo(new Claims.LifecycleDecision.DeleteClaim(false,
                "shutdownTime 2026-01-01T00:01:00Z passed (shutdownPolicy Delete)"));
        c.getSpec().getLifecycle().setShutdownPolicy(ClaimShutdownPolicy.DELETE_FOREGROUND);
        assertThat(Claims.lifecycle(c, NOW.plusSeconds(60))).isInstanceOfSatisfying(Claims.LifecycleDecision.DeleteClaim.class, d -> assertThat(d.foreground()).isTrue());
        // ttlSecondsAfterFinished counts from the terminal Ready condition
        SandboxClaim done = claim();
        done.getSpec().setLifecycle(new ClaimLifecycle(null, 10, null));
        SandboxClaimStatus st = new SandboxClaimStatus();
        Conditions.set(st, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_POD_SUCCEEDED, "done", 1L), NOW);
        done.setStatus(st);
        assertThat(Claims.lifecycle(done, NOW.plusSeconds(5))).isEqualTo(new Claims.LifecycleDecision.Active(NOW.plusSeconds(10)));
        assertThat(Claims.lifecycle(done, NOW.plusSeconds(10))).isInstanceOf(Claims.LifecycleDecision.DeleteClaim.class);
    }
}
