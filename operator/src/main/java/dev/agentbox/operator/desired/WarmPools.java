package dev.agentbox.operator.desired;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.ReadinessGrace;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolStatus;
import dev.agentbox.api.extensions.v1beta1.UpdateStrategyType;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Desired state of a SandboxWarmPool (pure functions). Members are Sandboxes created with
 * {@code generateName: <pool>-}, labelled {@code agents.x-k8s.io/warm-pool-sandbox=<hash of pool name>} plus the
 * template hashes, and controlled by the pool; a claim takes one by removing the label and the pool's owner reference.
 */
public final class WarmPools {
    /** agentbox annotation on members: the pool a Sandbox was made for (kept after adoption, so the pool hears about it and refills). */
    public static final String POOL_ANNOTATION = Names.AGENTBOX_PREFIX + "warm-pool";

    private WarmPools() {
    }

    /** The value of the warm-pool label: the hash of the pool's name, as upstream. */
    public static String poolLabelValue(SandboxWarmPool pool) {
        return Hashing.nameHash(pool.getMetadata().getName());
    }

    /** {@code agents.x-k8s.io/warm-pool-sandbox=<hash>}: the pool's members (status.selector, used by the scale subresource). */
    public static String selector(SandboxWarmPool pool) {
        return Names.WARM_POOL_SANDBOX_LABEL + "=" + poolLabelValue(pool);
    }

    /** True when the Sandbox is an unclaimed member of the pool: labelled for it and controlled by it. */
    public static boolean isMember(Sandbox s, SandboxWarmPool pool) {
        return poolLabelValue(pool).equals(Objects2.labels(s).get(Names.WARM_POOL_SANDBOX_LABEL)) && Objects2.controlledBy(s, pool);
    }

    /** A new member of the pool, made from the template. */
    public static Sandbox newMember(SandboxWarmPool pool, SandboxTemplate template) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Names.WARM_POOL_SANDBOX_LABEL, poolLabelValue(pool));
        labels.put(Names.SANDBOX_TEMPLATE_HASH_LABEL, Hashing.blueprintHash(template.getSpec()));
        labels.put(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash(template.getMetadata().getName()));
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(Names.SANDBOX_TEMPLATE_REF_ANNOTATION, template.getMetadata().getName());
        annotations.put(POOL_ANNOTATION, pool.getMetadata().getName());
        Sandbox s = new Sandbox();
        s.setMetadata(new ObjectMetaBuilder()
                .withGenerateName(Objects2.generateNamePrefix(pool.getMetadata().getName()))
                .withNamespace(pool.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(Objects2.controllerRef(pool))
                .build());
        s.setSpec(new SandboxSpec().copyBlueprintFrom(template.getSpec()));
        return s;
    }

    /**
     * Plans the pool: members not Ready for longer than {@code readinessGracePeriodSeconds} are deleted (and replaced);
     * with Recreate, members of an older template are deleted; then members are added up to {@code replicas}, or the
     * surplus deleted (not-ready and newest first).
     *
     * @param template null when the pool's template does not exist
     * @param members  the pool's current unclaimed members (see {@link #isMember})
     * @param now      the time the readiness grace periods are measured at
     */
    public static WarmPoolPlan plan(SandboxWarmPool pool, SandboxTemplate template, List<Sandbox> members, Instant now) {
        List<Sandbox> kept = new ArrayList<>(members.stream().filter(s -> s.getMetadata().getDeletionTimestamp() == null).toList());
        if (template == null) {
            return new WarmPoolPlan(List.of(), List.of(), status(pool, kept), true, null);
        }
        List<String> delete = new ArrayList<>();
        Duration grace = Duration.ofSeconds(pool.getSpec().effectiveReadinessGracePeriodSeconds());
        Duration recheck = null;
        for (Sandbox s : List.copyOf(kept)) {
            Duration left = ReadinessGrace.left(s, grace, now).orElse(null);
            if (left == null) continue;
            if (left.isPositive()) {
                Duration wake = left.plusSeconds(1); // timestamps have whole seconds
                if (recheck == null || wake.compareTo(recheck) < 0) recheck = wake;
            } else {
                delete.add(s.getMetadata().getName());
                kept.remove(s);
            }
        }
        String hash = Hashing.blueprintHash(template.getSpec());
        boolean recreate = pool.getSpec().getUpdateStrategy() != null
                && pool.getSpec().getUpdateStrategy().effectiveType() == UpdateStrategyType.RECREATE;
        if (recreate) {
            for (Sandbox s : List.copyOf(kept)) {
                if (!hash.equals(Objects2.labels(s).get(Names.SANDBOX_TEMPLATE_HASH_LABEL))) {
                    delete.add(s.getMetadata().getName());
                    kept.remove(s);
                }
            }
        }
        int want = Math.max(0, pool.getSpec().effectiveReplicas());
        List<Sandbox> create = new ArrayList<>();
        for (int i = kept.size(); i < want; i++) create.add(newMember(pool, template));
        if (kept.size() > want) {
            kept.sort(Comparator.comparing((Sandbox s) -> Conditions.isReady(s)).reversed()
                    .thenComparing(s -> String.valueOf(s.getMetadata().getCreationTimestamp())));
            while (kept.size() > want) delete.add(kept.remove(kept.size() - 1).getMetadata().getName());
        }
        return new WarmPoolPlan(create, delete, status(pool, kept), false, recheck);
    }

    /**
     * replicas = members (ready or not; members being created are counted when they appear), readyReplicas = Ready members,
     * observedGeneration = the pool's generation.
     */
    public static SandboxWarmPoolStatus status(SandboxWarmPool pool, List<Sandbox> members) {
        int ready = (int) members.stream().filter(Conditions::isReady).count();
        SandboxWarmPoolStatus status = new SandboxWarmPoolStatus(members.size(), ready, selector(pool));
        status.setObservedGeneration(pool.getMetadata().getGeneration());
        return status;
    }
}
