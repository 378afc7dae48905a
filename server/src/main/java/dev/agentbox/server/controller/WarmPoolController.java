package dev.agentbox.server.controller;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.QuotaExceededException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolStatus;
import dev.agentbox.api.extensions.v1beta1.UpdateStrategyType;
import dev.agentbox.api.EventReasons;
import dev.agentbox.server.EventRecorder;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Clock;
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
 *
 * <p>Members are created a few at a time, and each create first checks that the pool (this incarnation, by uid)
 * still exists: a pool deleted while it fills stops at once instead of running its loop to the end (which used to
 * create members after the garbage collector had already removed the pool's). A member the quotas refuse is not
 * created; the pool's ReplicaFailure condition (reason FailedCreate) says why, as a ReplicaSet's does.
 *
 * <p>A member that stays not Ready longer than {@code spec.readinessGracePeriodSeconds} (default 5 minutes, upstream's
 * controller default) is deleted and replaced. The time counts from the member's last Ready transition (its creation
 * when it has none), so members marked not Ready by a restarted agentboxd until it re-attaches are not taken for stuck.
 * {@code status.observedGeneration} is the generation the status was computed for.
 */
public final class WarmPoolController implements Controller {
    private static final Logger log = LoggerFactory.getLogger(WarmPoolController.class);

    /** Members created per reconcile; the next batch follows at once (bounded work per pass, as a ReplicaSet's slow start). */
    static final int CREATE_BATCH = 10;

    private final Store store;
    private final PoolActivity activity;
    private final Clock clock;
    private final EventRecorder events;

    public WarmPoolController(Store store, PoolActivity activity) {
        this(store, activity, Clock.systemUTC());
    }

    public WarmPoolController(Store store, PoolActivity activity, Clock clock) {
        this(store, activity, clock, EventRecorder.disabled());
    }

    /** Records SuccessfulCreate/SuccessfulDelete per member and WarmPoolNotProgressing/WarmPoolProgressing transitions. */
    public WarmPoolController(Store store, PoolActivity activity, Clock clock, EventRecorder events) {
        this.store = store;
        this.activity = activity;
        this.clock = clock;
        this.events = events;
    }

    @Override
    public String name() {
        return "warmpool";
    }

    /**
     * Pool members, from the store's in-memory summaries: Sandboxes labelled for this pool and still owned by it (not
     * yet claimed). A pass over a pool reads and parses only the members it must look into (not Ready ones), so a
     * claim of one member of a pool of hundreds does not make the refill parse every member.
     */
    static List<Store.Summary> members(Store store, SandboxWarmPool pool) {
        String label = poolLabelValue(pool);
        String uid = pool.getMetadata().getUid();
        return store.summaries(Sandbox.class, pool.getMetadata().getNamespace(),
                s -> label.equals(s.labels().get(Names.WARM_POOL_SANDBOX_LABEL)) && s.ownerUids().contains(uid));
    }

    /** A member carries the pool's label and is owned by this pool (by uid: not by an earlier pool of that name). */
    static boolean isMember(Sandbox s, SandboxWarmPool pool) {
        String uid = pool.getMetadata().getUid();
        return poolLabelValue(pool).equals(s.getMetadata().getLabels().get(Names.WARM_POOL_SANDBOX_LABEL))
                && s.getMetadata().getOwnerReferences().stream().anyMatch(o -> uid.equals(o.getUid()));
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
        List<Store.Summary> members = new ArrayList<>(members(store, pool));
        if (template.isEmpty()) {
            log.warn("warm pool {}: SandboxTemplate {} not found; waiting for it", key, templateName);
            writeStatus(pool, members.size(), ready(members), null);
            return Result.requeueAfter(Duration.ofSeconds(5));
        }
        String hash = Hashing.blueprintHash(template.get().getSpec());
        if (pool.getSpec().getUpdateStrategy() != null && pool.getSpec().getUpdateStrategy().effectiveType() == UpdateStrategyType.RECREATE) {
            for (Store.Summary s : List.copyOf(members)) {
                if (!hash.equals(s.labels().get(Names.SANDBOX_TEMPLATE_HASH_LABEL))) {
                    // only the version summarised: a claim may have taken it since (judged again on the next pass)
                    if (store.delete(Sandbox.class, key.namespace(), s.key().name(), s.resourceVersion()).isEmpty()) continue;
                    members.remove(s);
                    log.info("warm pool {}: deleted {} (template changed, updateStrategy Recreate)", key, s.key().name());
                    events.normal(pool, EventReasons.SUCCESSFUL_DELETE, "Deleting", "Deleted sandbox: " + s.key().name()
                            + " (template changed, updateStrategy Recreate)");
                }
            }
        }
        Duration graceCheck = replaceStuck(pool, members);
        int want = pool.getSpec().effectiveReplicas();
        int have = members.size();
        Duration wait = have < want ? activity.refillWait(pool.getMetadata().getUid()) : Duration.ZERO;
        if (!wait.isZero()) {
            writeStatus(pool, have, ready(members), null);
            return Result.requeueAfter(wait);
        }
        String createFailure = null;
        for (int i = 0; i < CREATE_BATCH && have < want; i++) {
            if (!stillExists(pool)) return Result.DONE; // deleted meanwhile: what it made is the garbage collector's
            try {
                Sandbox created = store.create(newMember(pool, template.get(), hash));
                have++;
                log.info("warm pool {}: created member {}", key, created.getMetadata().getName());
                events.normal(pool, EventReasons.SUCCESSFUL_CREATE, "Creating", "Created sandbox: " + created.getMetadata().getName());
            } catch (QuotaExceededException e) {
                createFailure = e.getMessage();
                break; // retried on the next change in the namespace or the periodic resync
            }
        }
        if (members.size() > want) {
            // drop the ones least useful first: not ready, then newest; each only as summarised (a claim may have taken
            // it since: then it is no member to drop, and the next pass counts again)
            members.sort(Comparator.comparing(Store.Summary::ready).reversed().thenComparing(Store.Summary::creationTimestamp));
            for (int i = members.size() - 1; i >= 0 && members.size() > want; i--) {
                Store.Summary extra = members.get(i);
                if (store.delete(Sandbox.class, key.namespace(), extra.key().name(), extra.resourceVersion()).isEmpty()) continue;
                members.remove(i);
                have--;
                log.info("warm pool {}: deleted surplus member {}", key, extra.key().name());
                events.normal(pool, EventReasons.SUCCESSFUL_DELETE, "Deleting", "Deleted sandbox: " + extra.key().name());
            }
        }
        writeStatus(pool, have, ready(members), createFailure);
        if (createFailure == null && have < want) return Result.requeueAfter(Duration.ZERO);
        return graceCheck == null ? Result.DONE : Result.requeueAfter(graceCheck);
    }

    private static int ready(List<Store.Summary> members) {
        return (int) members.stream().filter(Store.Summary::ready).count();
    }

    /**
     * Deletes the members not Ready for longer than the pool's readiness grace period (the caller creates their
     * replacements); returns when the next not-Ready member's grace period ends, or null when none is pending.
     * Only not-Ready members are read in full (their Ready condition's transition time).
     */
    private Duration replaceStuck(SandboxWarmPool pool, List<Store.Summary> members) {
        Duration grace = Duration.ofSeconds(pool.getSpec().effectiveReadinessGracePeriodSeconds());
        java.time.Instant now = clock.instant();
        Duration next = null;
        for (Store.Summary summary : List.copyOf(members)) {
            if (summary.ready()) continue;
            Sandbox s = store.get(Sandbox.class, summary.key().namespace(), summary.key().name()).orElse(null);
            if (s == null || !isMember(s, pool)) { // gone or claimed since the summary
                members.remove(summary);
                continue;
            }
            Duration left = dev.agentbox.api.ReadinessGrace.left(s, grace, now).orElse(null);
            if (left == null) continue;
            if (left.isPositive()) {
                Duration wake = left.plusSeconds(1); // timestamps have whole seconds
                if (next == null || wake.compareTo(next) < 0) next = wake;
                continue;
            }
            if (store.delete(Sandbox.class, s.getMetadata().getNamespace(), s.getMetadata().getName(), s.getMetadata().getResourceVersion()).isEmpty()) {
                continue; // changed meanwhile (a claim took it, it turned Ready): judged again on the next reconcile
            }
            members.remove(summary);
            String why = "not Ready for " + grace.toSeconds() + " s (readinessGracePeriodSeconds)";
            log.info("warm pool {}/{}: deleted member {}: {}", pool.getMetadata().getNamespace(), pool.getMetadata().getName(), s.getMetadata().getName(), why);
            events.normal(pool, EventReasons.SUCCESSFUL_DELETE, "Deleting", "Deleted sandbox: " + s.getMetadata().getName() + " (" + why + ")");
        }
        return next;
    }

    private boolean stillExists(SandboxWarmPool pool) {
        return store.get(SandboxWarmPool.class, pool.getMetadata().getNamespace(), pool.getMetadata().getName())
                .map(p -> p.getMetadata().getUid().equals(pool.getMetadata().getUid())).orElse(false);
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

    /** Replicas, ready replicas, selector, and ReplicaFailure while {@code createFailure} (a member could not be created). */
    private void writeStatus(SandboxWarmPool pool, int replicas, int ready, String createFailure) {
        SandboxWarmPoolStatus status = new SandboxWarmPoolStatus(replicas, ready,
                Names.WARM_POOL_SANDBOX_LABEL + "=" + poolLabelValue(pool), pool.getStatus() == null ? null : pool.getStatus().getConditions());
        status.setObservedGeneration(pool.getMetadata().getGeneration());
        boolean wasFailing = Conditions.get(pool.getStatus(), Conditions.REPLICA_FAILURE).isPresent();
        if (createFailure != null) {
            Conditions.set(status, Conditions.of(Conditions.REPLICA_FAILURE, Conditions.TRUE, Conditions.REASON_FAILED_CREATE, createFailure,
                    pool.getMetadata().getGeneration()), clock.instant());
        } else if (replicas >= pool.getSpec().effectiveReplicas()) {
            Conditions.remove(status, Conditions.REPLICA_FAILURE);
        }
        if (status.getConditions() != null && status.getConditions().isEmpty()) status.setConditions(null);
        boolean failing = Conditions.get(status, Conditions.REPLICA_FAILURE).isPresent();
        if (failing && !wasFailing) {
            events.warning(pool, EventReasons.WARM_POOL_NOT_PROGRESSING, "Reconciling", "cannot create a member: " + createFailure);
        } else if (wasFailing && !failing) {
            events.normal(pool, EventReasons.WARM_POOL_PROGRESSING, "Reconciling", "Warm pool is progressing again");
        }
        if (status.equals(pool.getStatus())) return;
        if (createFailure != null) log.warn("warm pool {}/{}: cannot create a member: {}", pool.getMetadata().getNamespace(), pool.getMetadata().getName(), createFailure);
        pool.setStatus(status);
        pool.getMetadata().setResourceVersion(null);
        store.updateStatus(pool);
    }
}
