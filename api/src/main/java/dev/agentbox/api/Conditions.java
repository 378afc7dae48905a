package dev.agentbox.api;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Condition types, upstream reasons, and helpers to read and set Kubernetes-style conditions
 * (the semantics of apimachinery's {@code meta.SetStatusCondition}).
 */
public final class Conditions {
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    // condition types
    public static final String READY = "Ready";
    /** Sandbox: administratively suspended (upstream). */
    public static final String SUSPENDED = "Suspended";
    /** Sandbox: the backing pod reached a terminal phase (upstream). */
    public static final String FINISHED = "Finished";
    /** Sandbox restored from a PodSnapshot; the message names the snapshot. */
    public static final String POD_RESTORED = "PodRestored";
    /** PodSnapshotManualTrigger: the checkpoint was taken (reason Complete) or not (reason Failed). */
    public static final String TRIGGERED = "Triggered";
    /** SandboxWarmPool: a member could not be created (reason FailedCreate), as a ReplicaSet's condition. */
    public static final String REPLICA_FAILURE = "ReplicaFailure";

    // upstream reasons
    public static final String REASON_DEPENDENCIES_READY = "DependenciesReady";
    public static final String REASON_DEPENDENCIES_NOT_READY = "DependenciesNotReady";
    public static final String REASON_SANDBOX_SUSPENDED = "SandboxSuspended";
    public static final String REASON_SANDBOX_EXPIRED = "SandboxExpired";
    public static final String REASON_CLAIM_EXPIRED = "ClaimExpired";
    public static final String REASON_POD_SUCCEEDED = "PodSucceeded";
    public static final String REASON_POD_FAILED = "PodFailed";
    public static final String REASON_POD_TERMINATED = "PodTerminated";
    public static final String REASON_POD_NOT_TERMINATED = "PodNotTerminated";
    public static final String REASON_RECONCILER_ERROR = "ReconcilerError";
    // snapshot reasons
    public static final String REASON_COMPLETE = "Complete";
    public static final String REASON_FAILED = "Failed";
    /** A quota stopped agentboxd from creating what this object needs (the message names the quota). */
    public static final String REASON_QUOTA_EXCEEDED = "QuotaExceeded";
    /** ReplicaFailure: creating a member failed (the message says why). */
    public static final String REASON_FAILED_CREATE = "FailedCreate";
    /** A restore was wanted but the sandbox started cold (message says why). */
    public static final String REASON_RESTORE_FAILED = "RestoreFailed";
    /** Ready=False on a claim whose volumeClaimTemplates its template's volumeClaimTemplatesPolicy refuses (upstream). */
    public static final String REASON_VOLUME_CLAIM_TEMPLATES_ERROR = "VolumeClaimTemplatesError";

    private Conditions() {
    }

    /** A condition without lastTransitionTime ({@link #set} fills it). */
    public static Condition of(String type, String status, String reason, String message, Long observedGeneration) {
        return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withObservedGeneration(observedGeneration).build();
    }

    /** The status of a resource if it carries conditions, else null. */
    public static HasConditions statusOf(HasMetadata resource) {
        if (resource instanceof CustomResource<?, ?> cr && cr.getStatus() instanceof HasConditions hc) return hc;
        return null;
    }

    /** The condition of that type; empty when the status or the condition is absent. */
    public static Optional<Condition> get(HasConditions status, String type) {
        if (status == null || status.getConditions() == null) return Optional.empty();
        return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** The condition of that type on a resource's status. */
    public static Optional<Condition> get(HasMetadata resource, String type) {
        return get(statusOf(resource), type);
    }

    /** True when the condition of that type is present with status True. */
    public static boolean isTrue(HasConditions status, String type) {
        return get(status, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
    }

    /** True when the resource's Ready condition is True. */
    public static boolean isReady(HasMetadata resource) {
        return isTrue(statusOf(resource), READY);
    }

    /**
     * Adds or updates the condition of {@code condition.type}. lastTransitionTime changes only when the status
     * changes (to {@code now}, whole seconds); reason, message and observedGeneration are copied.
     *
     * @return whether anything changed
     */
    public static boolean set(HasConditions status, Condition condition, Instant now) {
        Objects.requireNonNull(condition.getType(), "condition.type");
        List<Condition> list = status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions());
        String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
        for (int i = 0; i < list.size(); i++) {
            Condition old = list.get(i);
            if (!condition.getType().equals(old.getType())) continue;
            boolean statusChanged = !Objects.equals(old.getStatus(), condition.getStatus());
            String transition = statusChanged || old.getLastTransitionTime() == null
                    ? (condition.getLastTransitionTime() != null ? condition.getLastTransitionTime() : time)
                    : old.getLastTransitionTime();
            Condition updated = new ConditionBuilder(condition).withLastTransitionTime(transition).build();
            if (updated.equals(old)) return false;
            list.set(i, updated);
            status.setConditions(list);
            return true;
        }
        list.add(new ConditionBuilder(condition)
                .withLastTransitionTime(condition.getLastTransitionTime() != null ? condition.getLastTransitionTime() : time)
                .build());
        status.setConditions(list);
        return true;
    }

    /** Removes the condition of that type; returns whether it was there. */
    public static boolean remove(HasConditions status, String type) {
        if (status.getConditions() == null) return false;
        List<Condition> list = new ArrayList<>(status.getConditions());
        boolean removed = list.removeIf(c -> type.equals(c.getType()));
        if (removed) status.setConditions(list);
        return removed;
    }
}
