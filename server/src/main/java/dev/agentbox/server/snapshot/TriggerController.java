package dev.agentbox.server.snapshot;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.QuotaExceededException;
import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTriggerStatus;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PostCheckpoint;
import dev.agentbox.api.snapshot.v1.SnapshotRef;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.api.EventReasons;
import dev.agentbox.server.EventRecorder;
import dev.agentbox.server.controller.Controller;
import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.server.controller.Result;
import dev.agentbox.server.sandbox.LiveSandboxes;
import dev.agentbox.server.store.Store;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PodSnapshotManualTrigger: checkpoints the target sandbox once (policy: the first PodSnapshotPolicy of the
 * namespace selecting it), creates the PodSnapshot, then resumes or stops the source per postCheckpoint.
 * The trigger ends with condition Triggered, reason Complete (status.snapshotCreated names the snapshot) or
 * Failed with a message (a snapshot over a quota: the quota's {@code exceeded quota: ...}). A trigger cut off by a
 * crash is reported Failed on the next reconcile.
 */
public final class TriggerController implements Controller {
    private static final Logger log = LoggerFactory.getLogger(TriggerController.class);

    private final Store store;
    private final LiveSandboxes live;
    private final SnapshotService snapshots;
    private final Clock clock;
    private final EventRecorder events;

    public TriggerController(Store store, LiveSandboxes live, SnapshotService snapshots, Clock clock) {
        this(store, live, snapshots, clock, EventRecorder.disabled());
    }

    /** Records SnapshotCreated, SnapshotFailed or QuotaExceeded on the trigger when it finishes. */
    public TriggerController(Store store, LiveSandboxes live, SnapshotService snapshots, Clock clock, EventRecorder events) {
        this.store = store;
        this.live = live;
        this.snapshots = snapshots;
        this.clock = clock;
        this.events = events;
    }

    @Override
    public String name() {
        return "snapshot-trigger";
    }

    @Override
    public Result reconcile(ObjectKey key) {
        PodSnapshotManualTrigger trigger = store.get(PodSnapshotManualTrigger.class, key.namespace(), key.name()).orElse(null);
        if (trigger == null) return Result.DONE;
        if (Conditions.get(trigger, Conditions.TRIGGERED).isPresent()) return Result.DONE;
        String uid = trigger.getMetadata().getUid();
        List<PodSnapshot> earlier = store.list(PodSnapshot.class, key.namespace(), l -> uid.equals(l.get(SnapshotService.TRIGGER_UID_LABEL)));
        if (!earlier.isEmpty()) { // an earlier agentboxd got this far, then stopped
            PodSnapshot ps = earlier.get(0);
            if (Conditions.isReady(ps)) {
                finish(trigger, ps.getMetadata().getName(), null);
            } else {
                store.delete(PodSnapshot.class, key.namespace(), ps.getMetadata().getName());
                finish(trigger, null, "agentboxd stopped during the checkpoint; no snapshot was kept. Create a new trigger to try again");
            }
            return Result.DONE;
        }
        String target = trigger.getSpec() == null ? null : trigger.getSpec().getTargetPod();
        Sandbox sandbox = target == null ? null : store.get(Sandbox.class, key.namespace(), target).orElse(null);
        if (sandbox == null) {
            finish(trigger, null, "target sandbox " + key.namespace() + "/" + target + " not found");
            return Result.DONE;
        }
        Optional<RunningSandbox> running = live.get(ObjectKey.of(sandbox)).filter(RunningSandbox::isAlive);
        if (running.isEmpty()) {
            finish(trigger, null, "sandbox " + target + " is not running; only a running sandbox can be checkpointed");
            return Result.DONE;
        }
        PodSnapshotPolicy policy = snapshots.policiesFor(sandbox).stream().findFirst().orElse(null);
        if (policy == null) {
            finish(trigger, null, "no PodSnapshotPolicy in namespace " + key.namespace() + " selects sandbox " + target
                    + "; create one whose spec.selector matches its labels");
            return Result.DONE;
        }
        boolean resume = policy.getSpec().getTriggerConfig() == null
                || policy.getSpec().getTriggerConfig().effectivePostCheckpoint() == PostCheckpoint.RESUME;
        if (!resume) live.stopping(ObjectKey.of(sandbox));
        try {
            PodSnapshot ps = snapshots.checkpoint(sandbox, running.get(), policy, resume, Map.of(SnapshotService.TRIGGER_UID_LABEL, uid));
            if (!resume) stopSource(sandbox);
            finish(trigger, ps.getMetadata().getName(), null);
            snapshots.enforceRetention();
        } catch (QuotaExceededException e) {
            events.warning(trigger, EventReasons.QUOTA_EXCEEDED, "Checkpointing", e.getMessage());
            finish(trigger, null, e.getMessage(), false);
        } catch (RuntimeFailure | RuntimeException e) {
            log.warn("trigger {}: checkpoint of {} failed: {}", key, target, e.getMessage());
            finish(trigger, null, "checkpoint of sandbox " + target + " failed: " + e.getMessage());
        } finally {
            if (!resume) live.stopped(ObjectKey.of(sandbox));
        }
        return Result.DONE;
    }

    /** postCheckpoint stop: the sandbox was stopped by the checkpoint; it stays stopped (Suspended) until set Running. */
    private void stopSource(Sandbox sandbox) {
        live.remove(ObjectKey.of(sandbox));
        Sandbox cur = store.get(Sandbox.class, sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName()).orElse(null);
        if (cur == null) return;
        cur.getSpec().setOperatingMode(OperatingMode.SUSPENDED);
        cur.getMetadata().setResourceVersion(null);
        store.update(cur);
    }

    private void finish(PodSnapshotManualTrigger trigger, String snapshot, String failure) {
        finish(trigger, snapshot, failure, true);
    }

    private void finish(PodSnapshotManualTrigger trigger, String snapshot, String failure, boolean event) {
        PodSnapshotManualTriggerStatus status = trigger.getStatus() == null ? new PodSnapshotManualTriggerStatus() : trigger.getStatus();
        if (snapshot != null) status.setSnapshotCreated(new SnapshotRef(snapshot));
        Conditions.set(status, Conditions.of(Conditions.TRIGGERED, snapshot != null ? Conditions.TRUE : Conditions.FALSE,
                snapshot != null ? Conditions.REASON_COMPLETE : Conditions.REASON_FAILED,
                snapshot != null ? "PodSnapshot " + snapshot + " is Ready" : failure, trigger.getMetadata().getGeneration()), clock.instant());
        status.setObservedGeneration(trigger.getMetadata().getGeneration());
        trigger.setStatus(status);
        trigger.getMetadata().setResourceVersion(null);
        PodSnapshotManualTrigger written = store.updateStatus(trigger);
        if (event && snapshot != null) {
            events.normal(written, EventReasons.SNAPSHOT_CREATED, "Checkpointing", "Created PodSnapshot " + snapshot + " of sandbox " + trigger.getSpec().getTargetPod());
        } else if (event) {
            events.warning(written, EventReasons.SNAPSHOT_FAILED, "Checkpointing", failure);
        }
        log.info("podsnapshotmanualtrigger {}/{}: Triggered {} ({})", trigger.getMetadata().getNamespace(), trigger.getMetadata().getName(),
                snapshot != null ? "Complete" : "Failed", snapshot != null ? snapshot : failure);
    }
}
