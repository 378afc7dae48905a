package dev.agentbox.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * One committed change. {@code kind} is the store key (group/plural); for DELETED, the object as it was.
 * {@code previous} is the stored JSON of the object before the change (null for ADDED, and for DELETED the same object
 * as {@code object}); listeners share it and must not change it.
 */
public record StoreEvent(Type type, String kind, HasMetadata object, long revision, JsonNode previous) {
    public enum Type { ADDED, MODIFIED, DELETED }

    public StoreEvent(Type type, String kind, HasMetadata object, long revision) {
        this(type, kind, object, revision, null);
    }
}
