package dev.agentbox.server.controller;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolStatus;
import dev.agentbox.api.extensions.v1beta1.UpdateStrategyType;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code replicas} unclaimed Sandboxes of the pool's template. Members carry the pool label and
 * an owner reference to the pool; a claim takes a member by removing both, and the pool refills.
 * On a template change, Recreate replaces members of the old template; OnReplenish keeps them and only
 * new members use the new template.
 */
public final class WarmPoolController implements Controller {
    private static final Logger log = LoggerFactory.getLogger(WarmPoolController.class);

    private final Store store;
    private final PoolActivity activity;

    public WarmPoolController(Store store, PoolActivity activity) {
        this.store = store;
        this.activity = activity;
    }

    @Override
    public String name() {
        return "warmpool";
    }

    /** Pool members: Sandboxes labelled for this pool and still owned by it (not yet claimed). */
    public static List<Sandbox> members(Store store, SandboxWarmPool pool) {
        String uid = pool.getMetadata().getUid();
        return store.list(Sandbox.class, pool.getMetadata().getNamespace(),
                        l -> poolLabelValue(pool).equals(l.get(Names.WARM_POOL_SANDBOX_LABEL)))
                .stream()
                .filter(s -> s.getMetadata().getOwnerReferences().stream().anyMatch(o -> uid.equals(o.getUid())))
                .toList();
    }

    /** As upstream: the label's value is the hash of the pool's name (names may be longer than a label value). */
    static String poolLabelValue(SandboxWarmPool pool) {
        return Hashing.nameHash(pool.getMetadata().getName());
    }

    @Override
    public Result reconcile(ObjectKey key) {
        Optional<SandboxWarmPool> found = store.get(SandboxWarmPool.class, key.namespace(), key.name());
        if (found.isEmpty()) return Result.DONE; // members are owned by the pool: the garbage collector deletes them
        SandboxWarmPool pool = found.get();
        String templateName = pool.getSpec().getSandboxTemplateRef() == null ? null : pool.getSpec().getSandboxTemplateRef().getName();
        Optional<SandboxTemplate> template = templateName == null ? Optional.empty()
                : store.get(SandboxTemplate.class, key.namespace(), templateName);
        List<Sandbox> members = new ArrayList<>(members(store, pool));
        if (template.isEmpty()) {
            log.warn("warm pool {}: SandboxTemplate {} not found; waiting for it", key, templateName);
            writeStatus(pool, members);
            return Result.requeueAfter(Duration.ofSeconds(5));
        }
        String hash = Hashing.blueprintHash(template.get().getSpec());
        if (pool.getSpec().getUpdateStrategy() != null && pool.getSpec().getUpdateStrategy().effectiveType() == UpdateStrategyType.RECREATE) {
            for (Sandbox s : List.copyOf(members)) {
                if (!hash.equals(s.getMetadata().getLabels().get(Names.SANDBOX_TEMPLATE_HASH_LABEL))) {
                    store.delete(Sandbox.class, key.namespace(), s.getMetadata().getName());
                    members.remove(s);
                    log.info("warm pool {}: deleted {} (template changed, updateStrategy Recreate)", key, s.getMetadata().getName());
                }
            }
        }
        int want = pool.getSpec().effectiveReplicas();
        Duration wait = members.size() < want ? activity.refillWait(pool.getMetadata().getUid()) : Duration.ZERO;
        if (!wait.isZero()) {
            writeStatus(pool, members);
            return Result.requeueAfter(wait);
        }
        for (int i = members.size(); i < want; i++) {
            Sandbox created = store.create(newMember(pool, template.get(), hash));
            members.add(created);
            log.info("warm pool {}: created member {}", key, created.getMetadata().getName());
        }
        if (members.size() > want) {
            // drop the ones least useful first: not ready, then newest
            members.sort(Comparator.comparing((Sandbox s) -> Conditions.isReady(s)).reversed()
                    .thenComparing(s -> s.getMetadata().getCreationTimestamp()));
            while (members.size() > want) {
                Sandbox extra = members.remove(members.size() - 1);
                store.delete(Sandbox.class, key.namespace(), extra.getMetadata().getName());
                log.info("warm pool {}: deleted surplus member {}", key, extra.getMetadata().getName());
            }
        }
        writeStatus(pool, members);
        return Result.DONE;
    }

    private Sandbox newMember(SandboxWarmPool pool, SandboxTemplate template, String hash) {
        Sandbox s = new Sandbox();
        s.setMetadata(new ObjectMetaBuilder()
                .withGenerateName(pool.getMetadata().getName() + "-")
                .withNamespace(pool.getMetadata().getNamespace())
                .withLabels(Map.of(
                        Names.WARM_POOL_SANDBOX_LABEL, poolLabelValue(pool),
                        Names.SANDBOX_TEMPLATE_HASH_LABEL, hash,
                        Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash(template.getMetadata().getName())))
                .withAnnotations(Map.of(Names.SANDBOX_TEMPLATE_REF_ANNOTATION, template.getMetadata().getName()))
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(pool.getApiVersion()).withKind(pool.getKind())
                        .withName(pool.getMetadata().getName()).withUid(pool.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build())
                .build());
        SandboxSpec spec = new SandboxSpec();
        spec.copyBlueprintFrom(template.getSpec());
        s.setSpec(spec);
        return s;
    }

    private void writeStatus(SandboxWarmPool pool, List<Sandbox> members) {
        int ready = (int) members.stream().filter(Conditions::isReady).count();
        SandboxWarmPoolStatus status = new SandboxWarmPoolStatus(members.size(), ready,
                Names.WARM_POOL_SANDBOX_LABEL + "=" + poolLabelValue(pool));
        if (status.equals(pool.getStatus())) return;
        pool.setStatus(status);
        pool.getMetadata().setResourceVersion(null);
        store.updateStatus(pool);
    }
}
