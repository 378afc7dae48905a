package dev.agentbox.server.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** namespace/name of one object a controller reconciles. */
public record ObjectKey(String namespace, String name) {
    public static ObjectKey of(HasMetadata o) {
        return new ObjectKey(o.getMetadata().getNamespace(), o.getMetadata().getName());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
