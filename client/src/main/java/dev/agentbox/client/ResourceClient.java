package dev.agentbox.client;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Optional;

/**
 * Kubernetes-style access to any kind agentbox serves (create, apply, get, list, delete, watch), in
 * one namespace. Objects without a namespace go to {@link #namespace()}.
 */
public interface ResourceClient {

    String namespace();

    /** The same client working in another namespace. */
    ResourceClient inNamespace(String namespace);

    /** Creates the object; {@link dev.agentbox.api.ConflictException} if it exists. */
    ApplyResult create(HasMetadata resource);

    /** Creates the object, or replaces the spec, labels and annotations of the existing one (like kubectl apply). */
    ApplyResult apply(HasMetadata resource);

    /** @throws dev.agentbox.api.NotFoundException when there is no such object */
    GenericKubernetesResource get(ResourceType type, String name);

    Optional<GenericKubernetesResource> find(ResourceType type, String name);

    /** Objects of the kind whose labels match the selector ({@code a=b,c!=d,e}; null or empty: all). */
    List<GenericKubernetesResource> list(ResourceType type, String labelSelector);

    /** Objects of the kind in every namespace (admin token only). */
    List<GenericKubernetesResource> listAllNamespaces(ResourceType type, String labelSelector);

    /** Deletes the object and returns it as it was. */
    GenericKubernetesResource delete(ResourceType type, String name);

    /**
     * Watches the kind: first an ADDED event per existing matching object, then every change, until
     * closed. Events arrive on a background (virtual) thread.
     *
     * @param labelSelector null for all
     * @param name          only this object, or null for all
     */
    Watch watch(ResourceType type, String labelSelector, String name, Watcher watcher);

    /** Typed get, e.g. {@code get(SandboxClaim.class, "c1")}. */
    <T extends HasMetadata> T get(Class<T> type, String name);

    <T extends HasMetadata> List<T> list(Class<T> type, String labelSelector);
}
