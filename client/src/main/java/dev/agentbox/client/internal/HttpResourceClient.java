package dev.agentbox.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.client.ApplyResult;
import dev.agentbox.client.ResourceClient;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Watch;
import dev.agentbox.client.WatchEvent;
import dev.agentbox.client.Watcher;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@link ResourceClient} over agentboxd's Kubernetes-style HTTP paths. */
public final class HttpResourceClient implements ResourceClient {
    private final Http http;
    private final String namespace;

    public HttpResourceClient(Http http, String namespace) {
        this.http = http;
        this.namespace = namespace;
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public ResourceClient inNamespace(String ns) {
        return new HttpResourceClient(http, ns);
    }

    static String collection(ResourceType type, String ns) {
        String prefix = type.group().isEmpty() ? "/api/" + type.version() : "/apis/" + type.group() + "/" + type.version();
        return ns == null ? prefix + "/" + type.plural() : prefix + "/namespaces/" + ns + "/" + type.plural();
    }

    private String nsOf(HasMetadata r) {
        String ns = r.getMetadata() == null ? null : r.getMetadata().getNamespace();
        return ns == null || ns.isBlank() ? namespace : ns;
    }

    private static String nameOf(HasMetadata r) {
        String name = r.getMetadata() == null ? null : r.getMetadata().getName();
        if (name == null || name.isBlank()) throw new InvalidException("metadata.name", "required");
        return name;
    }

    @Override
    public ApplyResult create(HasMetadata resource) {
        ResourceType type = ResourceType.of(resource);
        if (resource.getMetadata() == null || resource.getMetadata().getGenerateName() == null || resource.getMetadata().getGenerateName().isBlank()) {
            nameOf(resource); // a name, or generateName for the server to complete
        }
        ObjectNode body = Http.MAPPER.valueToTree(resource);
        Http.Response r = http.send("POST", collection(type, nsOf(resource)), Http.toJson(body), "application/json");
        return new ApplyResult(toGeneric(r.json()), ApplyResult.Action.CREATED, r.warnings());
    }

    @Override
    public ApplyResult apply(HasMetadata resource) {
        ResourceType type = ResourceType.of(resource);
        String name = nameOf(resource);
        String ns = nsOf(resource);
        for (int attempt = 0; ; attempt++) {
            Optional<GenericKubernetesResource> existing = inNamespace(ns).find(type, name);
            if (existing.isEmpty()) {
                try {
                    return create(resource);
                } catch (ConflictException e) {
                    if (attempt >= 2) throw e; // created by someone else meanwhile: replace it instead
                    continue;
                }
            }
            ObjectNode body = Http.MAPPER.valueToTree(resource);
            body.remove("status");
            ObjectNode meta = body.with("metadata");
            JsonNode current = Http.MAPPER.valueToTree(existing.get()).path("metadata");
            meta.put("namespace", ns);
            meta.put("resourceVersion", current.path("resourceVersion").asText(null));
            mergeMap(meta, current, "labels");
            mergeMap(meta, current, "annotations");
            try {
                Http.Response r = http.send("PUT", collection(type, ns) + "/" + name, Http.toJson(body), "application/json");
                return new ApplyResult(toGeneric(r.json()), ApplyResult.Action.CONFIGURED, r.warnings());
            } catch (ConflictException e) {
                if (attempt >= 2) throw e; // changed since we read it: read again and retry
            } catch (NotFoundException e) {
                if (attempt >= 2) throw e; // deleted since we read it: create it again
            }
        }
    }

    /** Keeps the server's existing labels/annotations; the manifest's values win. */
    private static void mergeMap(ObjectNode meta, JsonNode current, String field) {
        JsonNode cur = current.path(field);
        if (!cur.isObject() || cur.isEmpty()) return;
        ObjectNode merged = Http.MAPPER.createObjectNode();
        merged.setAll((ObjectNode) cur);
        if (meta.path(field).isObject()) merged.setAll((ObjectNode) meta.get(field));
        meta.set(field, merged);
    }

    @Override
    public GenericKubernetesResource get(ResourceType type, String name) {
        return toGeneric(http.send("GET", collection(type, namespace) + "/" + name, null, null).json());
    }

    @Override
    public Optional<GenericKubernetesResource> find(ResourceType type, String name) {
        try {
            return Optional.of(get(type, name));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<GenericKubernetesResource> list(ResourceType type, String labelSelector) {
        return listAt(collection(type, namespace), labelSelector);
    }

    @Override
    public List<GenericKubernetesResource> listAllNamespaces(ResourceType type, String labelSelector) {
        return listAt(collection(type, null), labelSelector);
    }

    private List<GenericKubernetesResource> listAt(String path, String labelSelector) {
        Map<String, String> q = new LinkedHashMap<>();
        if (labelSelector != null && !labelSelector.isBlank()) q.put("labelSelector", labelSelector);
        JsonNode list = http.send("GET", Http.path(path, q), null, null).json();
        List<GenericKubernetesResource> out = new ArrayList<>();
        for (JsonNode item : list.path("items")) out.add(toGeneric(item));
        return out;
    }

    @Override
    public GenericKubernetesResource delete(ResourceType type, String name) {
        Http.Response r = http.send("DELETE", collection(type, namespace) + "/" + name, null, null);
        return r.body().length == 0 ? null : toGeneric(r.json());
    }

    @Override
    public Watch watch(ResourceType type, String labelSelector, String name, Watcher watcher) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("watch", "true");
        if (labelSelector != null && !labelSelector.isBlank()) q.put("labelSelector", labelSelector);
        if (name != null) q.put("fieldSelector", "metadata.name=" + name);
        InputStream in = http.stream("GET", Http.path(collection(type, namespace), q), null, null);
        AtomicBoolean closed = new AtomicBoolean();
        Thread reader = Thread.ofVirtual().name("agentbox-watch-" + type.plural()).start(() -> {
            Throwable error = null;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while (!closed.get() && (line = lines.readLine()) != null) {
                    if (line.isBlank()) continue; // keep-alive
                    JsonNode event = Http.MAPPER.readTree(line);
                    GenericKubernetesResource object = toGeneric(event.path("object"));
                    if (name != null && object.getMetadata() != null && !name.equals(object.getMetadata().getName())) continue;
                    WatchEvent.Type t;
                    try {
                        t = WatchEvent.Type.valueOf(event.path("type").asText());
                    } catch (IllegalArgumentException e) {
                        continue; // BOOKMARK or a type this client does not know
                    }
                    watcher.onEvent(new WatchEvent(t, object));
                }
            } catch (IOException | RuntimeException e) {
                if (!closed.get()) error = e;
            } finally {
                watcher.onClose(error);
            }
        });
        return () -> {
            if (closed.compareAndSet(false, true)) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                reader.interrupt();
            }
        };
    }

    @Override
    public <T extends HasMetadata> T get(Class<T> type, String name) {
        return Http.MAPPER.convertValue(get(ResourceType.forClass(type), name), type);
    }

    @Override
    public <T extends HasMetadata> List<T> list(Class<T> type, String labelSelector) {
        return list(ResourceType.forClass(type), labelSelector).stream().map(g -> Http.MAPPER.convertValue(g, type)).toList();
    }

    static GenericKubernetesResource toGeneric(JsonNode node) {
        return Http.MAPPER.convertValue(node, GenericKubernetesResource.class);
    }
}
