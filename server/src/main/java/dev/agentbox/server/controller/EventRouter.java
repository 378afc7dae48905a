package dev.agentbox.server.controller;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import dev.agentbox.server.store.Store;
import dev.agentbox.server.store.StoreEvent;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns store changes into controller work (which keys to reconcile) and hands deletions to the garbage
 * collector (ownerReferences, as Kubernetes does). Runs outside the store's lock: events are handed to one
 * thread, so their order is kept.
 */
public final class EventRouter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventRouter.class);
    private final Store store;
    private final WorkQueue sandboxes;
    private final WorkQueue claims;
    private final WorkQueue pools;
    private final WorkQueue snapshotConfigs;
    private final ClaimController claimController;
    private final GarbageCollector gc;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("event-router").factory());
    private final AutoCloseable subscription;

    /** {@code snapshotConfigs}: the {@link dev.agentbox.server.snapshot.SnapshotConfigController}'s queue (storage configs have namespace ""). */
    public EventRouter(Store store, WorkQueue sandboxes, WorkQueue claims, WorkQueue pools, WorkQueue snapshotConfigs,
                       ClaimController claimController, GarbageCollector gc) {
        this.store = store;
        this.sandboxes = sandboxes;
        this.claims = claims;
        this.pools = pools;
        this.snapshotConfigs = snapshotConfigs;
        this.claimController = claimController;
        this.gc = gc;
        this.subscription = store.watch(event -> {
            Instant at = Instant.now();
            if (event.object() instanceof SandboxClaim c && event.type() == StoreEvent.Type.ADDED) claimController.observeCreated(c, at);
            thread.execute(() -> route(event));
        });
    }

    /** Enqueues every object once: at start-up and as a periodic level-based resync. */
    public void resyncAll() {
        store.list(Sandbox.class, null).forEach(s -> sandboxes.enqueue(ObjectKey.of(s)));
        store.list(SandboxClaim.class, null).forEach(c -> claims.enqueue(ObjectKey.of(c)));
        store.list(SandboxWarmPool.class, null).forEach(p -> pools.enqueue(ObjectKey.of(p)));
        store.list(PodSnapshotStorageConfig.class, null).forEach(c -> snapshotConfigs.enqueue(new ObjectKey("", c.getMetadata().getName())));
        store.list(PodSnapshotPolicy.class, null).forEach(p -> snapshotConfigs.enqueue(ObjectKey.of(p)));
    }

    private void route(StoreEvent event) {
        try {
            HasMetadata o = event.object();
            String ns = o.getMetadata().getNamespace();
            switch (o) {
                case Sandbox s -> {
                    sandboxes.enqueue(ObjectKey.of(s));
                    for (OwnerReference ref : s.getMetadata().getOwnerReferences()) {
                        if ("SandboxClaim".equals(ref.getKind())) claims.enqueue(new ObjectKey(ns, ref.getName()));
                    }
                    // a claim taking a member removes the pool's label and owner: tell every pool in the namespace
                    store.list(SandboxWarmPool.class, ns).forEach(p -> pools.enqueue(ObjectKey.of(p)));
                }
                case SandboxClaim c -> claims.enqueue(ObjectKey.of(c));
                case SandboxWarmPool p -> {
                    pools.enqueue(ObjectKey.of(p));
                    store.list(SandboxClaim.class, ns).stream()
                            .filter(c -> c.getSpec().getWarmPoolRef() != null && p.getMetadata().getName().equals(c.getSpec().getWarmPoolRef().getName()))
                            .filter(c -> c.getStatus() == null || c.getStatus().getSandbox() == null)
                            .forEach(c -> claims.enqueue(ObjectKey.of(c)));
                }
                case SandboxTemplate t -> store.list(SandboxWarmPool.class, ns).stream()
                        .filter(p -> p.getSpec().getSandboxTemplateRef() != null && t.getMetadata().getName().equals(p.getSpec().getSandboxTemplateRef().getName()))
                        .forEach(p -> pools.enqueue(ObjectKey.of(p)));
                case PodSnapshotStorageConfig c -> {
                    snapshotConfigs.enqueue(new ObjectKey("", c.getMetadata().getName()));
                    store.list(PodSnapshotPolicy.class, null).stream()
                            .filter(p -> c.getMetadata().getName().equals(p.getSpec().getStorageConfigName()))
                            .forEach(p -> snapshotConfigs.enqueue(ObjectKey.of(p)));
                }
                case PodSnapshotPolicy p -> snapshotConfigs.enqueue(ObjectKey.of(p));
                // a sandbox waiting for a ConfigMap or Secret (CreateContainerConfigError) starts once it exists
                case io.fabric8.kubernetes.api.model.ConfigMap cm -> waitingForConfig(ns);
                case io.fabric8.kubernetes.api.model.Secret sec -> waitingForConfig(ns);
                default -> { }
            }
            // an Event owns nothing (and the event TTL deletes many): no dependents to look for
            if (event.type() == StoreEvent.Type.DELETED && !(o instanceof io.fabric8.kubernetes.api.model.Event)) gc.ownerDeleted(o);
        } catch (RuntimeException e) {
            log.warn("routing {} {}: {}", event.type(), event.kind(), e.toString());
        }
    }

    private void waitingForConfig(String ns) {
        for (Sandbox s : store.list(Sandbox.class, ns)) {
            var ready = dev.agentbox.api.Conditions.get(s.getStatus(), dev.agentbox.api.Conditions.READY).orElse(null);
            if (ready != null && dev.agentbox.server.sandbox.ConfigMissingException.REASON.equals(ready.getReason())) sandboxes.enqueue(ObjectKey.of(s));
        }
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            log.debug("unsubscribe", e);
        }
        thread.shutdownNow();
    }
}
