package dev.agentbox.server.store;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** One committed change. {@code kind} is the store key (group/plural); for DELETED, the object as it was. */
public record StoreEvent(Type type, String kind, HasMetadata object, long revision) {
    public enum Type { ADDED, MODIFIED, DELETED }
}
