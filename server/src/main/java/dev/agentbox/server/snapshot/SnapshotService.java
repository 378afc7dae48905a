package dev.agentbox.server.snapshot;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.snapshot.v1.GroupByLabelValue;
import dev.agentbox.api.snapshot.v1.LocalStorageStatus;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotSpec;
import dev.agentbox.api.snapshot.v1.PodSnapshotStatus;
import dev.agentbox.api.snapshot.v1.SnapshotStorageStatus;
import dev.agentbox.runtime.CheckpointInfo;
import dev.agentbox.runtime.GvisorRuntime;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.api.EventReasons;
import dev.agentbox.server.EventRecorder;
import dev.agentbox.server.config.DaemonSettings;
import dev.agentbox.server.store.Store;
import dev.agentbox.server.store.StoreEvent;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod snapshots on one host: checkpoints a running sandbox into its policy's storage location and records
 * it as a PodSnapshot, finds the snapshot a new sandbox restores from, prunes per retention, deletes files
 * with their PodSnapshot, and recovers from a crash midway (see {@link #recover()}).
 *
 * <p>Crash safety: a PodSnapshot is created Ready=False (reason Checkpointing) <em>before</em> the checkpoint
 * and turns Ready only after the runtime renamed the complete image into place; the runtime writes into a
 * {@code .partial-*} directory first. After a crash, {@link #recover()} marks leftover Checkpointing snapshots
 * Failed, deletes their (partial) files and every {@code .partial-*} directory.
 *
 * <p>Paths: every image path is derived by {@link SnapshotStorage} (storage root, namespace, name) and checked
 * beneath its root before a delete or a restore; a status never decides where files are. The workload trigger
 * is rate-limited per sandbox (a token bucket, {@code quotas.workloadSnapshotsPerSandbox}).
 */
public final class SnapshotService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SnapshotService.class);
    public static final String TRIGGER_UID_LABEL = Names.AGENTBOX_PREFIX + "trigger-uid";
    public static final String SUSPEND_OF_LABEL = Names.AGENTBOX_PREFIX + "suspend-of";
    public static final String TEMPLATE_HASH_LABEL = Names.AGENTBOX_PREFIX + "template-hash";
    public static final String CREATED_AT_ANNOTATION = Names.AGENTBOX_PREFIX + "created-at";
    public static final String REASON_CHECKPOINTING = "Checkpointing";
    public static final String REASON_RESTORED = "Restored";
    public static final String REASON_RESUMED = "Resumed";

    private final Store store;
    private final SnapshotStorage storage;
    private final Clock clock;
    private final DaemonSettings.RateLimit workloadRate;
    /** The workload trigger's token bucket of each sandbox (by uid), dropped with the Sandbox. */
    private final Map<String, TokenBucket> workloadBuckets = new ConcurrentHashMap<>();
    private final AutoCloseable subscription;
    private final EventRecorder events;

    /** With the default workload-trigger rate ({@link DaemonSettings#DEFAULTS}). */
    public SnapshotService(Store store, Path defaultDir, Clock clock) {
        this(store, defaultDir, clock, DaemonSettings.DEFAULTS.quotas().workloadSnapshotsPerSandbox());
    }

    public SnapshotService(Store store, Path defaultDir, Clock clock, DaemonSettings.RateLimit workloadRate) {
        this(store, defaultDir, clock, workloadRate, EventRecorder.disabled());
    }

    /**
     * Records SnapshotCreated when a PodSnapshot turns Ready and SnapshotFailed when a checkpoint was cut off by a stopping
     * agentboxd (a failed checkpoint is reported by its caller, on the trigger or the Sandbox: its PodSnapshot is deleted).
     */
    public SnapshotService(Store store, Path defaultDir, Clock clock, DaemonSettings.RateLimit workloadRate, EventRecorder events) {
        this.events = events;
        this.store = store;
        this.storage = new SnapshotStorage(store, defaultDir);
        this.clock = clock;
        this.workloadRate = workloadRate;
        this.subscription = store.watch(e -> {
            if (e.type() == StoreEvent.Type.DELETED && e.object() instanceof PodSnapshot ps) {
                Thread.ofVirtual().start(() -> deleteFiles(ps));
            }
            if (e.type() == StoreEvent.Type.DELETED && e.object() instanceof Sandbox sb) workloadBuckets.remove(sb.getMetadata().getUid());
        });
    }

    /** Where images go and the checks on those paths. */
    public SnapshotStorage storage() {
        return storage;
    }

    /** The content hash of a sandbox's pod spec (labels and annotations excluded): restores need an equal one. */
    public static String templateHash(Sandbox sandbox) {
        PodTemplate t = sandbox.getSpec().getPodTemplate();
        return Hashing.podTemplateHash(new PodTemplate(null, t == null ? null : t.getSpec()));
    }

    /** A sandbox's pod labels: the object's labels plus its pod template's. */
    public static Map<String, String> podLabels(Sandbox sandbox) {
        Map<String, String> labels = new HashMap<>();
        if (sandbox.getMetadata().getLabels() != null) labels.putAll(sandbox.getMetadata().getLabels());
        PodTemplate t = sandbox.getSpec().getPodTemplate();
        if (t != null && t.getMetadata() != null && t.getMetadata().getLabels() != null) labels.putAll(t.getMetadata().getLabels());
        return labels;
    }

    /** The snapshot a sandbox pins with the {@code podsnapshot.gke.io/ps-name} annotation (object or pod template), or null. */
    public static String pinnedSnapshot(Sandbox sandbox) {
        Map<String, String> a = sandbox.getMetadata().getAnnotations();
        if (a != null && a.get(Names.PS_NAME_ANNOTATION) != null) return a.get(Names.PS_NAME_ANNOTATION);
        PodTemplate t = sandbox.getSpec().getPodTemplate();
        if (t != null && t.getMetadata() != null && t.getMetadata().getAnnotations() != null) {
            return t.getMetadata().getAnnotations().get(Names.PS_NAME_ANNOTATION);
        }
        return null;
    }

    public static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) return false;
        if (selector.getMatchLabels() != null) {
            for (var e : selector.getMatchLabels().entrySet()) if (!e.getValue().equals(labels.get(e.getKey()))) return false;
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = labels.get(r.getKey());
                List<String> vals = r.getValues() == null ? List.of() : r.getValues();
                boolean ok = switch (r.getOperator()) {
                    case "In" -> v != null && vals.contains(v);
                    case "NotIn" -> v == null || !vals.contains(v);
                    case "Exists" -> v != null;
                    case "DoesNotExist" -> v == null;
                    default -> false;
                };
                if (!ok) return false;
            }
        }
        return true;
    }

    /** Policies of the sandbox's namespace whose selector selects it, by name. */
    public List<PodSnapshotPolicy> policiesFor(Sandbox sandbox) {
        Map<String, String> labels = podLabels(sandbox);
        return store.list(PodSnapshotPolicy.class, sandbox.getMetadata().getNamespace()).stream()
                .filter(p -> p.getSpec() != null && selects(p.getSpec().getSelector(), labels)).toList();
    }

    /**
     * Checkpoints a running sandbox and records it. The PodSnapshot exists (Ready=False, Checkpointing) while
     * the image is written and turns Ready only once the image is complete. On failure the object and any
     * files are removed and the failure is rethrown.
     */
    public PodSnapshot checkpoint(Sandbox sandbox, RunningSandbox running, PodSnapshotPolicy policy, boolean leaveRunning,
                                  Map<String, String> extraLabels) throws RuntimeFailure {
        String ns = sandbox.getMetadata().getNamespace();
        Path root = storage.root(policy);
        storage.prepareNamespaceDir(root, ns); // before the PodSnapshot exists: a refused storage path leaves nothing behind
        PodSnapshot ps = new PodSnapshot();
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(ns);
        meta.setGenerateName(trim(sandbox.getMetadata().getName()) + "-");
        Map<String, String> labels = new LinkedHashMap<>(podLabels(sandbox));
        labels.keySet().removeIf(k -> k.startsWith("agents.x-k8s.io/"));
        labels.put(Names.SOURCE_SANDBOX_LABEL, sandbox.getMetadata().getName());
        labels.put(TEMPLATE_HASH_LABEL, templateHash(sandbox));
        labels.putAll(extraLabels);
        meta.setLabels(labels);
        meta.setAnnotations(Map.of(Names.ORIGIN_POD_ANNOTATION, sandbox.getMetadata().getName(), CREATED_AT_ANNOTATION, clock.instant().toString()));
        ps.setMetadata(meta);
        ps.setSpec(new PodSnapshotSpec(policy == null ? null : policy.getMetadata().getName()));
        PodSnapshotStatus status = new PodSnapshotStatus();
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.FALSE, REASON_CHECKPOINTING,
                "checkpointing sandbox " + sandbox.getMetadata().getName(), 1L), clock.instant());
        status.setSourceSandbox(sandbox.getMetadata().getName());
        status.setSourcePod(sandbox.getMetadata().getName());
        status.setTemplateHash(templateHash(sandbox));
        PodSnapshot created = store.create(ps); // the store drops any status on create (quotas are checked here)
        String name = created.getMetadata().getName();
        Path image = SnapshotStorage.imageDir(root, ns, name);
        status.setStorageStatus(new SnapshotStorageStatus(null, new LocalStorageStatus(image.toString())));
        created.setStatus(status);
        store.updateStatus(created);
        CheckpointInfo info;
        try {
            info = running.checkpoint(image, leaveRunning);
            Files.setPosixFilePermissions(image, SnapshotStorage.PRIVATE); // the runtime creates it with the default umask
        } catch (RuntimeFailure | IOException | RuntimeException e) {
            store.delete(PodSnapshot.class, ns, name); // the watch deletes any files
            if (e instanceof RuntimeFailure rf) throw rf;
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "checkpoint failed: " + e.getMessage(), e);
        }
        Instant now = clock.instant();
        status.setSizeBytes(info.sizeBytes());
        status.setLastAccessTime(now.toString());
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_COMPLETE,
                "checkpoint of " + sandbox.getMetadata().getName() + " took " + info.took().toMillis() + " ms, " + info.sizeBytes() + " bytes", 1L), now);
        PodSnapshot current = store.get(PodSnapshot.class, ns, name).orElse(null);
        if (current == null) { // deleted meanwhile
            deleteFiles(created);
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "PodSnapshot " + ns + "/" + name + " was deleted during the checkpoint");
        }
        current.setStatus(status);
        current.getMetadata().setResourceVersion(null);
        PodSnapshot ready = store.updateStatus(current);
        log.info("podsnapshot {}/{} Ready: sandbox {} ({} bytes in {} ms)", ns, name, sandbox.getMetadata().getName(), info.sizeBytes(), info.took().toMillis());
        events.normal(ready, EventReasons.SNAPSHOT_CREATED, "Checkpointing", "Checkpointed sandbox " + sandbox.getMetadata().getName() + ": "
                + info.sizeBytes() + " bytes in " + info.took().toMillis() + " ms");
        return ready;
    }

    private static String trim(String s) {
        return s.length() > 40 ? s.substring(0, 40) : s;
    }

    /** Where a snapshot should restore from, or why it cannot (a problem to report, with a cold start instead). */
    public record Choice(PodSnapshot snapshot, String problem) {
        static Choice none() {
            return new Choice(null, null);
        }
    }

    /** The pinned snapshot, else the newest Ready one of a policy selecting the sandbox with the same template hash. */
    public Choice restoreChoice(Sandbox sandbox) {
        String ns = sandbox.getMetadata().getNamespace();
        String hash = templateHash(sandbox);
        String pinned = pinnedSnapshot(sandbox);
        if (pinned != null) {
            PodSnapshot ps = store.get(PodSnapshot.class, ns, pinned).orElse(null);
            if (ps == null) return new Choice(null, "pinned PodSnapshot " + ns + "/" + pinned + " not found; started cold instead");
            if (!Conditions.isReady(ps)) return new Choice(null, "pinned PodSnapshot " + pinned + " is not Ready; started cold instead");
            String psHash = ps.getStatus() == null ? null : ps.getStatus().getTemplateHash();
            if (!hash.equals(psHash)) {
                return new Choice(null, "pinned PodSnapshot " + pinned + " was taken from a different pod template (hash " + psHash
                        + ", this sandbox " + hash + "); started cold instead");
            }
            return new Choice(ps, null);
        }
        Set<String> policies = new HashSet<>();
        policiesFor(sandbox).forEach(p -> policies.add(p.getMetadata().getName()));
        if (policies.isEmpty()) return Choice.none();
        return store.list(PodSnapshot.class, ns).stream()
                .filter(ps -> ps.getSpec() != null && policies.contains(ps.getSpec().getPolicyName()))
                .filter(ps -> ps.getMetadata().getLabels() == null || !ps.getMetadata().getLabels().containsKey(SUSPEND_OF_LABEL))
                .filter(Conditions::isReady)
                .filter(ps -> ps.getStatus() != null && hash.equals(ps.getStatus().getTemplateHash()))
                .max(Comparator.comparing((PodSnapshot ps) -> createdAt(ps)).thenComparing(ps -> ps.getMetadata().getName()))
                .map(ps -> new Choice(ps, null)).orElse(Choice.none());
    }

    /** The snapshot a suspended sandbox (this incarnation, by uid) resumes from, newest first. */
    public Optional<PodSnapshot> suspendSnapshot(Sandbox sandbox) {
        String uid = sandbox.getMetadata().getUid();
        return store.list(PodSnapshot.class, sandbox.getMetadata().getNamespace(), l -> uid.equals(l.get(SUSPEND_OF_LABEL))).stream()
                .filter(Conditions::isReady)
                .max(Comparator.comparing((PodSnapshot ps) -> createdAt(ps)).thenComparing(ps -> ps.getMetadata().getName()));
    }

    /** Suspend: checkpoint and stop. The snapshot goes to the selecting policy's storage, else the daemon's own directory. */
    public PodSnapshot suspend(Sandbox sandbox, RunningSandbox running) throws RuntimeFailure {
        PodSnapshotPolicy policy = policiesFor(sandbox).stream().findFirst().orElse(null);
        PodSnapshotPolicy storagePolicy = policy;
        try {
            storage.root(policy);
        } catch (RuntimeException e) {
            storagePolicy = null;
        }
        PodSnapshot ps = checkpoint(sandbox, running, storagePolicy, false, Map.of(SUSPEND_OF_LABEL, sandbox.getMetadata().getUid()));
        return ps;
    }

    /**
     * The image a sandbox may restore from: a snapshot of the sandbox's own namespace that agentboxd recorded Ready,
     * at the path agentboxd derives for it, checked beneath its storage root. Refused (and logged) otherwise.
     */
    public Path imageToRestore(Sandbox sandbox, PodSnapshot ps) {
        String ns = sandbox.getMetadata().getNamespace();
        String name = ps.getMetadata().getName();
        if (!ns.equals(ps.getMetadata().getNamespace())) {
            log.warn("sandbox {}/{}: refused to restore podsnapshot {}/{} of another namespace", ns, sandbox.getMetadata().getName(), ps.getMetadata().getNamespace(), name);
            throw new SnapshotRefusedException("podsnapshot " + ps.getMetadata().getNamespace() + "/" + name + " is of another namespace than sandbox " + ns + "/" + sandbox.getMetadata().getName());
        }
        if (!Conditions.isReady(ps)) throw new SnapshotRefusedException("podsnapshot " + ns + "/" + name + " is not Ready");
        Path image = storage.checkedImage(ps);
        if (image == null) throw new SnapshotRefusedException("the image of podsnapshot " + ns + "/" + name + " is missing");
        return image;
    }

    /**
     * The workload trigger: a process in the sandbox ran {@code /.agentbox/init snapshot}. If a policy of type
     * workload selects the sandbox, a PodSnapshotManualTrigger (labelled {@code agentbox.dev/trigger=workload})
     * is created for it and handled like a manual one; otherwise the request is logged and dropped. Requests beyond
     * the sandbox's rate ({@code quotas.workloadSnapshotsPerSandbox}) are dropped, and logged once per run.
     */
    public void workloadRequest(dev.agentbox.server.controller.ObjectKey key, String note) {
        Sandbox sandbox = store.get(Sandbox.class, key.namespace(), key.name()).orElse(null);
        if (sandbox == null) return;
        boolean allowed = policiesFor(sandbox).stream().anyMatch(p -> p.getSpec().getTriggerConfig() != null
                && p.getSpec().getTriggerConfig().getType() == dev.agentbox.api.snapshot.v1.TriggerType.WORKLOAD);
        if (!allowed) {
            log.warn("sandbox {} asked for a snapshot, but no PodSnapshotPolicy with triggerConfig.type workload selects it; ignored", key);
            return;
        }
        TokenBucket bucket = workloadBuckets.computeIfAbsent(sandbox.getMetadata().getUid(),
                uid -> new TokenBucket(workloadRate.burst(), Duration.ofSeconds(workloadRate.refillSeconds()), clock.instant()));
        TokenBucket.Outcome outcome = bucket.take(clock.instant());
        if (outcome == TokenBucket.Outcome.REFUSED_FIRST) {
            log.warn("sandbox {} asks for snapshots faster than {} at once, then one every {} s; its requests are dropped until it slows down "
                    + "(quotas.workloadSnapshotsPerSandbox in agentboxd's config)", key, workloadRate.burst(), workloadRate.refillSeconds());
        }
        if (outcome != TokenBucket.Outcome.TAKEN) return;
        var t = new dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger();
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(key.namespace());
        meta.setGenerateName(trim(key.name()) + "-workload-");
        meta.setLabels(Map.of(Names.AGENTBOX_PREFIX + "trigger", "workload"));
        if (note != null && !note.isBlank()) meta.setAnnotations(Map.of(Names.AGENTBOX_PREFIX + "note", note));
        t.setMetadata(meta);
        t.setSpec(new dev.agentbox.api.snapshot.v1.PodSnapshotManualTriggerSpec(key.name()));
        var created = store.create(t);
        log.info("sandbox {} asked for a snapshot: trigger {}", key, created.getMetadata().getName());
    }

    /** Records a restore from this snapshot (retention counts from the last access). */
    public void touch(PodSnapshot ps) {
        store.get(PodSnapshot.class, ps.getMetadata().getNamespace(), ps.getMetadata().getName()).ifPresent(cur -> {
            cur.getStatus().setLastAccessTime(clock.instant().toString());
            cur.getMetadata().setResourceVersion(null);
            try {
                store.updateStatus(cur);
            } catch (RuntimeException e) {
                log.debug("touch {}: {}", ps.getMetadata().getName(), e.toString());
            }
        });
    }

    /**
     * Deletes the image directory of a snapshot: only the one agentboxd recorded, at the path it derives, resolved beneath
     * its storage root ({@link SnapshotStorage#checkedImage}); anything else is refused and logged.
     */
    public void deleteFiles(PodSnapshot ps) {
        String ns = ps.getMetadata().getNamespace();
        String name = ps.getMetadata().getName();
        if (SnapshotStorage.recordedImage(ps) == null) return; // agentboxd wrote no image for it
        try {
            Path image = storage.checkedImage(ps);
            if (image == null) return;
            deleteTree(image);
            log.info("podsnapshot {}/{}: deleted {}", ns, name, image);
        } catch (IOException | RuntimeException e) {
            log.warn("podsnapshot {}/{}: its files are not deleted: {}", ns, name, e.getMessage());
        }
    }

    /**
     * Deletes a directory tree; idempotent and safe when another thread deletes the same tree at the same
     * time (the PodSnapshot deletion listener and a retention pass both do): vanished entries are skipped
     * and the walk is repeated.
     */
    static void deleteTree(Path p) throws IOException {
        for (int attempt = 0; attempt < 3 && Files.exists(p); attempt++) {
            try (Stream<Path> walk = Files.walk(p)) {
                for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) throw e.getCause();
            } catch (java.nio.file.NoSuchFileException | java.nio.file.DirectoryNotEmptyException e) {
                // raced with another deleter: walk again
            }
        }
    }

    /**
     * After a restart: snapshots still Checkpointing were cut off by the crash: marked Failed, files removed.
     * Partial image directories and images no PodSnapshot refers to are deleted.
     */
    public void recover() {
        Set<Path> referenced = new HashSet<>();
        for (PodSnapshot ps : store.list(PodSnapshot.class, null)) {
            try {
                if (SnapshotStorage.recordedImage(ps) != null) referenced.add(SnapshotStorage.imageDir(storage.rootOf(ps), ps.getMetadata().getNamespace(), ps.getMetadata().getName()));
            } catch (RuntimeException e) {
                log.warn("podsnapshot {}/{}: {}", ps.getMetadata().getNamespace(), ps.getMetadata().getName(), e.getMessage());
            }
            Condition ready = Conditions.get(ps.getStatus(), Conditions.READY).orElse(null);
            if (ready != null && REASON_CHECKPOINTING.equals(ready.getReason())) {
                deleteFiles(ps);
                Conditions.set(ps.getStatus(), Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_FAILED,
                        "agentboxd stopped during the checkpoint; the partial image was deleted", 1L), clock.instant());
                ps.getMetadata().setResourceVersion(null);
                PodSnapshot failed = store.updateStatus(ps);
                log.info("podsnapshot {}/{}: Failed (agentboxd stopped during its checkpoint)", ps.getMetadata().getNamespace(), ps.getMetadata().getName());
                events.warning(failed, EventReasons.SNAPSHOT_FAILED, "Checkpointing", "agentboxd stopped during the checkpoint; the partial image was deleted");
            }
        }
        for (Path root : storage.knownRoots()) {
            if (!Files.isDirectory(root)) continue;
            try (Stream<Path> nss = Files.list(root)) {
                // only real directories of agentboxd's layout: a symlink is never followed out of the root
                for (Path nsDir : nss.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
                    try (Stream<Path> images = Files.list(nsDir)) {
                        for (Path img : images.toList()) {
                            String n = img.getFileName().toString();
                            boolean partial = n.startsWith(".partial-");
                            boolean orphan = !referenced.contains(img) && Files.isDirectory(img, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                                    && Files.isRegularFile(img.resolve(GvisorRuntime.CHECKPOINT_META), java.nio.file.LinkOption.NOFOLLOW_LINKS);
                            if (partial || orphan) {
                                deleteTree(img);
                                log.info("deleted {} snapshot image {}", partial ? "partial" : "unreferenced", img);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                log.warn("snapshot recovery in {}: {}", root, e.toString());
            }
        }
    }

    /** Applies every policy's retentionConfig.lastAccessTimeout and groupRetentionPolicy.maxSnapshotCountPerGroup. */
    public void enforceRetention() {
        Instant now = clock.instant();
        for (PodSnapshotPolicy policy : store.list(PodSnapshotPolicy.class, null)) {
            String ns = policy.getMetadata().getNamespace();
            String pname = policy.getMetadata().getName();
            List<PodSnapshot> ready = store.list(PodSnapshot.class, ns).stream()
                    .filter(ps -> ps.getSpec() != null && pname.equals(ps.getSpec().getPolicyName()))
                    .filter(Conditions::isReady)
                    .filter(ps -> ps.getMetadata().getLabels() == null || !ps.getMetadata().getLabels().containsKey(SUSPEND_OF_LABEL))
                    .toList();
            Duration timeout = policy.getSpec().getRetentionConfig() == null ? null : policy.getSpec().getRetentionConfig().lastAccessTimeoutDuration();
            List<PodSnapshot> kept = new ArrayList<>();
            for (PodSnapshot ps : ready) {
                Instant last = ps.getStatus().getLastAccessTime() == null ? createdAt(ps) : Instant.parse(ps.getStatus().getLastAccessTime());
                if (timeout != null && !timeout.isZero() && last.plus(timeout).isBefore(now)) {
                    store.delete(PodSnapshot.class, ns, ps.getMetadata().getName());
                    log.info("podsnapshot {}/{} deleted: not accessed for {} (lastAccessTimeout of policy {})", ns, ps.getMetadata().getName(), timeout, pname);
                } else {
                    kept.add(ps);
                }
            }
            var rules = policy.getSpec().getSnapshotGroupingRules();
            GroupByLabelValue g = rules == null ? null : rules.getGroupByLabelValue();
            Integer max = g == null || g.getGroupRetentionPolicy() == null ? null : g.getGroupRetentionPolicy().getMaxSnapshotCountPerGroup();
            if (max == null || max <= 0) continue;
            List<String> keys = g.getLabels() == null ? List.of() : g.getLabels();
            Map<List<String>, List<PodSnapshot>> groups = new HashMap<>();
            for (PodSnapshot ps : kept) {
                Map<String, String> l = ps.getMetadata().getLabels() == null ? Map.of() : ps.getMetadata().getLabels();
                List<String> key = keys.stream().map(k -> String.valueOf(l.get(k))).toList();
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(ps);
            }
            for (var e : groups.entrySet()) {
                List<PodSnapshot> list = new ArrayList<>(e.getValue());
                list.sort(Comparator.comparing((PodSnapshot ps) -> createdAt(ps)).thenComparing(ps -> ps.getMetadata().getName()).reversed());
                for (PodSnapshot old : list.subList(Math.min(max, list.size()), list.size())) {
                    store.delete(PodSnapshot.class, ns, old.getMetadata().getName());
                    log.info("podsnapshot {}/{} deleted: group {} keeps the newest {} (policy {})", ns, old.getMetadata().getName(), e.getKey(), max, pname);
                }
            }
        }
    }

    static Instant createdAt(PodSnapshot ps) {
        Map<String, String> a = ps.getMetadata().getAnnotations();
        if (a != null && a.get(CREATED_AT_ANNOTATION) != null) return Instant.parse(a.get(CREATED_AT_ANNOTATION));
        String c = ps.getMetadata().getCreationTimestamp();
        return c == null ? Instant.EPOCH : Instant.parse(c);
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            log.debug("unsubscribe", e);
        }
    }
}
