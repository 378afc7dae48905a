package dev.agentbox.server.controller;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.api.agents.v1beta1.ShutdownPolicy;
import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.ImagePuller;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.InitContainerFailure;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.SandboxConfig;
import dev.agentbox.runtime.SandboxRuntime;
import dev.agentbox.api.EventReasons;
import dev.agentbox.server.EventRecorder;
import dev.agentbox.server.sandbox.ConfigMissingException;
import dev.agentbox.server.sandbox.EgressPolicies;
import dev.agentbox.server.sandbox.LiveSandboxes;
import dev.agentbox.server.sandbox.ProbeRunner;
import dev.agentbox.server.sandbox.Probes;
import dev.agentbox.server.sandbox.SandboxConfigs;
import dev.agentbox.server.sandbox.StartPulls;
import dev.agentbox.server.snapshot.SnapshotService;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one gVisor sandbox running for each Sandbox object that should run, and none for the others.
 * Ready mirrors the sandbox: DependenciesNotReady while starting or probing, DependenciesReady when it
 * answers (and its readiness probe passes), SandboxSuspended, SandboxExpired or PodFailed otherwise. A start whose image
 * is missing (or whose imagePullPolicy is Always) first waits for a background pull ({@link StartPulls}), saying so as
 * the kubelet does: ContainerCreating, ErrImagePull, ImagePullBackOff.
 */
public final class SandboxController implements Controller {
    private static final Logger log = LoggerFactory.getLogger(SandboxController.class);
    private final ProbeRunner probes;

    private final Store store;
    private final SandboxRuntime runtime;
    private final LiveSandboxes live;
    private final SandboxConfigs configs;
    private final Clock clock;

    private final SnapshotService snapshots;
    private final EventRecorder events;
    private final StartPulls pulls;
    private final dev.agentbox.server.sandbox.PoolStartSlots startSlots;

    public SandboxController(Store store, SandboxRuntime runtime, LiveSandboxes live, SandboxConfigs configs, Clock clock) {
        this(store, runtime, live, configs, clock, null);
    }

    /** With snapshots: restores on start (pinned or matching PodSnapshot), suspends by checkpoint, resumes by restore. */
    public SandboxController(Store store, SandboxRuntime runtime, LiveSandboxes live, SandboxConfigs configs, Clock clock, SnapshotService snapshots) {
        this(store, runtime, live, configs, clock, snapshots, new ProbeRunner(k -> {}), EventRecorder.disabled());
    }

    /**
     * With probes run by {@code probes} (its listener should reconcile the sandbox again); records an Event at each
     * state change (see {@link EventReasons}).
     */
    public SandboxController(Store store, SandboxRuntime runtime, LiveSandboxes live, SandboxConfigs configs, Clock clock, SnapshotService snapshots,
                             ProbeRunner probes, EventRecorder events) {
        this(store, runtime, live, configs, clock, snapshots, probes, events, null);
    }

    /**
     * With {@code pulls} (null: none): a start whose image is missing, or whose container says imagePullPolicy Always,
     * pulls it in the background first, showing it in Ready (ContainerCreating, ErrImagePull, ImagePullBackOff).
     */
    public SandboxController(Store store, SandboxRuntime runtime, LiveSandboxes live, SandboxConfigs configs, Clock clock, SnapshotService snapshots,
                             ProbeRunner probes, EventRecorder events, StartPulls pulls) {
        this(store, runtime, live, configs, clock, snapshots, probes, events, pulls, null);
    }

    /** With {@code startSlots} (null: no bound): unclaimed warm-pool members start only a few at a time. */
    public SandboxController(Store store, SandboxRuntime runtime, LiveSandboxes live, SandboxConfigs configs, Clock clock, SnapshotService snapshots,
                             ProbeRunner probes, EventRecorder events, StartPulls pulls, dev.agentbox.server.sandbox.PoolStartSlots startSlots) {
        this.startSlots = startSlots;
        this.pulls = pulls;
        this.probes = probes;
        this.store = store;
        this.runtime = runtime;
        this.live = live;
        this.configs = configs;
        this.clock = clock;
        this.snapshots = snapshots;
        this.events = events;
    }

    @Override
    public String name() {
        return "sandbox";
    }

    /** Condition type (agentbox extension): the sandbox was started again, and what it had was lost. */
    public static final String RESTARTED = dev.agentbox.api.Names.AGENTBOX_PREFIX + "Restarted";
    /** Annotation (agentbox extension): how many times the sandbox was started again, as a pod's restartCount. */
    public static final String RESTART_COUNT_ANNOTATION = dev.agentbox.api.Names.AGENTBOX_PREFIX + "restart-count";
    static final String REASON_SANDBOX_LOST = "SandboxLost";
    static final String REASON_SANDBOX_FAILED = "SandboxFailed";
    static final String REASON_MAIN_EXITED = "MainProcessExited";
    static final String REASON_PROBE_FAILED = "ProbeFailed";
    static final String REASON_INIT_FAILED = "InitContainerFailed";
    /** Ready reasons while a start waits for its images: the kubelet's container waiting reasons. */
    public static final String REASON_CONTAINER_CREATING = "ContainerCreating";
    public static final String REASON_ERR_IMAGE_PULL = "ErrImagePull";
    public static final String REASON_IMAGE_PULL_BACK_OFF = "ImagePullBackOff";
    public static final String REASON_ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull";

    /** Init containers that failed: when to try again (CrashLoopBackOff), and how many times in a row they failed. */
    private final java.util.Map<ObjectKey, Instant> initBackoff = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<ObjectKey, Integer> initFailures = new java.util.concurrent.ConcurrentHashMap<>();

    /** The Ready message of a sandbox that was Ready when agentboxd stopped, until it is re-attached. */
    public static final String REATTACHING = "agentboxd restarted; re-attaching to the running sandbox";

    private static String readyReason(Sandbox sandbox) {
        return Conditions.get(sandbox.getStatus(), Conditions.READY).map(Condition::getReason).orElse(null);
    }

    /** Ready, or Ready when the last agentboxd stopped: its container was running. */
    private static boolean wasRunning(Sandbox sandbox) {
        Condition ready = Conditions.get(sandbox.getStatus(), Conditions.READY).orElse(null);
        return ready != null && (Conditions.TRUE.equals(ready.getStatus()) || REATTACHING.equals(ready.getMessage()));
    }

    /** The runsc container id of a Sandbox object: one per object incarnation (uid). */
    public static String containerId(Sandbox sandbox) {
        return "ab-" + sandbox.getMetadata().getUid();
    }

    @Override
    public Result reconcile(ObjectKey key) {
        Optional<Sandbox> found = store.get(Sandbox.class, key.namespace(), key.name());
        if (found.isEmpty()) {
            String stoppedId = live.get(key).map(RunningSandbox::id).orElse(null);
            stop(key, "object deleted");
            initBackoff.remove(key);
            initFailures.remove(key);
            if (pulls != null) pulls.forget(key);
            if (startSlots != null) startSlots.forget(key);
            // the main process's output goes with its Sandbox, as a pod's log does (others' logs: agentboxd's sweep)
            if (stoppedId != null) runtime.deleteLogs(stoppedId);
            configs.deleteVolumes(key.namespace(), key.name()); // its claims' directories go with their owner, as a claim with its pod
            return Result.DONE;
        }
        Sandbox sandbox = found.get();
        Instant now = clock.instant();
        Instant shutdown = parseTime(sandbox.getSpec().getShutdownTime());
        if (shutdown != null && !now.isBefore(shutdown)) {
            stop(key, "shutdownTime passed");
            if (sandbox.getSpec().effectiveShutdownPolicy() == ShutdownPolicy.DELETE) {
                store.delete(Sandbox.class, key.namespace(), key.name());
                log.info("sandbox {} deleted: shutdownTime {} passed (shutdownPolicy Delete)", key, shutdown);
                events.normal(sandbox, EventReasons.SANDBOX_EXPIRED, "Deleting", "shutdownTime " + shutdown + " passed; the Sandbox was deleted (shutdownPolicy Delete)");
                return Result.DONE;
            }
            setReady(sandbox, false, Conditions.REASON_SANDBOX_EXPIRED, "shutdownTime " + shutdown + " passed; the sandbox was stopped (shutdownPolicy Retain)");
            return Result.DONE;
        }
        Result later = shutdown == null ? Result.DONE : Result.requeueAfter(Duration.between(now, shutdown));
        if (sandbox.getSpec().effectiveOperatingMode() == OperatingMode.SUSPENDED) {
            suspend(key, sandbox);
            setReady(sandbox, false, Conditions.REASON_SANDBOX_SUSPENDED, "operatingMode is Suspended; set it to Running to start the sandbox again");
            return later;
        }

        String id = containerId(sandbox);
        if (live.isStopping(key)) return Result.requeueAfter(Duration.ofMillis(500)); // a checkpoint is stopping it
        RunningSandbox running = live.get(key).orElse(null);
        if (running != null && !running.id().equals(id)) {
            stop(key, "object was recreated"); // same name, new incarnation
            running = null;
        }
        String restartPolicy = restartPolicy(sandbox);
        if (running != null && !running.isAlive()) {
            String why = running.failure();
            stop(key, "sandbox failed: " + why);
            if ("Never".equals(restartPolicy)) {
                setReady(sandbox, false, Conditions.REASON_POD_FAILED, "the sandbox failed (" + why + "); restartPolicy is Never. Its main process's output: `agentbox logs "
                        + key.name() + " -n " + key.namespace() + "`");
                return later;
            }
            restarted(sandbox, REASON_SANDBOX_FAILED, why);
            running = null;
        }
        if (running != null) {
            RunningSandbox.MainProcessState main = running.mainProcess();
            if (main != null && !main.running() && main.exitCode() != null) {
                int code = main.exitCode();
                boolean restart = "Always".equals(restartPolicy) || ("OnFailure".equals(restartPolicy) && code != 0);
                if (!restart) {
                    String reason = code == 0 ? Conditions.REASON_POD_SUCCEEDED : Conditions.REASON_POD_FAILED;
                    setReady(sandbox, false, reason, "the main process exited with code " + code + " (restartPolicy " + restartPolicy + "); its output: `agentbox logs "
                            + key.name() + " -n " + key.namespace() + "`");
                    return later;
                }
                stop(key, "main process exited with code " + code + ", restarting (restartPolicy " + restartPolicy + ")");
                restarted(sandbox, REASON_MAIN_EXITED, "the main process exited with code " + code);
                running = null;
            }
        }
        if (running == null) {
            Result waiting = awaitImages(key, sandbox, false);
            if (waiting != null) return waiting;
            SandboxConfig config;
            try {
                config = withNetwork(sandbox, configs.forSandbox(sandbox, id));
            } catch (ConfigMissingException e) {
                // as the kubelet's CreateContainerConfigError: not started; a write of a ConfigMap or Secret in the namespace
                // reconciles it again (EventRouter), and the 30 s retry covers a missed event
                setReady(sandbox, false, ConfigMissingException.REASON, e.getMessage());
                return Result.requeueAfter(Duration.ofSeconds(30));
            }
            // A sandbox started by an earlier agentboxd (or by this one, before a restart) keeps running: attach to it.
            try {
                running = runtime.attach(config);
                log.info("sandbox {} re-attached to {}", key, id);
                events.normal(sandbox, EventReasons.SANDBOX_REATTACHED, "Reattaching", "agentboxd re-attached to the running gVisor sandbox " + id
                        + "; its processes, memory and files were kept");
            } catch (RuntimeFailure e) {
                if (e.kind() != RuntimeFailure.Kind.NOT_FOUND) {
                    log.warn("sandbox {}: cannot re-attach to {}: {}", key, id, e.getMessage());
                    runtime.destroy(id);
                    if (wasRunning(sandbox)) { // one that never ran (agentboxd stopped while starting it) just starts
                        if ("Never".equals(restartPolicy)) {
                            events.warning(sandbox, EventReasons.SANDBOX_LOST, "Reattaching", "agentboxd could not re-attach to gVisor sandbox " + id
                                    + " (" + e.getMessage() + "); restartPolicy is Never, it is not started again");
                            setReady(sandbox, false, Conditions.REASON_POD_FAILED, "the sandbox was lost (" + e.getMessage() + "); restartPolicy is Never", false);
                            return later;
                        }
                        restarted(sandbox, REASON_SANDBOX_LOST, e.getMessage());
                    }
                }
                running = null;
            }
        }
        if (running == null && "Never".equals(restartPolicy) && REASON_INIT_FAILED.equals(readyReason(sandbox))) {
            return later; // as a pod whose init container failed with restartPolicy Never: it stays failed
        }
        if (running == null) {
            Instant retry = initBackoff.get(key);
            if (retry != null && now.isBefore(retry)) return Result.requeueAfter(Duration.between(now, retry));
            Result waiting = awaitImages(key, sandbox, true);
            if (waiting != null) return waiting;
            SandboxConfig config;
            try {
                config = withNetwork(sandbox, configs.forSandbox(sandbox, id));
                configs.prepareVolumes(sandbox);
            } catch (ConfigMissingException e) {
                setReady(sandbox, false, ConfigMissingException.REASON, e.getMessage());
                return Result.requeueAfter(Duration.ofSeconds(30));
            }
            boolean poolMember = sandbox.getMetadata().getLabels() != null && sandbox.getMetadata().getLabels().containsKey(dev.agentbox.api.Names.WARM_POOL_SANDBOX_LABEL);
            boolean slot = poolMember && startSlots != null;
            if (slot && !startSlots.tryAcquire(key)) return Result.requeueAfter(Duration.ofSeconds(10)); // woken when a slot is free
            setReady(sandbox, false, Conditions.REASON_DEPENDENCIES_NOT_READY, config.initContainers().isEmpty() ? "starting the gVisor sandbox"
                    : "starting the gVisor sandbox and running its init containers " + config.initContainers().stream()
                    .map(SandboxConfig.InitContainer::name).toList() + " (their output: `agentbox logs " + key.name() + " -c NAME`)");
            try {
                running = snapshots == null ? null : restore(sandbox, config);
                if (running == null) running = runtime.start(config);
            } catch (InitContainerFailure e) {
                // as the kubelet: restartPolicy Never fails the pod; otherwise the init containers run again, backing off
                String message = e.getMessage() + ". Its output: `agentbox logs " + key.name() + " -n " + key.namespace() + " -c " + e.container() + "`";
                log.warn("sandbox {}: {}", key, e.getMessage());
                if ("Never".equals(restartPolicy)) {
                    setReady(sandbox, false, REASON_INIT_FAILED, message + "; restartPolicy is Never");
                    return later;
                }
                int failures = initFailures.merge(key, 1, Integer::sum);
                Duration backoff = Duration.ofSeconds(Math.min(300, 10L << Math.min(failures - 1, 5))); // 10 s doubling to 5 min
                initBackoff.put(key, now.plus(backoff));
                restarted(sandbox, REASON_INIT_FAILED, message);
                setReady(sandbox, false, REASON_INIT_FAILED, message + "; trying again in " + backoff.toSeconds() + " s");
                return Result.requeueAfter(backoff);
            } catch (RuntimeFailure e) {
                log.warn("sandbox {} failed to start: {}", key, e.getMessage());
                events.warning(sandbox, EventReasons.SANDBOX_POD_CREATE_FAILED, "Starting", "the gVisor sandbox could not start: " + e.getMessage());
                setReady(sandbox, false, Conditions.REASON_POD_FAILED, "the sandbox could not start: " + e.getMessage(), false); // its event is above
                return e.kind() == RuntimeFailure.Kind.FAILED ? Result.requeueAfter(Duration.ofSeconds(5)) : later;
            } finally {
                if (slot) startSlots.release();
            }
            initBackoff.remove(key);
            initFailures.remove(key);
            if (pulls != null) pulls.forget(key); // a later start with imagePullPolicy Always pulls again
            log.info("sandbox {} started as {}", key, id);
            events.normal(sandbox, EventReasons.SANDBOX_POD_CREATED, "Starting", "Started gVisor sandbox " + id);
        }
        if (live.get(key).orElse(null) != running) {
            live.put(key, running);
            if (snapshots != null) { // the workload trigger: `/.agentbox/init snapshot [note]` inside the sandbox
                running.onSnapshotRequest(note -> Thread.ofVirtual().start(() -> snapshots.workloadRequest(key, note)));
            }
        }
        // Probes run in the background (ProbeRunner), each on its own schedule; what they say now decides here.
        Probes.Set probeSet = Probes.of(sandbox.getSpec().getPodTemplate().getSpec().getContainers().get(0));
        if (probeSet.any()) {
            ProbeRunner.State st = probes.ensure(key, running, probeSet);
            if (st.failed() != null) { // a startup or liveness probe: the container is restarted, as the kubelet does
                stop(key, st.failed());
                if ("Never".equals(restartPolicy)) {
                    setReady(sandbox, false, Conditions.REASON_POD_FAILED, st.failed() + "; restartPolicy is Never");
                    return later;
                }
                restarted(sandbox, REASON_PROBE_FAILED, st.failed());
                return Result.requeueAfter(Duration.ZERO);
            }
            if (!st.started() || !st.ready()) {
                setReady(sandbox, false, Conditions.REASON_DEPENDENCIES_NOT_READY,
                        "the " + (st.started() ? "readiness" : "startup") + " probe has not passed yet");
                return later;
            }
        }
        setReady(sandbox, true, Conditions.REASON_DEPENDENCIES_READY, "the gVisor sandbox is running");
        return later;
    }

    /**
     * Null when every image the sandbox's containers (init containers first) name is in the store and, with {@code start}
     * and imagePullPolicy Always, was pulled for this start; otherwise sets Ready=False with why (the pull's progress, the
     * registry's error, the back-off) and says when to look again. A re-attach ({@code start} false) needs no Always pull.
     */
    private Result awaitImages(ObjectKey key, Sandbox sandbox, boolean start) {
        if (pulls == null) return null;
        var pod = sandbox.getSpec().getPodTemplate() == null ? null : sandbox.getSpec().getPodTemplate().getSpec();
        if (pod == null) return null;
        java.util.List<io.fabric8.kubernetes.api.model.Container> all = new java.util.ArrayList<>();
        if (pod.getInitContainers() != null) all.addAll(pod.getInitContainers());
        if (pod.getContainers() != null) all.addAll(pod.getContainers());
        for (var c : all) {
            String ref = c.getImage();
            if (ref == null || ref.isBlank() || dev.agentbox.runtime.ImageStore.BUILTIN.equals(ref)) continue;
            ImagePuller.Policy policy;
            try {
                policy = ImagePuller.Policy.parse(c.getImagePullPolicy(), "imagePullPolicy");
            } catch (RuntimeFailure e) {
                continue; // admission refuses it; forSandbox names the field
            }
            boolean present = runtime.images().exists(ref);
            if (policy == ImagePuller.Policy.Never) {
                if (present) continue;
                setReady(sandbox, false, REASON_ERR_IMAGE_NEVER_PULL, "container " + c.getName() + ": image " + ref + " is not in agentboxd's image store and its"
                        + " imagePullPolicy is Never; pull it with `agentbox image pull " + ref + "` or import it with `agentbox image import " + ref + " PATH`");
                return Result.requeueAfter(Duration.ofSeconds(30));
            }
            boolean needed = !present || (start && policy == ImagePuller.Policy.Always);
            StartPulls.State state = pulls.check(key, ref, policy, needed);
            switch (state) {
                case null -> { }
                case StartPulls.State.Pulled p -> {
                    if (p.fresh()) events.normal(sandbox, EventReasons.PULLED, "Pulling", "Successfully pulled image " + ref + " in "
                            + p.took().toMillis() + " ms" + (p.imageId() == null ? "" : " (" + p.imageId() + ")"));
                }
                case StartPulls.State.Pulling p -> {
                    if (!REASON_CONTAINER_CREATING.equals(readyReason(sandbox))) events.normal(sandbox, EventReasons.PULLING, "Pulling", "Pulling image " + ref);
                    setReady(sandbox, false, REASON_CONTAINER_CREATING, "container " + c.getName() + ": " + p.progress());
                    return Result.requeueAfter(Duration.ofSeconds(1)); // the message follows the progress; the pull's end wakes it too
                }
                case StartPulls.State.Failed f -> {
                    if (!REASON_ERR_IMAGE_PULL.equals(readyReason(sandbox)) && !REASON_IMAGE_PULL_BACK_OFF.equals(readyReason(sandbox))) {
                        // as the kubelet: ErrImagePull when a pull has just failed, ImagePullBackOff while it waits to try again
                        events.warning(sandbox, EventReasons.FAILED, "Pulling", "Failed to pull image " + ref + ": " + f.message());
                        setReady(sandbox, false, REASON_ERR_IMAGE_PULL, "container " + c.getName() + ": " + f.message());
                        return Result.requeueAfter(Duration.ofSeconds(1));
                    }
                    if (REASON_ERR_IMAGE_PULL.equals(readyReason(sandbox))) events.normal(sandbox, EventReasons.BACK_OFF, "Pulling", "Back-off pulling image " + ref);
                    // the time of the next try, not a countdown: the message (and the status) stays the same while it waits
                    setReady(sandbox, false, REASON_IMAGE_PULL_BACK_OFF, "container " + c.getName() + ": back-off pulling image " + ref + " (failure "
                            + f.failures() + ", back-off " + f.backoff().toSeconds() + " s, next try at " + f.retryAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                            + "): " + f.message());
                    return Result.requeueAfter(Duration.between(clock.instant(), f.retryAt()).plusMillis(50));
                }
            }
        }
        return null;
    }

    /**
     * Suspend: checkpoint the running sandbox into a PodSnapshot labelled for this incarnation, then stop it
     * (no runsc process, no memory left). A failed checkpoint still stops it and says that state was lost.
     */
    private void suspend(ObjectKey key, Sandbox sandbox) {
        RunningSandbox running = live.get(key).orElse(null);
        if (snapshots == null || running == null || !running.isAlive() || !running.id().equals(containerId(sandbox))) {
            stop(key, "operatingMode Suspended");
            return;
        }
        try {
            var ps = snapshots.suspend(sandbox, running);
            live.remove(key);
            running.destroy();
            log.info("sandbox {} suspended into podsnapshot {}", key, ps.getMetadata().getName());
        } catch (RuntimeFailure | RuntimeException e) {
            log.warn("sandbox {}: suspend checkpoint failed, stopping without state: {}", key, e.getMessage());
            events.warning(sandbox, EventReasons.SNAPSHOT_FAILED, "Suspending", "suspend could not checkpoint the sandbox (" + e.getMessage()
                    + "); it was stopped without its state and will start cold");
            stop(key, "operatingMode Suspended (checkpoint failed)");
            setCondition(sandbox, Conditions.POD_RESTORED, false, Conditions.REASON_RESTORE_FAILED,
                    "suspend could not checkpoint the sandbox (" + e.getMessage() + "); its state was lost and it will start cold");
        }
    }

    /** Resume from this incarnation's suspend snapshot, else the pinned or matching PodSnapshot; null: start cold. */
    private RunningSandbox restore(Sandbox sandbox, SandboxConfig config) {
        var suspended = snapshots.suspendSnapshot(sandbox).orElse(null);
        if (suspended != null) {
            try {
                RunningSandbox r = runtime.restore(config, snapshots.imageToRestore(sandbox, suspended));
                store.delete(dev.agentbox.api.snapshot.v1.PodSnapshot.class, suspended.getMetadata().getNamespace(), suspended.getMetadata().getName());
                setCondition(sandbox, Conditions.POD_RESTORED, true, SnapshotService.REASON_RESUMED, "resumed from podsnapshot " + suspended.getMetadata().getName());
                events.normal(sandbox, EventReasons.RESUMED, "Resuming", "Resumed from podsnapshot " + suspended.getMetadata().getName());
                return r;
            } catch (RuntimeFailure | RuntimeException e) {
                runtime.destroy(config.id());
                log.warn("sandbox {}/{}: resume from {} failed: {}", sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName(), suspended.getMetadata().getName(), e.getMessage());
                setCondition(sandbox, Conditions.POD_RESTORED, false, Conditions.REASON_RESTORE_FAILED,
                        "resume from podsnapshot " + suspended.getMetadata().getName() + " failed (" + e.getMessage() + "); started cold instead");
                events.warning(sandbox, EventReasons.RESTORE_FAILED, "Resuming", "resume from podsnapshot " + suspended.getMetadata().getName()
                        + " failed (" + e.getMessage() + "); started cold instead");
                return null;
            }
        }
        SnapshotService.Choice choice = snapshots.restoreChoice(sandbox);
        if (choice.snapshot() == null) {
            if (choice.problem() != null) {
                setCondition(sandbox, Conditions.POD_RESTORED, false, Conditions.REASON_RESTORE_FAILED, choice.problem());
                events.warning(sandbox, EventReasons.RESTORE_FAILED, "Restoring", choice.problem());
            }
            return null;
        }
        String name = choice.snapshot().getMetadata().getName();
        try {
            RunningSandbox r = runtime.restore(config, snapshots.imageToRestore(sandbox, choice.snapshot()));
            snapshots.touch(choice.snapshot());
            setCondition(sandbox, Conditions.POD_RESTORED, true, SnapshotService.REASON_RESTORED, "restored from podsnapshot " + name);
            events.normal(sandbox, EventReasons.RESTORED, "Restoring", "Restored from podsnapshot " + name);
            return r;
        } catch (RuntimeFailure | RuntimeException e) {
            runtime.destroy(config.id());
            log.warn("sandbox {}/{}: restore from {} failed: {}", sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName(), name, e.getMessage());
            setCondition(sandbox, Conditions.POD_RESTORED, false, Conditions.REASON_RESTORE_FAILED,
                    "restore from podsnapshot " + name + " failed (" + e.getMessage() + "); started cold instead");
            events.warning(sandbox, EventReasons.RESTORE_FAILED, "Restoring", "restore from podsnapshot " + name + " failed (" + e.getMessage() + "); started cold instead");
            return null;
        }
    }

    /**
     * Records that the sandbox is being started again and why: its processes, memory and files are gone. The
     * same name never silently stands for a fresh sandbox: the condition (and the restart count) says so.
     */
    private void restarted(Sandbox sandbox, String reason, String why) {
        Sandbox cur = store.get(Sandbox.class, sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName()).orElse(null);
        if (cur == null) return;
        java.util.Map<String, String> annotations = new java.util.LinkedHashMap<>(cur.getMetadata().getAnnotations() == null ? java.util.Map.of() : cur.getMetadata().getAnnotations());
        int count = 1;
        try {
            count = Integer.parseInt(annotations.getOrDefault(RESTART_COUNT_ANNOTATION, "0")) + 1;
        } catch (NumberFormatException ignored) {
            // not ours to trust: start counting again
        }
        annotations.put(RESTART_COUNT_ANNOTATION, Integer.toString(count));
        cur.getMetadata().setAnnotations(annotations);
        cur.getMetadata().setResourceVersion(null);
        try {
            store.update(cur);
        } catch (RuntimeException e) {
            log.debug("sandbox {}: restart count: {}", cur.getMetadata().getName(), e.toString());
        }
        setCondition(sandbox, RESTARTED, true, reason, "started again (restart " + count + ") at " + clock.instant()
                + ": " + why + "; its processes, memory and files were lost");
        // no restart number or time in the message: a crash loop aggregates into one event with a count
        events.warning(cur, REASON_SANDBOX_LOST.equals(reason) ? EventReasons.SANDBOX_LOST : EventReasons.SANDBOX_RESTARTED, "Restarting",
                (REASON_SANDBOX_LOST.equals(reason) ? "agentboxd could not re-attach to the sandbox" : "the sandbox is started again")
                        + " (" + why + "); its processes, memory and files were lost");
    }

    private void setCondition(Sandbox sandbox, String type, boolean value, String reason, String message) {
        Sandbox cur = store.get(Sandbox.class, sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName()).orElse(null);
        if (cur == null) return;
        SandboxStatus status = cur.getStatus() == null ? new SandboxStatus() : cur.getStatus();
        if (!Conditions.set(status, Conditions.of(type, value ? Conditions.TRUE : Conditions.FALSE, reason, message, cur.getMetadata().getGeneration()), clock.instant())) return;
        cur.setStatus(status);
        cur.getMetadata().setResourceVersion(null);
        store.updateStatus(cur);
        sandbox.setStatus(status); // later status writes of this reconcile keep it
        log.info("sandbox {}/{}: {}={} ({}: {})", cur.getMetadata().getNamespace(), cur.getMetadata().getName(), type, value, reason, message);
    }

    private void stop(ObjectKey key, String why) {
        probes.stop(key);
        live.remove(key).ifPresent(s -> {
            s.destroy();
            log.info("sandbox {} stopped: {}", key, why);
        });
    }

    private void setReady(Sandbox sandbox, boolean ready, String reason, String message) {
        setReady(sandbox, ready, reason, message, true);
    }

    /** {@code event}: record the Event of a transition (false where the caller recorded a more precise one). */
    private void setReady(Sandbox sandbox, boolean ready, String reason, String message, boolean event) {
        SandboxStatus status = sandbox.getStatus() == null ? new SandboxStatus() : sandbox.getStatus();
        Condition before = Conditions.get(status, Conditions.READY).orElse(null);
        Condition c = Conditions.of(Conditions.READY, ready ? Conditions.TRUE : Conditions.FALSE, reason, message,
                sandbox.getMetadata().getGeneration());
        boolean changed = Conditions.set(status, c, clock.instant());
        String selector = dev.agentbox.api.Names.SANDBOX_NAME_HASH_LABEL + "=" + dev.agentbox.api.Hashing.nameHash(sandbox.getMetadata().getName());
        if (!selector.equals(status.getSelector())) {
            status.setSelector(selector);
            changed = true;
        }
        if (!changed) return;
        sandbox.setStatus(status);
        sandbox.getMetadata().setResourceVersion(null);
        Sandbox written = store.updateStatus(sandbox);
        log.info("sandbox {}/{}: Ready={} ({})", sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName(), ready, reason);
        boolean transition = before == null || !java.util.Objects.equals(before.getStatus(), c.getStatus()) || !java.util.Objects.equals(before.getReason(), reason);
        if (transition && event) readyEvent(written, ready, reason, message);
    }

    /** The Event of a Ready transition: becoming Ready, suspended, expired, finished; starting and probing have none. */
    private void readyEvent(Sandbox sandbox, boolean ready, String reason, String message) {
        if (ready) {
            events.normal(sandbox, EventReasons.SANDBOX_READY, "Starting", message);
            return;
        }
        switch (reason) {
            case Conditions.REASON_SANDBOX_SUSPENDED -> events.normal(sandbox, EventReasons.SANDBOX_SUSPENDED, "Suspending", message);
            case Conditions.REASON_SANDBOX_EXPIRED -> events.normal(sandbox, EventReasons.SANDBOX_EXPIRED, "Expiring", message);
            case Conditions.REASON_POD_SUCCEEDED -> events.normal(sandbox, EventReasons.SANDBOX_SUCCEEDED, "Running", message);
            case Conditions.REASON_POD_FAILED -> events.warning(sandbox, EventReasons.SANDBOX_FAILED, "Running", message);
            default -> { }
        }
    }

    private static String restartPolicy(Sandbox sandbox) {
        var t = sandbox.getSpec().getPodTemplate();
        String p = t == null || t.getSpec() == null ? null : t.getSpec().getRestartPolicy();
        return p == null ? "Always" : p;
    }

    static Instant parseTime(String rfc3339) {
        return rfc3339 == null || rfc3339.isEmpty() ? null : java.time.OffsetDateTime.parse(rfc3339).toInstant();
    }

    /**
     * {@code config} with the egress policy of the sandbox's template (the template-ref annotation a claim or warm pool
     * sets, in the sandbox's namespace) and its {@link EgressPolicies#DOMAINS_ANNOTATION}. No template, or one with neither:
     * no network.
     */
    private SandboxConfig withNetwork(Sandbox sandbox, SandboxConfig config) {
        var annotations = sandbox.getMetadata().getAnnotations();
        String name = annotations == null ? null : annotations.get(dev.agentbox.api.Names.SANDBOX_TEMPLATE_REF_ANNOTATION);
        if (name == null) return config;
        var template = store.get(dev.agentbox.api.extensions.v1beta1.SandboxTemplate.class, sandbox.getMetadata().getNamespace(), name);
        if (template.isEmpty() || template.get().getSpec() == null) return config;
        var t = template.get();
        return config.withEgress(EgressPolicies.egress(t.getSpec().getNetworkPolicy(), EgressPolicies.domains(t.getMetadata().getAnnotations()),
                "SandboxTemplate " + name + ": spec.networkPolicy"));
    }
}
