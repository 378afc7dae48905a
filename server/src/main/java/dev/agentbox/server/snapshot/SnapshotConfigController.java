package dev.agentbox.server.snapshot;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import dev.agentbox.api.snapshot.v1.SnapshotConfigStatus;
import dev.agentbox.server.controller.Controller;
import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.server.controller.Result;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells whether snapshots can be stored: a PodSnapshotStorageConfig is Ready when its local path is usable (agentboxd
 * creates it 0700 when missing; one other users can write, or not owned by root or agentboxd's user, is refused), a
 * PodSnapshotPolicy when its storage config is. False conditions carry the reason and what to do.
 *
 * <p>Keys: a storage config is cluster-scoped, so its key has the namespace ""; every other key is a policy.
 */
public final class SnapshotConfigController implements Controller {
    private static final Logger log = LoggerFactory.getLogger(SnapshotConfigController.class);
    public static final String REASON_STORAGE_READY = "StorageReady";
    public static final String REASON_INVALID_STORAGE = "InvalidStorage";

    private final Store store;
    private final SnapshotStorage storage;
    private final Clock clock;

    public SnapshotConfigController(Store store, SnapshotStorage storage, Clock clock) {
        this.store = store;
        this.storage = storage;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "snapshot-config";
    }

    @Override
    public Result reconcile(ObjectKey key) {
        if (key.namespace() == null || key.namespace().isEmpty()) {
            store.get(PodSnapshotStorageConfig.class, "", key.name()).ifPresent(sc -> {
                String problem = null;
                Path root = null;
                try {
                    root = storage.prepareRoot(SnapshotStorage.configuredRoot(sc));
                } catch (RuntimeException e) {
                    problem = e.getMessage();
                }
                SnapshotConfigStatus status = sc.getStatus() == null ? new SnapshotConfigStatus() : sc.getStatus();
                if (setReady(sc, status, problem, "snapshots are stored under " + root)) {
                    sc.setStatus(status);
                    sc.getMetadata().setResourceVersion(null);
                    store.updateStatus(sc);
                }
            });
        } else {
            store.get(PodSnapshotPolicy.class, key.namespace(), key.name()).ifPresent(p -> {
                String problem = null;
                Path root = null;
                try {
                    root = storage.root(p);
                } catch (RuntimeException e) {
                    problem = "storage config " + p.getSpec().getStorageConfigName() + ": " + e.getMessage();
                }
                SnapshotConfigStatus status = p.getStatus() == null ? new SnapshotConfigStatus() : p.getStatus();
                if (setReady(p, status, problem, "snapshots go to " + (root == null ? null : root.resolve(key.namespace())))) {
                    p.setStatus(status);
                    p.getMetadata().setResourceVersion(null);
                    store.updateStatus(p);
                }
            });
        }
        return Result.DONE;
    }

    /** Sets Ready (True, or False with the problem) and observedGeneration; whether anything changed. */
    private boolean setReady(HasMetadata o, SnapshotConfigStatus status, String problem, String readyMessage) {
        Long generation = o.getMetadata().getGeneration();
        boolean changed = Conditions.set(status, Conditions.of(Conditions.READY, problem == null ? Conditions.TRUE : Conditions.FALSE,
                problem == null ? REASON_STORAGE_READY : REASON_INVALID_STORAGE, problem == null ? readyMessage : problem, generation), clock.instant());
        if (!generation.equals(status.getObservedGeneration())) {
            status.setObservedGeneration(generation);
            changed = true;
        }
        if (changed) {
            log.info("{} {}: Ready={} ({})", o.getKind(), o.getMetadata().getName(), problem == null, problem == null ? readyMessage : problem);
        }
        return changed;
    }
}
