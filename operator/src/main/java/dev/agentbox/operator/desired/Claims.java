package dev.agentbox.operator.desired;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.ClaimEnvVar;
import dev.agentbox.api.extensions.v1beta1.ClaimLifecycle;
import dev.agentbox.api.extensions.v1beta1.EnvVarsInjectionPolicy;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.VolumeClaimTemplatesPolicy;
import dev.agentbox.api.internal.Json;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Desired state for SandboxClaims (pure functions): the adopted form of a warm-pool member, the cold Sandbox,
 * environment injection under the template's {@code envVarsInjectionPolicy}, and the lifecycle decision.
 */
public final class Claims {
    private Claims() {
    }

    /** What to do about a claim's lifecycle at {@code now}. */
    public sealed interface LifecycleDecision {
        /** Keep going; {@code nextCheck} is when to look again (shutdownTime or TTL), or null. */
        record Active(Instant nextCheck) implements LifecycleDecision {}

        /** shutdownTime passed with Delete / DeleteForeground: delete the claim (foreground: wait for its dependents). */
        record DeleteClaim(boolean foreground, String why) implements LifecycleDecision {}

        /** shutdownTime passed with Retain: delete the Sandbox, keep the claim with Ready=False ClaimExpired. */
        record Expired(String message, Instant nextCheck) implements LifecycleDecision {}
    }

    public static LifecycleDecision lifecycle(SandboxClaim claim, Instant now) {
        ClaimLifecycle lifecycle = claim.getSpec().getLifecycle();
        if (lifecycle == null) return new LifecycleDecision.Active(null);
        Instant finished = finishedAt(claim);
        Instant ttlAt = finished != null && lifecycle.getTtlSecondsAfterFinished() != null
                ? finished.plusSeconds(lifecycle.getTtlSecondsAfterFinished()) : null;
        if (ttlAt != null && !now.isBefore(ttlAt)) {
            return new LifecycleDecision.DeleteClaim(false, "ttlSecondsAfterFinished " + lifecycle.getTtlSecondsAfterFinished() + " passed");
        }
        Instant shutdown = Objects2.parseTime(lifecycle.getShutdownTime());
        if (shutdown != null && !now.isBefore(shutdown)) {
            return switch (lifecycle.effectiveShutdownPolicy()) {
                case DELETE -> new LifecycleDecision.DeleteClaim(false, "shutdownTime " + lifecycle.getShutdownTime() + " passed (shutdownPolicy Delete)");
                case DELETE_FOREGROUND -> new LifecycleDecision.DeleteClaim(true, "shutdownTime " + lifecycle.getShutdownTime() + " passed (shutdownPolicy DeleteForeground)");
                case RETAIN -> new LifecycleDecision.Expired("shutdownTime " + lifecycle.getShutdownTime()
                        + " passed; the Sandbox was deleted (shutdownPolicy Retain)", ttlAt);
            };
        }
        Instant next = shutdown;
        if (ttlAt != null && (next == null || ttlAt.isBefore(next))) next = ttlAt;
        return new LifecycleDecision.Active(next);
    }

    /** When the claim finished (Ready=False with a terminal reason), from that condition's lastTransitionTime; else null. */
    public static Instant finishedAt(SandboxClaim claim) {
        Optional<Condition> ready = Conditions.get(claim.getStatus(), Conditions.READY);
        if (ready.isEmpty() || Conditions.TRUE.equals(ready.get().getStatus()) || ready.get().getLastTransitionTime() == null) return null;
        String reason = ready.get().getReason();
        boolean finished = Conditions.REASON_CLAIM_EXPIRED.equals(reason) || Conditions.REASON_SANDBOX_EXPIRED.equals(reason)
                || Conditions.REASON_POD_SUCCEEDED.equals(reason) || Conditions.REASON_POD_FAILED.equals(reason);
        return finished ? Instant.parse(ready.get().getLastTransitionTime()) : null;
    }

    /** True when the claim must get a fresh Sandbox: it injects env or volume claim templates (as upstream), or pins a restore from a PodSnapshot. */
    public static boolean needsColdStart(SandboxClaim claim) {
        if (claim.getSpec().getEnv() != null && !claim.getSpec().getEnv().isEmpty()) return true;
        if (claim.getSpec().getVolumeClaimTemplates() != null && !claim.getSpec().getVolumeClaimTemplates().isEmpty()) return true;
        return pinnedSnapshot(claim) != null;
    }

    /**
     * Checks the claim's volumeClaimTemplates against the template's volumeClaimTemplatesPolicy, as upstream: Disallowed
     * (the default) rejects any, Allowed accepts only names the template does not have, Overrides accepts all.
     *
     * @return empty when acceptable, else the message saying why not
     */
    public static Optional<String> checkVolumeClaimTemplates(SandboxClaim claim, SandboxTemplate template) {
        List<PersistentVolumeClaimTemplate> extra = claim.getSpec().getVolumeClaimTemplates();
        if (extra == null || extra.isEmpty()) return Optional.empty();
        VolumeClaimTemplatesPolicy policy = template.getSpec().effectiveVolumeClaimTemplatesPolicy();
        if (policy == VolumeClaimTemplatesPolicy.DISALLOWED) {
            return Optional.of("spec.volumeClaimTemplates: SandboxTemplate " + template.getMetadata().getName()
                    + " has volumeClaimTemplatesPolicy Disallowed; remove volumeClaimTemplates from the claim or set the template's policy to Allowed or Overrides");
        }
        if (policy == VolumeClaimTemplatesPolicy.ALLOWED) {
            java.util.Set<String> own = new java.util.HashSet<>(vctNames(template.getSpec().getVolumeClaimTemplates()));
            for (int i = 0; i < extra.size(); i++) {
                String name = extra.get(i).getMetadata() == null ? null : extra.get(i).getMetadata().getName();
                if (own.contains(name)) {
                    return Optional.of("spec.volumeClaimTemplates[" + i + "]: SandboxTemplate " + template.getMetadata().getName() + " already has " + name
                            + "; volumeClaimTemplatesPolicy Allowed only adds new ones (Overrides replaces them)");
                }
            }
        }
        return Optional.empty();
    }

    /** The template's volume claim templates with the claim's: replaced by name (Overrides), new names appended; call {@link #checkVolumeClaimTemplates} first. */
    public static List<PersistentVolumeClaimTemplate> mergeVolumeClaimTemplates(List<PersistentVolumeClaimTemplate> template,
                                                                                List<PersistentVolumeClaimTemplate> claim) {
        List<PersistentVolumeClaimTemplate> merged = new ArrayList<>(template == null ? List.of() : template);
        if (claim == null) return merged;
        for (PersistentVolumeClaimTemplate c : claim) {
            String name = c.getMetadata() == null ? null : c.getMetadata().getName();
            int at = -1;
            for (int i = 0; i < merged.size(); i++) {
                if (merged.get(i).getMetadata() != null && Objects.equals(name, merged.get(i).getMetadata().getName())) at = i;
            }
            if (at >= 0) merged.set(at, Json.deepCopy(c));
            else merged.add(Json.deepCopy(c));
        }
        return merged;
    }

    private static List<String> vctNames(List<PersistentVolumeClaimTemplate> list) {
        return list == null ? List.of() : list.stream().map(v -> v.getMetadata() == null ? null : v.getMetadata().getName()).toList();
    }

    /**
     * The PodSnapshot the claim pins ({@code podsnapshot.gke.io/ps-name}), from its additionalPodMetadata or, as
     * agentboxd also accepts, from the claim's own annotations; null when none.
     */
    public static String pinnedSnapshot(SandboxClaim claim) {
        PodMetadata extra = claim.getSpec().getAdditionalPodMetadata();
        if (extra != null && extra.getAnnotations() != null && extra.getAnnotations().get(Names.PS_NAME_ANNOTATION) != null) {
            return extra.getAnnotations().get(Names.PS_NAME_ANNOTATION);
        }
        return Objects2.annotations(claim).get(Names.PS_NAME_ANNOTATION);
    }

    /**
     * Checks the claim's env against the template's envVarsInjectionPolicy: Disallowed (the default) rejects any,
     * Allowed accepts only variables the container does not define, Overrides accepts all.
     *
     * @return empty when acceptable, else the message saying why not
     */
    public static Optional<String> checkEnv(SandboxClaim claim, SandboxTemplate template) {
        List<ClaimEnvVar> env = claim.getSpec().getEnv();
        if (env == null || env.isEmpty()) return Optional.empty();
        EnvVarsInjectionPolicy policy = template.getSpec().effectiveEnvVarsInjectionPolicy();
        if (policy == EnvVarsInjectionPolicy.DISALLOWED) {
            return Optional.of("spec.env: SandboxTemplate " + template.getMetadata().getName()
                    + " has envVarsInjectionPolicy Disallowed; remove env from the claim or set the template's policy to Allowed or Overrides");
        }
        List<Container> containers = containers(template.getSpec().getPodTemplate());
        if (containers.isEmpty()) return Optional.of("spec.env: SandboxTemplate " + template.getMetadata().getName() + " has no containers");
        for (int i = 0; i < env.size(); i++) {
            ClaimEnvVar e = env.get(i);
            List<Container> targets = targets(containers, e.getContainerName());
            if (targets.isEmpty()) {
                return Optional.of("spec.env[" + i + "].containerName: no container named " + e.getContainerName() + " in SandboxTemplate " + template.getMetadata().getName());
            }
            if (policy == EnvVarsInjectionPolicy.ALLOWED) {
                for (Container c : targets) {
                    if (c.getEnv() != null && c.getEnv().stream().anyMatch(v -> e.getName().equals(v.getName()))) {
                        return Optional.of("spec.env[" + i + "]: " + e.getName() + " is already set by container " + c.getName()
                                + "; envVarsInjectionPolicy Allowed only adds new variables (Overrides replaces them)");
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static List<Container> containers(PodTemplate t) {
        return t == null || t.getSpec() == null || t.getSpec().getContainers() == null ? List.of() : t.getSpec().getContainers();
    }

    /** The named container, or the first one when no name is given (upstream's default). */
    private static List<Container> targets(List<Container> containers, String name) {
        if (name == null || name.isBlank()) return containers.isEmpty() ? List.of() : List.of(containers.get(0));
        return containers.stream().filter(c -> name.equals(c.getName())).toList();
    }

    /** Adds (or replaces) the claim's env in the Sandbox's pod template; call {@link #checkEnv} first. */
    public static void injectEnv(SandboxSpec spec, List<ClaimEnvVar> env) {
        if (env == null || env.isEmpty()) return;
        List<Container> containers = containers(spec.getPodTemplate());
        for (ClaimEnvVar e : env) {
            for (Container c : targets(containers, e.getContainerName())) {
                List<EnvVar> vars = new ArrayList<>(c.getEnv() == null ? List.of() : c.getEnv());
                vars.removeIf(v -> e.getName().equals(v.getName()));
                vars.add(new EnvVar(e.getName(), e.getValue(), null));
                c.setEnv(vars);
            }
        }
    }

    /** A new Sandbox for the claim (cold path): named after the claim, controlled by it, made from the template. */
    public static Sandbox coldSandbox(SandboxClaim claim, SandboxTemplate template) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Names.CLAIM_UID_LABEL, claim.getMetadata().getUid());
        labels.put(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_COLD);
        labels.put(Names.SANDBOX_TEMPLATE_HASH_LABEL, Hashing.blueprintHash(template.getSpec()));
        labels.put(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash(template.getMetadata().getName()));
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(Names.SANDBOX_TEMPLATE_REF_ANNOTATION, template.getMetadata().getName());
        Sandbox s = new Sandbox();
        s.setMetadata(new ObjectMetaBuilder()
                .withName(claim.getMetadata().getName())
                .withNamespace(claim.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(Objects2.controllerRef(claim))
                .build());
        SandboxSpec spec = new SandboxSpec().copyBlueprintFrom(template.getSpec());
        mergePodMetadata(spec, claim.getSpec().getAdditionalPodMetadata());
        String pinned = pinnedSnapshot(claim);
        if (pinned != null) mergePodMetadata(spec, new PodMetadata(null, Map.of(Names.PS_NAME_ANNOTATION, pinned)));
        injectEnv(spec, claim.getSpec().getEnv());
        if (claim.getSpec().getVolumeClaimTemplates() != null && !claim.getSpec().getVolumeClaimTemplates().isEmpty()) {
            spec.setVolumeClaimTemplates(mergeVolumeClaimTemplates(spec.getVolumeClaimTemplates(), claim.getSpec().getVolumeClaimTemplates()));
        }
        s.setSpec(spec);
        return s;
    }

    /**
     * The warm-pool member as adopted by the claim: the warm-pool label and the pool's owner reference removed, the
     * claim as controller, {@code claim-uid} and {@code launch-type=warm} labels, the claim's additionalPodMetadata
     * merged into the pod template (the Sandbox reconciler copies it onto the running Pod). The copy keeps the
     * member's resourceVersion, so the update that stores it fails if anyone changed the member meanwhile.
     */
    public static Sandbox adopt(Sandbox member, SandboxClaim claim, SandboxWarmPool pool) {
        Sandbox s = Json.deepCopy(member);
        Map<String, String> labels = new LinkedHashMap<>(Objects2.labels(s));
        labels.remove(Names.WARM_POOL_SANDBOX_LABEL);
        labels.put(Names.CLAIM_UID_LABEL, claim.getMetadata().getUid());
        labels.put(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_WARM);
        s.getMetadata().setLabels(labels);
        List<OwnerReference> owners = new ArrayList<>(s.getMetadata().getOwnerReferences() == null ? List.of() : s.getMetadata().getOwnerReferences());
        owners.removeIf(o -> pool.getMetadata().getUid().equals(o.getUid()) || Boolean.TRUE.equals(o.getController()));
        owners.add(Objects2.controllerRef(claim));
        s.getMetadata().setOwnerReferences(owners);
        mergePodMetadata(s.getSpec(), claim.getSpec().getAdditionalPodMetadata());
        return s;
    }

    private static void mergePodMetadata(SandboxSpec spec, PodMetadata extra) {
        if (extra == null || (extra.getLabels() == null && extra.getAnnotations() == null)) return;
        PodTemplate t = spec.getPodTemplate() == null ? new PodTemplate() : spec.getPodTemplate();
        PodMetadata m = t.getMetadata() == null ? new PodMetadata() : t.getMetadata();
        if (extra.getLabels() != null) {
            Map<String, String> l = new LinkedHashMap<>(m.getLabels() == null ? Map.of() : m.getLabels());
            l.putAll(extra.getLabels());
            m.setLabels(l);
        }
        if (extra.getAnnotations() != null) {
            Map<String, String> a = new LinkedHashMap<>(m.getAnnotations() == null ? Map.of() : m.getAnnotations());
            a.putAll(extra.getAnnotations());
            m.setAnnotations(a);
        }
        t.setMetadata(m);
        spec.setPodTemplate(t);
    }

    /** The claim's Ready condition mirroring its Sandbox's (null sandbox: it does not exist). */
    public static Condition readyFromSandbox(SandboxClaim claim, String sandboxName, Sandbox sandbox) {
        Long gen = claim.getMetadata().getGeneration();
        if (sandbox == null) {
            return Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "Sandbox " + sandboxName + " does not exist (yet)", gen);
        }
        Optional<Condition> ready = Conditions.get(sandbox.getStatus(), Conditions.READY);
        if (ready.isEmpty()) {
            return Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "Sandbox " + sandboxName + " is starting", gen);
        }
        return Conditions.of(Conditions.READY, ready.get().getStatus(), ready.get().getReason(),
                "Sandbox " + sandboxName + ": " + ready.get().getMessage(), gen);
    }
}
