package dev.agentbox.server.controller;

import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes objects whose owners are gone, as Kubernetes' garbage collector does with ownerReferences: an object is
 * orphaned when none of its owners exists any more with the referenced uid ({@link #orphaned}). It runs when an
 * owner is deleted ({@link #ownerDeleted}, the fast path), and as a sweep at start and periodically
 * ({@link #collectOrphans}), so a cascade cut off by a crash, or an object created by a controller just as its owner
 * went, is collected too. Each delete carries the resourceVersion it decided on, so an object adopted meanwhile (a
 * claim taking a pool member) is left alone.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
    /** Sweeps in one {@link #collectOrphans} call at most: deleting an owner can orphan its own dependents. */
    private static final int MAX_PASSES = 10;

    private final Store store;

    public GarbageCollector(Store store) {
        this.store = store;
    }

    /** The owner was deleted: its orphaned dependents go now (their own deletion events cascade further). */
    public void ownerDeleted(HasMetadata owner) {
        String uid = owner.getMetadata().getUid();
        String ns = owner.getMetadata().getNamespace();
        for (ResourceKind kind : ResourceKinds.all()) {
            for (HasMetadata child : store.listOwned(kind.type(), kind.namespaced() ? ns : "")) {
                if (child.getMetadata().getOwnerReferences().stream().anyMatch(r -> uid.equals(r.getUid()))) {
                    delete(kind, child, owner.getKind() + " " + owner.getMetadata().getName() + " was deleted");
                }
            }
        }
    }

    /** Deletes every orphaned object, again until a sweep finds none; returns how many were deleted. */
    public int collectOrphans() {
        int total = 0;
        for (int pass = 0; pass < MAX_PASSES; pass++) {
            int deleted = 0;
            for (ResourceKind kind : ResourceKinds.all()) {
                for (HasMetadata o : store.listOwned(kind.type(), null)) {
                    if (delete(kind, o, "its owners are gone")) deleted++;
                }
            }
            total += deleted;
            if (deleted == 0) break;
        }
        return total;
    }

    /**
     * True when the object has owners and none of them exists: each is looked up by kind and name in the object's
     * namespace (cluster-scoped kinds: cluster-wide) and must carry the referenced uid. An owner of a kind agentboxd does
     * not serve cannot be looked up and counts as present: what cannot be resolved is left alone.
     */
    boolean orphaned(HasMetadata o) {
        if (o.getMetadata().getOwnerReferences().isEmpty()) return false;
        for (OwnerReference ref : o.getMetadata().getOwnerReferences()) {
            Optional<ResourceKind> kind = ResourceKinds.byApiVersionAndKind(ref.getApiVersion(), ref.getKind());
            if (kind.isEmpty() || ref.getName() == null) return false;
            String ns = kind.get().namespaced() ? o.getMetadata().getNamespace() : "";
            boolean present = store.get(kind.get().type(), ns, ref.getName())
                    .map(owner -> owner.getMetadata().getUid().equals(ref.getUid())).orElse(false);
            if (present) return false;
        }
        return true;
    }

    /** Deletes the object if it is still orphaned: changed since it was read (a status write, an adoption), it is read and judged again. */
    private boolean delete(ResourceKind kind, HasMetadata o, String why) {
        String ns = kind.namespaced() ? o.getMetadata().getNamespace() : "";
        String name = o.getMetadata().getName();
        HasMetadata current = o;
        for (int attempt = 0; attempt < 3 && current != null && orphaned(current); attempt++) {
            if (store.delete(kind.type(), ns, name, current.getMetadata().getResourceVersion()).isPresent()) {
                log.info("{} {}/{} deleted: {}", o.getKind(), ns, name, why);
                return true;
            }
            current = store.get(kind.type(), ns, name).orElse(null);
        }
        return false;
    }
}
