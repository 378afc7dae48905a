package dev.agentbox.client.kubernetes;

import dev.agentbox.api.NotFoundException;
import dev.agentbox.client.ApplyResult;
import dev.agentbox.client.ResourceClient;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Watch;
import dev.agentbox.client.WatchEvent;
import dev.agentbox.client.Watcher;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Optional;

/** {@link ResourceClient} on the Kubernetes API server (fabric8 generic resources). */
public final class KubernetesResourceClient implements ResourceClient {
    private final KubernetesClient client;
    private final String namespace;

    public KubernetesResourceClient(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public ResourceClient inNamespace(String ns) {
        return new KubernetesResourceClient(client, ns);
    }

    private MixedOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList, Resource<GenericKubernetesResource>> op(ResourceType t) {
        return client.genericKubernetesResources(new ResourceDefinitionContext.Builder()
                .withGroup(t.group()).withVersion(t.version()).withKind(t.kind()).withPlural(t.plural()).withNamespaced(t.namespaced()).build());
    }

    private NonNamespaceOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList, Resource<GenericKubernetesResource>> inNs(ResourceType t) {
        return t.namespaced() ? op(t).inNamespace(namespace) : op(t);
    }

    private static GenericKubernetesResource generic(HasMetadata r) {
        return r instanceof GenericKubernetesResource g ? g : Serialization.unmarshal(Serialization.asJson(r), GenericKubernetesResource.class);
    }

    private GenericKubernetesResource prepared(HasMetadata resource) {
        GenericKubernetesResource g = generic(resource);
        if (ResourceType.of(resource).namespaced() && g.getMetadata().getNamespace() == null) g.getMetadata().setNamespace(namespace);
        return g;
    }

    @Override
    public ApplyResult create(HasMetadata resource) {
        ResourceType t = ResourceType.of(resource);
        GenericKubernetesResource g = prepared(resource);
        try {
            return new ApplyResult(op(t).inNamespace(ns(g)).resource(g).create(), ApplyResult.Action.CREATED, List.of());
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "create " + t.kind() + " " + name(g));
        }
    }

    @Override
    public ApplyResult apply(HasMetadata resource) {
        ResourceType t = ResourceType.of(resource);
        GenericKubernetesResource g = prepared(resource);
        try {
            GenericKubernetesResource existing = g.getMetadata().getName() == null ? null : op(t).inNamespace(ns(g)).withName(g.getMetadata().getName()).get();
            if (existing == null) return new ApplyResult(op(t).inNamespace(ns(g)).resource(g).create(), ApplyResult.Action.CREATED, List.of());
            existing.getMetadata().setLabels(g.getMetadata().getLabels());
            existing.getMetadata().setAnnotations(g.getMetadata().getAnnotations());
            existing.setAdditionalProperty("spec", g.getAdditionalProperties().get("spec"));
            return new ApplyResult(op(t).inNamespace(ns(g)).resource(existing).update(), ApplyResult.Action.CONFIGURED, List.of());
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "apply " + t.kind() + " " + name(g));
        }
    }

    private String ns(GenericKubernetesResource g) {
        return g.getMetadata().getNamespace() == null ? namespace : g.getMetadata().getNamespace();
    }

    private String name(GenericKubernetesResource g) {
        return ns(g) + "/" + (g.getMetadata().getName() != null ? g.getMetadata().getName() : g.getMetadata().getGenerateName() + "*");
    }

    @Override
    public GenericKubernetesResource get(ResourceType type, String name) {
        return find(type, name).orElseThrow(() -> new NotFoundException(type.kind() + " " + namespace + "/" + name + " not found"));
    }

    @Override
    public Optional<GenericKubernetesResource> find(ResourceType type, String name) {
        try {
            return Optional.ofNullable(inNs(type).withName(name).get());
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "get " + type.kind() + " " + namespace + "/" + name);
        }
    }

    @Override
    public List<GenericKubernetesResource> list(ResourceType type, String labelSelector) {
        try {
            var o = inNs(type);
            return (labelSelector == null || labelSelector.isBlank() ? o.list() : o.withLabelSelector(labelSelector).list()).getItems();
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "list " + type.plural());
        }
    }

    @Override
    public List<GenericKubernetesResource> listAllNamespaces(ResourceType type, String labelSelector) {
        try {
            var o = op(type).inAnyNamespace();
            return (labelSelector == null || labelSelector.isBlank() ? o.list() : o.withLabelSelector(labelSelector).list()).getItems();
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "list " + type.plural());
        }
    }

    @Override
    public GenericKubernetesResource delete(ResourceType type, String name) {
        GenericKubernetesResource existing = get(type, name);
        try {
            inNs(type).withName(name).delete();
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "delete " + type.kind() + " " + namespace + "/" + name);
        }
        return existing;
    }

    @Override
    public Watch watch(ResourceType type, String labelSelector, String name, Watcher watcher) {
        io.fabric8.kubernetes.client.Watcher<GenericKubernetesResource> w = new io.fabric8.kubernetes.client.Watcher<>() {
            @Override
            public void eventReceived(Action action, GenericKubernetesResource resource) {
                WatchEvent.Type t = switch (action) {
                    case ADDED -> WatchEvent.Type.ADDED;
                    case MODIFIED -> WatchEvent.Type.MODIFIED;
                    case DELETED -> WatchEvent.Type.DELETED;
                    default -> null;
                };
                if (t != null) watcher.onEvent(new WatchEvent(t, resource));
            }

            @Override
            public void onClose(WatcherException cause) {
                watcher.onClose(cause);
            }

            @Override
            public void onClose() {
                watcher.onClose(null);
            }
        };
        try {
            var o = inNs(type);
            io.fabric8.kubernetes.client.Watch handle;
            if (name != null) handle = o.withName(name).watch(w);
            else if (labelSelector != null && !labelSelector.isBlank()) handle = o.withLabelSelector(labelSelector).watch(w);
            else handle = o.watch(w);
            return handle::close;
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "watch " + type.plural());
        }
    }

    @Override
    public <T extends HasMetadata> T get(Class<T> type, String name) {
        try {
            T found = client.resources(type).inNamespace(namespace).withName(name).get();
            if (found == null) throw new NotFoundException(HasMetadata.getKind(type) + " " + namespace + "/" + name + " not found");
            return found;
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "get " + HasMetadata.getKind(type) + " " + namespace + "/" + name);
        }
    }

    @Override
    public <T extends HasMetadata> List<T> list(Class<T> type, String labelSelector) {
        try {
            var o = client.resources(type).inNamespace(namespace);
            return (labelSelector == null || labelSelector.isBlank() ? o.list() : o.withLabelSelector(labelSelector).list()).getItems();
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "list " + HasMetadata.getPlural(type));
        }
    }
}
