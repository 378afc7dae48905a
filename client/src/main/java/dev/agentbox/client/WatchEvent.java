package dev.agentbox.client;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/** One change seen by a watch. */
public record WatchEvent(Type type, GenericKubernetesResource object) {
    public enum Type { ADDED, MODIFIED, DELETED }
}
