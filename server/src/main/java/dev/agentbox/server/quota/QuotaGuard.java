package dev.agentbox.server.quota;

import dev.agentbox.api.QuotaExceededException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.server.config.DaemonSettings;
import dev.agentbox.server.snapshot.SnapshotService;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.util.Map;

/**
 * The quotas of {@link DaemonSettings.Quotas}, checked by the store under its write lock on every create and update
 * (a client's request and a controller's write alike), so concurrent requests cannot overrun them:
 * <ul>
 * <li>a new Sandbox counts against {@code sandboxes};
 * <li>a new SandboxWarmPool, or one whose {@code spec.replicas} grows, against {@code warmPoolReplicas} (the sum of replicas);
 * <li>a new PodSnapshot against {@code snapshots}, and it is refused while the snapshots' sizes already reach {@code snapshotBytes}.
 *     A suspend snapshot (the one snapshot of a live Sandbox being suspended) is not refused: refusing it would lose the
 *     sandbox's state, and there is at most one per Sandbox, which the sandbox quota bounds; it still counts.
 * </ul>
 * Each quota is checked for the namespace and for the daemon. Lowering a quota below what exists removes nothing; it
 * refuses growth until use is under the new limit.
 */
public final class QuotaGuard implements Store.WriteGuard {
    private final Store store;
    private final DaemonSettings.Quotas quotas;
    private final Path configFile;

    /** {@code configFile}: where the quotas can be raised, named in the refusal. */
    public QuotaGuard(Store store, DaemonSettings.Quotas quotas, Path configFile) {
        this.store = store;
        this.quotas = quotas;
        this.configFile = configFile;
    }

    @Override
    public void check(String namespace, HasMetadata object, boolean create) {
        switch (object) {
            case Sandbox s when create -> {
                check("sandboxes", namespace, store.count(Sandbox.class, namespace), 1, quotas.perNamespace().sandboxes(), "delete Sandboxes you no longer need");
                check("sandboxes", null, store.count(Sandbox.class, null), 1, quotas.daemon().sandboxes(), "delete Sandboxes you no longer need");
            }
            case SandboxWarmPool p -> checkReplicas(namespace, p, create);
            case PodSnapshot ps when create && !isSuspendSnapshot(namespace, ps) -> {
                String free = "delete PodSnapshots you no longer need (agentbox get podsnapshots -n " + namespace + ") or keep fewer with a retention policy";
                check("snapshots", namespace, store.count(PodSnapshot.class, namespace), 1, quotas.perNamespace().snapshots(), free);
                check("snapshots", null, store.count(PodSnapshot.class, null), 1, quotas.daemon().snapshots(), free);
                checkBytes(namespace, snapshotBytes(namespace), quotas.perNamespace().snapshotBytes(), free);
                checkBytes(null, snapshotBytes(null), quotas.daemon().snapshotBytes(), free);
            }
            default -> { }
        }
    }

    private void checkReplicas(String namespace, SandboxWarmPool pool, boolean create) {
        int wanted = pool.getSpec() == null ? 0 : pool.getSpec().effectiveReplicas();
        String name = pool.getMetadata().getName();
        if (!create) {
            int before = store.get(SandboxWarmPool.class, namespace, name).map(p -> p.getSpec().effectiveReplicas()).orElse(0);
            if (wanted <= before) return; // only growth is checked: lowering a quota does not lock existing pools
        }
        String what = "lower spec.replicas";
        check("warmPoolReplicas", namespace, replicasOfOtherPools(namespace, namespace, name), wanted, quotas.perNamespace().warmPoolReplicas(), what);
        check("warmPoolReplicas", null, replicasOfOtherPools(null, namespace, name), wanted, quotas.daemon().warmPoolReplicas(), what);
    }

    private long replicasOfOtherPools(String scope, String namespace, String name) {
        return store.list(SandboxWarmPool.class, scope).stream()
                .filter(p -> !(p.getMetadata().getNamespace().equals(namespace) && p.getMetadata().getName().equals(name)))
                .mapToLong(p -> p.getSpec() == null ? 0 : p.getSpec().effectiveReplicas()).sum();
    }

    private long snapshotBytes(String scope) {
        return store.list(PodSnapshot.class, scope).stream()
                .mapToLong(ps -> ps.getStatus() == null || ps.getStatus().getSizeBytes() == null ? 0 : ps.getStatus().getSizeBytes()).sum();
    }

    /** A suspend snapshot of a Sandbox that exists and has none yet (so the label cannot be used to dodge the quota). */
    private boolean isSuspendSnapshot(String namespace, PodSnapshot ps) {
        Map<String, String> labels = ps.getMetadata().getLabels();
        String uid = labels == null ? null : labels.get(SnapshotService.SUSPEND_OF_LABEL);
        if (uid == null) return false;
        boolean live = store.list(Sandbox.class, namespace).stream().anyMatch(s -> uid.equals(s.getMetadata().getUid()));
        return live && store.list(PodSnapshot.class, namespace, l -> uid.equals(l.get(SnapshotService.SUSPEND_OF_LABEL))).isEmpty();
    }

    private void check(String quota, String namespace, long used, long requested, long limit, String howToFree) {
        if (used + requested <= limit) return;
        throw new QuotaExceededException(name(quota, namespace) + (namespace == null ? " (all namespaces: " : " in namespace " + namespace + " (")
                + "used " + used + ", limit " + limit + ", requested " + requested + "); " + howToFree + ", or raise "
                + "quotas." + (namespace == null ? "daemon." : "perNamespace.") + quota + " in " + configFile + " and restart agentboxd");
    }

    private void checkBytes(String namespace, long used, DaemonSettings.ByteSize limit, String howToFree) {
        if (used < limit.bytes()) return;
        throw new QuotaExceededException(name("snapshotBytes", namespace) + (namespace == null ? " (all namespaces: " : " in namespace " + namespace + " (")
                + "used " + used + " bytes, limit " + limit + "); " + howToFree + ", or raise "
                + "quotas." + (namespace == null ? "daemon." : "perNamespace.") + "snapshotBytes in " + configFile + " and restart agentboxd");
    }

    private static String name(String quota, String namespace) {
        return "exceeded quota: " + (namespace == null ? "daemon." : "perNamespace.") + quota;
    }
}
