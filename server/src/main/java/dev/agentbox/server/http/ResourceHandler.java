package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.ForbiddenException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.Resources;
import dev.agentbox.api.Validation;
import dev.agentbox.server.Admission;
import dev.agentbox.server.auth.Principal;
import dev.agentbox.server.store.Store;
import dev.agentbox.server.store.StoreEvent;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Kubernetes-style CRUD, list and watch of one kind: {@code /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]}. */
final class ResourceHandler {
    private final Store store;
    private final Admission admission;
    private final ObjectMapper mapper;

    ResourceHandler(Store store, Admission admission, ObjectMapper mapper) {
        this.store = store;
        this.admission = admission;
        this.mapper = mapper;
    }

    void handle(HttpExchange ex, Principal who, ResourceKind kind, String namespace, String name) throws IOException {
        String ns = namespace;
        if (!io.fabric8.kubernetes.api.model.Namespaced.class.isAssignableFrom(kind.type())) {
            // cluster-scoped (PodSnapshotStorageConfig): /apis/{group}/{version}/{plural}[/{name}], admin token only;
            // a namespace in the path is ignored, as kubectl does for cluster-scoped kinds
            if (!who.admin()) throw new ForbiddenException(kind.kind() + " is cluster-scoped: it needs the admin token");
            ns = "";
        }
        handleIn(ex, who, kind, ns, name);
    }

    private void handleIn(HttpExchange ex, Principal who, ResourceKind kind, String ns, String name) throws IOException {
        String method = ex.getRequestMethod();
        Map<String, String> q = HttpIO.query(ex);
        if (ns == null && !who.admin()) throw new ForbiddenException("listing across namespaces needs the admin token; add -n NAMESPACE");
        if (ns != null && !who.mayAccess(ns)) throw new ForbiddenException("token " + who.name() + " may not access namespace " + ns);
        if (name == null) {
            switch (method) {
                case "GET" -> {
                    if (Boolean.parseBoolean(q.get("watch"))) watch(ex, kind, ns, q);
                    else list(ex, kind, ns, q);
                }
                case "POST" -> create(ex, who, kind, ns);
                default -> throw new InvalidException("method " + method + " not allowed on a collection; use GET or POST");
            }
            return;
        }
        switch (method) {
            case "GET" -> HttpIO.json(ex, 200, mapper, store.get(kind.type(), ns, name)
                    .orElseThrow(() -> notFound(kind, ns, name)));
            case "PUT" -> replace(ex, who, kind, ns, name);
            case "DELETE" -> {
                HasMetadata deleted = store.delete(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name));
                HttpIO.json(ex, 200, mapper, deleted);
            }
            default -> throw new InvalidException("method " + method + " not allowed on an object; use GET, PUT or DELETE");
        }
    }

    private void create(HttpExchange ex, Principal who, ResourceKind kind, String ns) throws IOException {
        HasMetadata object = decode(ex, kind, ns, null);
        List<String> warnings = admission.admit(object);
        HasMetadata created = store.create(object);
        warn(ex, warnings);
        HttpIO.json(ex, 201, mapper, created);
    }

    private void replace(HttpExchange ex, Principal who, ResourceKind kind, String ns, String name) throws IOException {
        HasMetadata object = decode(ex, kind, ns, name);
        List<String> warnings = admission.admit(object);
        HasMetadata updated = store.update(object);
        warn(ex, warnings);
        HttpIO.json(ex, 200, mapper, updated);
    }

    /** Parses the body as this kind, checks it against the URL, and validates it. */
    private HasMetadata decode(HttpExchange ex, ResourceKind kind, String ns, String name) throws IOException {
        String body = new String(HttpIO.body(ex), StandardCharsets.UTF_8);
        List<HasMetadata> objects = Resources.parseAll(body);
        if (objects.size() != 1) throw new InvalidException("request body must hold exactly one object, found " + objects.size());
        HasMetadata object = objects.get(0);
        if (!kind.type().isInstance(object)) {
            throw new InvalidException("kind", object.getKind() + " sent to the " + kind.plural() + " endpoint; send it to its own kind's path");
        }
        String bodyNs = object.getMetadata().getNamespace();
        if (bodyNs != null && !bodyNs.isEmpty() && !bodyNs.equals(ns) && !"".equals(ns)) {
            throw new InvalidException("metadata.namespace", bodyNs + " does not match the namespace in the URL (" + ns + ")");
        }
        object.getMetadata().setNamespace(ns == null || ns.isEmpty() ? null : ns);
        if (name != null) {
            if (object.getMetadata().getName() == null) object.getMetadata().setName(name);
            if (!name.equals(object.getMetadata().getName())) {
                throw new InvalidException("metadata.name", object.getMetadata().getName() + " does not match the name in the URL (" + name + ")");
            }
        }
        Validation.check(object);
        return object;
    }

    private void list(HttpExchange ex, ResourceKind kind, String ns, Map<String, String> q) throws IOException {
        Predicate<Map<String, String>> selector = LabelSelector.parse(q.get("labelSelector"));
        long revision = store.revision();
        ObjectNode list = mapper.createObjectNode();
        list.put("apiVersion", kind.apiVersion());
        list.put("kind", kind.kind() + "List");
        list.putObject("metadata").put("resourceVersion", Long.toString(revision));
        ArrayNode items = list.putArray("items");
        for (HasMetadata o : store.list(kind.type(), ns, selector)) {
            if (fieldMatch(q.get("fieldSelector"), o)) items.add(mapper.valueToTree(o));
        }
        HttpIO.json(ex, 200, mapper, list);
    }

    /**
     * Streams events of this kind as NDJSON until the client disconnects. Without a resourceVersion it
     * begins with an ADDED event per existing object. Subscribes before listing so nothing falls in between.
     */
    private void watch(HttpExchange ex, ResourceKind kind, String ns, Map<String, String> q) throws IOException {
        Predicate<Map<String, String>> selector = LabelSelector.parse(q.get("labelSelector"));
        String fieldSelector = q.get("fieldSelector");
        String kindKey = Store.kindKey(kind.type());
        LinkedBlockingQueue<StoreEvent> events = new LinkedBlockingQueue<>();
        try (AutoCloseable subscription = store.watch(e -> {
            if (e.kind().equals(kindKey)) events.add(e);
        })) {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            long since;
            if (q.containsKey("resourceVersion") && !q.get("resourceVersion").isEmpty()) {
                since = parseRevision(q.get("resourceVersion"));
            } else {
                since = store.revision();
                for (HasMetadata o : store.list(kind.type(), ns, selector)) {
                    if (fieldMatch(fieldSelector, o)) send(out, "ADDED", o);
                }
            }
            out.flush();
            while (true) {
                StoreEvent e = events.poll(30, TimeUnit.SECONDS);
                if (e == null) {
                    out.write('\n'); // a blank keep-alive line; lets us notice a client that went away
                    out.flush();
                    continue;
                }
                if (e.revision() <= since) continue;
                HasMetadata o = e.object();
                String objectNs = o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace();
                if (ns != null && !ns.equals(objectNs)) continue;
                Map<String, String> labels = o.getMetadata().getLabels();
                if (!selector.test(labels == null ? Map.of() : labels) || !fieldMatch(fieldSelector, o)) continue;
                send(out, e.type().name(), o);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the client closed the watch
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            ex.close();
        }
    }

    private void send(OutputStream out, String type, HasMetadata o) throws IOException {
        ObjectNode event = mapper.createObjectNode();
        event.put("type", type);
        event.set("object", mapper.valueToTree(o));
        out.write(mapper.writeValueAsBytes(event));
        out.write('\n');
    }

    /** Supports the field selectors clients need: metadata.name=X and metadata.namespace=X. */
    private static boolean fieldMatch(String fieldSelector, HasMetadata o) {
        if (fieldSelector == null || fieldSelector.isBlank()) return true;
        for (String term : fieldSelector.split(",")) {
            String[] kv = term.split("==?", 2);
            if (kv.length != 2) throw new InvalidException("fieldSelector", "use metadata.name=NAME or metadata.namespace=NS");
            String actual = switch (kv[0].trim()) {
                case "metadata.name" -> o.getMetadata().getName();
                case "metadata.namespace" -> o.getMetadata().getNamespace();
                default -> throw new InvalidException("fieldSelector", kv[0] + " is not supported; use metadata.name or metadata.namespace");
            };
            if (!kv[1].trim().equals(actual)) return false;
        }
        return true;
    }

    private static long parseRevision(String rv) {
        try {
            return Long.parseLong(rv);
        } catch (NumberFormatException e) {
            throw new InvalidException("resourceVersion", rv + " is not a resourceVersion from this server");
        }
    }

    private static void warn(HttpExchange ex, List<String> warnings) {
        for (String w : warnings) {
            ex.getResponseHeaders().add("Warning", "299 - \"" + w.replace("\"", "'") + "\"");
        }
    }

    private static NotFoundException notFound(ResourceKind kind, String ns, String name) {
        return new NotFoundException(kind.kind() + " " + ns + "/" + name + " not found; list them with `agentbox get " + kind.plural() + " -n " + ns + "`");
    }
}
