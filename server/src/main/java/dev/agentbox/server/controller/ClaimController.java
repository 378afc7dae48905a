package dev.agentbox.server.controller;

import dev.agentbox.api.ConflictException;
import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.QuotaExceededException;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.ClaimEnvVar;
import dev.agentbox.api.extensions.v1beta1.ClaimLifecycle;
import dev.agentbox.api.extensions.v1beta1.ClaimSandboxStatus;
import dev.agentbox.api.extensions.v1beta1.ClaimShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimStatus;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.EventReasons;
import dev.agentbox.server.EventRecorder;
import dev.agentbox.server.Metrics;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds each SandboxClaim to a Sandbox: a ready warm-pool member when one is free (taken with an
 * optimistic-concurrency update, so two claims never get one sandbox), otherwise a new Sandbox named
 * after the claim (cold). The claim's Ready condition mirrors its Sandbox's; the lifecycle
 * (shutdownTime, shutdownPolicy, ttlSecondsAfterFinished) is applied here. A cold Sandbox the quotas refuse is
 * not created: the claim stays Ready=False (reason QuotaExceeded, the message names the quota) and retries.
 */
public final class ClaimController implements Controller {
    private static final Logger log = LoggerFactory.getLogger(ClaimController.class);

    private final Store store;
    private final Metrics metrics;
    private final Clock clock;
    /** When each pending claim was first seen, and whether it went warm: for the startup-latency histogram. */
    private final Map<String, Instant> createdAt = new ConcurrentHashMap<>();
    private final Map<String, Boolean> warm = new ConcurrentHashMap<>();

    private final PoolActivity pools;
    private final EventRecorder events;

    public ClaimController(Store store, Metrics metrics, PoolActivity pools, Clock clock) {
        this(store, metrics, pools, clock, EventRecorder.disabled());
    }

    /** Records upstream's Events: SandboxAdopted, SandboxProvisioned, ClaimExpired; and QuotaExceeded. */
    public ClaimController(Store store, Metrics metrics, PoolActivity pools, Clock clock, EventRecorder events) {
        this.store = store;
        this.metrics = metrics;
        this.pools = pools;
        this.clock = clock;
        this.events = events;
    }

    @Override
    public String name() {
        return "claim";
    }

    /** Called when a claim is created, with the precise time (creationTimestamp has only seconds). */
    public void observeCreated(SandboxClaim claim, Instant at) {
        createdAt.putIfAbsent(claim.getMetadata().getUid(), at);
    }

    @Override
    public Result reconcile(ObjectKey key) {
        Optional<SandboxClaim> found = store.get(SandboxClaim.class, key.namespace(), key.name());
        if (found.isEmpty()) return Result.DONE; // its sandbox is owned by it: the garbage collector deletes it
        SandboxClaim claim = found.get();
        Instant now = clock.instant();
        ClaimLifecycle lifecycle = claim.getSpec().getLifecycle();

        Instant finishedAt = finishedAt(claim);
        if (finishedAt != null && lifecycle != null && lifecycle.getTtlSecondsAfterFinished() != null) {
            Instant deleteAt = finishedAt.plusSeconds(lifecycle.getTtlSecondsAfterFinished());
            if (!now.isBefore(deleteAt)) {
                store.delete(SandboxClaim.class, key.namespace(), key.name());
                log.info("claim {} deleted: ttlSecondsAfterFinished passed", key);
                return Result.DONE;
            }
        }
        Instant shutdown = lifecycle == null ? null : SandboxController.parseTime(lifecycle.getShutdownTime());
        if (shutdown != null && !now.isBefore(shutdown)) return expire(claim, lifecycle);

        String sandboxName = claim.getStatus() == null || claim.getStatus().getSandbox() == null ? null : claim.getStatus().getSandbox().getName();
        boolean justBound = false;
        if (sandboxName == null) {
            Result bound = bind(claim);
            if (bound != null) return bound;
            sandboxName = claim.getStatus().getSandbox().getName();
            justBound = true;
        }
        Optional<Sandbox> sandbox = store.get(Sandbox.class, key.namespace(), sandboxName);
        if (sandbox.isEmpty()) {
            setReady(claim, false, Conditions.REASON_DEPENDENCIES_NOT_READY, "Sandbox " + sandboxName + " no longer exists", justBound);
        } else {
            Condition ready = Conditions.get(Conditions.statusOf(sandbox.get()), Conditions.READY).orElse(null);
            boolean isReady = ready != null && Conditions.TRUE.equals(ready.getStatus());
            setReady(claim, isReady,
                    ready == null ? Conditions.REASON_DEPENDENCIES_NOT_READY : ready.getReason(),
                    "Sandbox " + sandboxName + ": " + (ready == null ? "starting" : ready.getMessage()), justBound);
            if (isReady) {
                Instant started = createdAt.remove(claim.getMetadata().getUid());
                Boolean wasWarm = warm.remove(claim.getMetadata().getUid());
                if (started != null && wasWarm != null) metrics.claimStarted(wasWarm, Duration.between(started, clock.instant()));
            }
        }
        Result next = Result.DONE;
        if (shutdown != null) next = Result.requeueAfter(Duration.between(now, shutdown));
        if (!sandboxName.equals(annotation(claim, Names.ASSIGNED_SANDBOX_NAME_ANNOTATION))) {
            // the binding is already in the status (committed); the annotation follows on the next pass, so a claim bound
            // in its own request (ClaimRoundTrip) answers before this write. Level-based: a restart's resync adds it too.
            if (justBound) return Result.requeueAfter(Duration.ZERO);
            annotateBinding(claim, sandboxName);
        }
        Instant finished = finishedAt(claim);
        if (finished != null && lifecycle != null && lifecycle.getTtlSecondsAfterFinished() != null) {
            Duration untilTtl = Duration.between(now, finished.plusSeconds(lifecycle.getTtlSecondsAfterFinished()));
            if (next == Result.DONE || untilTtl.compareTo(((Result.RequeueAfter) next).delay()) < 0) next = Result.requeueAfter(untilTtl);
        }
        return next;
    }

    /** Binds the claim (warm if possible, else cold); returns a result only when it cannot bind yet. */
    private Result bind(SandboxClaim claim) {
        String ns = claim.getMetadata().getNamespace();
        String poolName = claim.getSpec().getWarmPoolRef().getName();
        Optional<SandboxWarmPool> pool = store.get(SandboxWarmPool.class, ns, poolName);
        if (pool.isEmpty()) {
            setReady(claim, false, Conditions.REASON_DEPENDENCIES_NOT_READY, "SandboxWarmPool " + poolName + " not found in namespace " + ns + "; create it");
            return Result.requeueAfter(Duration.ofSeconds(5));
        }
        Optional<Sandbox> alreadyOwned = store.list(Sandbox.class, ns, l -> claim.getMetadata().getUid().equals(l.get(Names.CLAIM_UID_LABEL)))
                .stream().filter(s -> ownedBy(s, claim)).findFirst();
        if (alreadyOwned.isPresent()) { // bound before a crash, status not yet written
            recordBinding(claim, alreadyOwned.get().getMetadata().getName(), Names.LAUNCH_TYPE_WARM.equals(alreadyOwned.get().getMetadata().getLabels().get(Names.LAUNCH_TYPE_LABEL)));
            return null;
        }
        // a claim pinned to a PodSnapshot (podsnapshot.gke.io/ps-name) needs a new sandbox restored from it, not a warm member
        boolean wantsColdStart = (claim.getSpec().getEnv() != null && !claim.getSpec().getEnv().isEmpty()) || pinnedSnapshot(claim) != null;
        if (!wantsColdStart) {
            // the ready members from the store's in-memory summaries: a bind reads and parses only the member it takes,
            // however many sandboxes the namespace has
            String poolUid = pool.get().getMetadata().getUid();
            List<Store.Summary> candidates = new ArrayList<>(WarmPoolController.members(store, pool.get()).stream().filter(Store.Summary::ready).toList());
            candidates.sort(Comparator.comparing(Store.Summary::creationTimestamp));
            // concurrent claims start at different members (by their uid), so that they do not all race for the oldest
            // one and retry past each other's conflicts; each still tries every member before going cold
            java.util.Collections.rotate(candidates, -Math.floorMod(claim.getMetadata().getUid().hashCode(), Math.max(1, candidates.size())));
            for (Store.Summary candidate : candidates) {
                Sandbox member = store.get(Sandbox.class, ns, candidate.key().name()).orElse(null);
                // read again: it may have been taken or changed since the summary; adopt's update checks its resourceVersion
                if (member == null || !Conditions.isReady(member) || !WarmPoolController.isMember(member, pool.get())) continue;
                if (adopt(claim, member, pool.get())) {
                    pools.handedOver(poolUid);
                    recordBinding(claim, member.getMetadata().getName(), true);
                    events.normal(claim, EventReasons.SANDBOX_ADOPTED, "Adoption", "Adopted warm pool Sandbox \"" + member.getMetadata().getName() + "\"");
                    return null;
                }
            }
        }
        String templateName = pool.get().getSpec().getSandboxTemplateRef().getName();
        Optional<SandboxTemplate> template = store.get(SandboxTemplate.class, ns, templateName);
        if (template.isEmpty()) {
            setReady(claim, false, Conditions.REASON_DEPENDENCIES_NOT_READY, "SandboxTemplate " + templateName + " of pool " + poolName + " not found; create it");
            return Result.requeueAfter(Duration.ofSeconds(5));
        }
        Sandbox cold = coldSandbox(claim, template.get());
        Optional<Sandbox> existing = store.get(Sandbox.class, ns, cold.getMetadata().getName());
        if (existing.isPresent() && !ownedBy(existing.get(), claim)) {
            setReady(claim, false, Conditions.REASON_RECONCILER_ERROR, "a Sandbox named " + cold.getMetadata().getName()
                    + " already exists and is not this claim's; delete it or rename the claim");
            return Result.requeueAfter(Duration.ofSeconds(10));
        }
        if (existing.isEmpty()) {
            try {
                store.create(cold);
            } catch (QuotaExceededException e) {
                events.warning(claim, EventReasons.QUOTA_EXCEEDED, "Provisioning", e.getMessage());
                setReady(claim, false, Conditions.REASON_QUOTA_EXCEEDED, e.getMessage() + " (the claim retries)");
                return Result.requeueAfter(Duration.ofSeconds(10));
            }
            log.info("claim {}/{}: cold-created Sandbox {}", ns, claim.getMetadata().getName(), cold.getMetadata().getName());
            events.normal(claim, EventReasons.SANDBOX_PROVISIONED, "Provisioning", "Created Sandbox \"" + cold.getMetadata().getName() + "\"");
        }
        recordBinding(claim, cold.getMetadata().getName(), false);
        return null;
    }

    /** Takes a pool member for the claim; false if another claim got it first. */
    private boolean adopt(SandboxClaim claim, Sandbox member, SandboxWarmPool pool) {
        Map<String, String> labels = new HashMap<>(member.getMetadata().getLabels());
        labels.remove(Names.WARM_POOL_SANDBOX_LABEL);
        labels.put(Names.CLAIM_UID_LABEL, claim.getMetadata().getUid());
        labels.put(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_WARM);
        PodMetadata extra = claim.getSpec().getAdditionalPodMetadata();
        if (extra != null && extra.getLabels() != null) labels.putAll(extra.getLabels());
        member.getMetadata().setLabels(labels);
        if (extra != null && extra.getAnnotations() != null) {
            Map<String, String> annotations = new HashMap<>(member.getMetadata().getAnnotations());
            annotations.putAll(extra.getAnnotations());
            member.getMetadata().setAnnotations(annotations);
        }
        List<OwnerReference> owners = new ArrayList<>(member.getMetadata().getOwnerReferences());
        owners.removeIf(o -> pool.getMetadata().getUid().equals(o.getUid()));
        owners.add(ownerRef(claim));
        member.getMetadata().setOwnerReferences(owners);
        try {
            store.update(member); // carries the resourceVersion we read: fails if someone else changed it
            log.info("claim {}/{}: adopted warm Sandbox {}", claim.getMetadata().getNamespace(), claim.getMetadata().getName(), member.getMetadata().getName());
            return true;
        } catch (ConflictException e) {
            return false;
        }
    }

    /** The PodSnapshot a claim pins (annotation podsnapshot.gke.io/ps-name on the claim or its additionalPodMetadata), or null. */
    private static String pinnedSnapshot(SandboxClaim claim) {
        Map<String, String> a = claim.getMetadata().getAnnotations();
        if (a != null && a.get(Names.PS_NAME_ANNOTATION) != null) return a.get(Names.PS_NAME_ANNOTATION);
        PodMetadata extra = claim.getSpec().getAdditionalPodMetadata();
        return extra == null || extra.getAnnotations() == null ? null : extra.getAnnotations().get(Names.PS_NAME_ANNOTATION);
    }

    private Sandbox coldSandbox(SandboxClaim claim, SandboxTemplate template) {
        Map<String, String> labels = new HashMap<>();
        labels.put(Names.CLAIM_UID_LABEL, claim.getMetadata().getUid());
        labels.put(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_COLD);
        labels.put(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash(template.getMetadata().getName()));
        Map<String, String> annotations = new HashMap<>();
        annotations.put(Names.SANDBOX_TEMPLATE_REF_ANNOTATION, template.getMetadata().getName());
        PodMetadata extra = claim.getSpec().getAdditionalPodMetadata();
        if (extra != null && extra.getLabels() != null) labels.putAll(extra.getLabels());
        if (extra != null && extra.getAnnotations() != null) annotations.putAll(extra.getAnnotations());
        if (pinnedSnapshot(claim) != null) annotations.put(Names.PS_NAME_ANNOTATION, pinnedSnapshot(claim));
        Sandbox s = new Sandbox();
        s.setMetadata(new ObjectMetaBuilder()
                .withName(claim.getMetadata().getName())
                .withNamespace(claim.getMetadata().getNamespace())
                .withLabels(labels).withAnnotations(annotations)
                .withOwnerReferences(ownerRef(claim))
                .build());
        SandboxSpec spec = new SandboxSpec();
        spec.copyBlueprintFrom(template.getSpec());
        s.setSpec(spec);
        injectEnv(s, claim.getSpec().getEnv());
        return s;
    }

    /** Adds the claim's env to the named container, or to every container when none is named. */
    private static void injectEnv(Sandbox s, List<ClaimEnvVar> env) {
        if (env == null || env.isEmpty() || s.getSpec().getPodTemplate() == null) return;
        for (Container c : s.getSpec().getPodTemplate().getSpec().getContainers()) {
            List<EnvVar> vars = new ArrayList<>(c.getEnv() == null ? List.of() : c.getEnv());
            for (ClaimEnvVar e : env) {
                if (e.getContainerName() != null && !e.getContainerName().equals(c.getName())) continue;
                vars.removeIf(v -> v.getName().equals(e.getName()));
                vars.add(new EnvVar(e.getName(), e.getValue(), null));
            }
            c.setEnv(vars);
        }
    }

    /**
     * Notes the binding in memory; the reconcile writes it together with the Ready condition in one
     * status update, so a warm claim turns Ready in a single store write.
     */
    private void recordBinding(SandboxClaim claim, String sandboxName, boolean warmPath) {
        warm.put(claim.getMetadata().getUid(), warmPath);
        SandboxClaimStatus status = claim.getStatus() == null ? new SandboxClaimStatus() : claim.getStatus();
        status.setSandbox(new ClaimSandboxStatus(sandboxName, null));
        claim.setStatus(status);
    }

    /** The assigned-sandbox annotation, as upstream; written after the status so it is off the claim's critical path. */
    private void annotateBinding(SandboxClaim claim, String sandboxName) {
        store.get(SandboxClaim.class, claim.getMetadata().getNamespace(), claim.getMetadata().getName()).ifPresent(fresh -> {
            Map<String, String> merged = new HashMap<>(fresh.getMetadata().getAnnotations() == null ? Map.of() : fresh.getMetadata().getAnnotations());
            merged.put(Names.ASSIGNED_SANDBOX_NAME_ANNOTATION, sandboxName);
            fresh.getMetadata().setAnnotations(merged);
            fresh.getMetadata().setResourceVersion(null);
            store.update(fresh);
        });
    }

    private static String annotation(SandboxClaim claim, String key) {
        Map<String, String> annotations = claim.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    private Result expire(SandboxClaim claim, ClaimLifecycle lifecycle) {
        String ns = claim.getMetadata().getNamespace();
        ClaimShutdownPolicy policy = lifecycle.effectiveShutdownPolicy();
        if (policy == ClaimShutdownPolicy.DELETE || policy == ClaimShutdownPolicy.DELETE_FOREGROUND) {
            events.normal(claim, EventReasons.CLAIM_EXPIRED, "Deleting", "Deleting Claim (ShutdownPolicy=" + policy + ")");
            store.delete(SandboxClaim.class, ns, claim.getMetadata().getName());
            log.info("claim {}/{} deleted: shutdownTime passed (shutdownPolicy {})", ns, claim.getMetadata().getName(), policy);
            return Result.DONE;
        }
        // Retain: keep the claim for inspection, delete its sandbox
        if (claim.getStatus() != null && claim.getStatus().getSandbox() != null) {
            store.delete(Sandbox.class, ns, claim.getStatus().getSandbox().getName());
        }
        if (setReady(claim, false, Conditions.REASON_CLAIM_EXPIRED, "shutdownTime " + lifecycle.getShutdownTime() + " passed; the sandbox was deleted (shutdownPolicy Retain)")) {
            events.normal(claim, EventReasons.CLAIM_EXPIRED, "Claim Expired", "Claim expired");
        }
        Instant finished = finishedAt(claim);
        if (finished != null && lifecycle.getTtlSecondsAfterFinished() != null) {
            return Result.requeueAfter(Duration.between(clock.instant(), finished.plusSeconds(lifecycle.getTtlSecondsAfterFinished())));
        }
        return Result.DONE;
    }

    /** A claim is finished when it expired or its sandbox ended (succeeded or failed). */
    static Instant finishedAt(SandboxClaim claim) {
        Optional<Condition> ready = Conditions.get(claim.getStatus(), Conditions.READY);
        if (ready.isEmpty() || Conditions.TRUE.equals(ready.get().getStatus())) return null;
        String reason = ready.get().getReason();
        boolean finished = Conditions.REASON_CLAIM_EXPIRED.equals(reason) || Conditions.REASON_SANDBOX_EXPIRED.equals(reason)
                || Conditions.REASON_POD_SUCCEEDED.equals(reason) || Conditions.REASON_POD_FAILED.equals(reason);
        return finished ? Instant.parse(ready.get().getLastTransitionTime()) : null;
    }

    private boolean setReady(SandboxClaim claim, boolean ready, String reason, String message) {
        return setReady(claim, ready, reason, message, false);
    }

    /** Writes the Ready condition when it changed, or always when {@code force} (a new binding is in the status); true if it changed. */
    private boolean setReady(SandboxClaim claim, boolean ready, String reason, String message, boolean force) {
        SandboxClaimStatus status = claim.getStatus() == null ? new SandboxClaimStatus() : claim.getStatus();
        Condition c = Conditions.of(Conditions.READY, ready ? Conditions.TRUE : Conditions.FALSE, reason, message, claim.getMetadata().getGeneration());
        boolean changed = Conditions.set(status, c, clock.instant());
        if (!changed && !force) return false;
        claim.setStatus(status);
        claim.getMetadata().setResourceVersion(null);
        store.updateStatus(claim);
        log.info("claim {}/{}: Ready={} ({})", claim.getMetadata().getNamespace(), claim.getMetadata().getName(), ready, reason);
        return changed;
    }

    private static boolean ownedBy(Sandbox s, SandboxClaim claim) {
        return s.getMetadata().getOwnerReferences().stream().anyMatch(o -> claim.getMetadata().getUid().equals(o.getUid()));
    }

    private static OwnerReference ownerRef(SandboxClaim claim) {
        return new OwnerReferenceBuilder().withApiVersion(claim.getApiVersion()).withKind(claim.getKind())
                .withName(claim.getMetadata().getName()).withUid(claim.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }
}
