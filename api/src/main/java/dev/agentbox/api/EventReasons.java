package dev.agentbox.api;

/**
 * The reasons of the Events agentboxd records (agentboxd's EventRecorder, the operator's ClusterEvents). Where upstream has a reason for the same thing
 * it is upstream's: kubernetes-sigs/agent-sandbox's controllers' Events (claim: SandboxAdopted, SandboxProvisioned,
 * ClaimExpired; warm pool: WarmPoolNotProgressing, WarmPoolProgressing), its Ready condition reasons
 * (SandboxSuspended, SandboxExpired), Kubernetes' ReplicaSet controller's (SuccessfulCreate, SuccessfulDelete) for a
 * pool's members, and the condition reasons agentbox already reports (Restored, Resumed, RestoreFailed, QuotaExceeded).
 * The rest are agentbox's own, named in the same style.
 */
public final class EventReasons {
    private EventReasons() {
    }

    // ---- Sandbox
    /** Normal: a gVisor sandbox was started for the Sandbox (agentbox; the name other sandbox controllers use for the same). */
    public static final String SANDBOX_POD_CREATED = "SandboxPodCreated";
    /** Warning: the gVisor sandbox could not be started (agentbox). */
    public static final String SANDBOX_POD_CREATE_FAILED = "SandboxPodCreateFailed";
    /** Normal: Ready became True (agentbox). */
    public static final String SANDBOX_READY = "SandboxReady";
    /** Normal: operatingMode Suspended took effect (upstream's Ready reason). */
    public static final String SANDBOX_SUSPENDED = "SandboxSuspended";
    /** Normal: shutdownTime passed (upstream's Ready reason). */
    public static final String SANDBOX_EXPIRED = "SandboxExpired";
    /** Normal: the main process exited with 0 and is not restarted (agentbox; Ready reason PodSucceeded). */
    public static final String SANDBOX_SUCCEEDED = "SandboxSucceeded";
    /** Warning: the sandbox or its main process failed and is not restarted (agentbox; Ready reason PodFailed). */
    public static final String SANDBOX_FAILED = "SandboxFailed";
    /** Warning: the sandbox is started again after a failure or its main process's exit, per restartPolicy (agentbox). */
    public static final String SANDBOX_RESTARTED = "SandboxRestarted";
    /** Normal: a restarted agentboxd re-attached to the still running sandbox (agentbox). */
    public static final String SANDBOX_REATTACHED = "SandboxReattached";
    /** Warning: a restarted agentboxd found the sandbox gone; it is started again unless restartPolicy is Never (agentbox). */
    public static final String SANDBOX_LOST = "SandboxLost";
    /** Normal: started from a PodSnapshot (pinned or matching); the PodRestored condition's reason. */
    public static final String RESTORED = "Restored";
    /** Normal: resumed from its own suspend snapshot; the PodRestored condition's reason. */
    public static final String RESUMED = "Resumed";
    /** Warning: a restore or resume failed, or the pinned snapshot cannot be used; started cold (the PodRestored condition's reason). */
    public static final String RESTORE_FAILED = "RestoreFailed";

    // ---- SandboxClaim (upstream's, with upstream's messages and actions)
    /** Normal: the claim took a warm pool member (upstream, action Adoption). */
    public static final String SANDBOX_ADOPTED = "SandboxAdopted";
    /** Normal: the claim created its Sandbox (upstream, action Provisioning). */
    public static final String SANDBOX_PROVISIONED = "SandboxProvisioned";
    /** Normal: the claim's shutdownTime passed (upstream). */
    public static final String CLAIM_EXPIRED = "ClaimExpired";
    /** Warning: a quota refused the claim's Sandbox or a snapshot (agentbox; the Ready/Triggered reason). */
    public static final String QUOTA_EXCEEDED = "QuotaExceeded";

    // ---- SandboxWarmPool
    /** Normal: the pool created a member (Kubernetes ReplicaSet's reason). */
    public static final String SUCCESSFUL_CREATE = "SuccessfulCreate";
    /** Normal: the pool deleted a member: surplus, template changed (Recreate), or not Ready past the grace period (ReplicaSet's reason). */
    public static final String SUCCESSFUL_DELETE = "SuccessfulDelete";
    /** Warning: the pool cannot make progress towards spec.replicas (upstream; here: a member the quotas refuse). */
    public static final String WARM_POOL_NOT_PROGRESSING = "WarmPoolNotProgressing";
    /** Normal: it can again (upstream). */
    public static final String WARM_POOL_PROGRESSING = "WarmPoolProgressing";

    // ---- Image pulls at a sandbox start (the kubelet's reasons)
    /** Normal: pulling the image a sandbox needs (the kubelet's). */
    public static final String PULLING = "Pulling";
    /** Normal: the image was pulled (the kubelet's). */
    public static final String PULLED = "Pulled";
    /** Warning: the pull failed; the message is the registry's error (the kubelet's). */
    public static final String FAILED = "Failed";
    /** Normal: the pull is backing off before it is tried again (the kubelet's). */
    public static final String BACK_OFF = "BackOff";

    // ---- Snapshots
    /** Normal: a PodSnapshot is Ready (on the PodSnapshot; on a trigger, the snapshot it created) (agentbox). */
    public static final String SNAPSHOT_CREATED = "SnapshotCreated";
    /** Warning: a checkpoint failed, or was cut off by a stopping agentboxd (agentbox). */
    public static final String SNAPSHOT_FAILED = "SnapshotFailed";
}
