package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.ForbiddenException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.Resources;
import dev.agentbox.api.UnauthorizedException;
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
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;

/** Kubernetes-style CRUD, list and watch of one kind: {@code /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]}. */
final class ResourceHandler {
    /** A blank line is written after this long without events: it lets the watch notice a client that went away. */
    private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** How often a watch checks that its token is still valid (a revoked one ends the watch). */
    private static final long AUTH_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Store store;
    private final Admission admission;
    private final ObjectMapper mapper;
    /** Table output of list and get, when the client asks for it (kubectl get). */
    private final TableWriter tables;

    ResourceHandler(Store store, Admission admission, ObjectMapper mapper) {
        this.store = store;
        this.admission = admission;
        this.mapper = mapper;
        this.tables = new TableWriter(mapper);
    }

    void handle(HttpExchange ex, Principal who, ResourceKind kind, String namespace, String name, BooleanSupplier stillAuthorized)
            throws IOException {
        String ns = namespace;
        if (!io.fabric8.kubernetes.api.model.Namespaced.class.isAssignableFrom(kind.type())) {
            // cluster-scoped (PodSnapshotStorageConfig): /apis/{group}/{version}/{plural}[/{name}], admin token only;
            // a namespace in the path is ignored, as kubectl does for cluster-scoped kinds
            if (!who.admin()) throw new ForbiddenException(kind.kind() + " is cluster-scoped: it needs the admin token");
            ns = "";
        }
        handleIn(ex, who, kind, ns, name, stillAuthorized);
    }

    private void handleIn(HttpExchange ex, Principal who, ResourceKind kind, String ns, String name, BooleanSupplier stillAuthorized)
            throws IOException {
        String method = ex.getRequestMethod();
        if (ns == null && !who.admin()) throw new ForbiddenException("listing across namespaces needs the admin token; add -n NAMESPACE");
        if (ns != null && !who.mayAccess(ns)) throw new ForbiddenException("token " + who.name() + " may not access namespace " + ns);
        if (ns == null) {
            // a namespaced kind without /namespaces/{ns}/: as in Kubernetes, only the list (and watch) across namespaces
            // lives here. A create or replace here would land in "default" (the store's fallback) while a get or delete of
            // the same path finds nothing.
            if (name != null) {
                throw new NotFoundException(kind.kind() + " is namespaced: use /apis/" + kind.apiVersion() + "/namespaces/NAMESPACE/"
                        + kind.plural() + "/" + name);
            }
            HttpIO.requireMethod(ex, "the list of " + kind.plural() + " across namespaces (create in /apis/" + kind.apiVersion()
                    + "/namespaces/NAMESPACE/" + kind.plural() + ")", "GET");
        }
        if (name == null) {
            HttpIO.requireMethod(ex, "a collection of " + kind.plural(), "GET", "POST");
            if (method.equals("POST")) {
                create(ex, who, kind, ns);
                return;
            }
            // every parameter is checked before the answer starts: a watch cannot report an error once it has begun
            ListQuery q = ListQuery.parse(HttpIO.query(ex));
            if (q.watch()) watch(ex, kind, ns, q, who, stillAuthorized);
            else list(ex, kind, ns, q);
            return;
        }
        if (method.equals("PATCH")) {
            throw new HttpIO.MethodNotAllowed("PATCH is not supported yet; replace the object with PUT (send the whole object, "
                    + "e.g. from `agentbox get " + kind.plural() + " " + name + " -o yaml`) or use `agentbox apply -f FILE`", "GET", "PUT", "DELETE");
        }
        HttpIO.requireMethod(ex, "a " + kind.kind(), "GET", "PUT", "DELETE");
        switch (method) {
            case "GET" -> {
                HasMetadata object = store.get(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name));
                if (!tables.writeObjectIfAsked(ex, kind, object)) HttpIO.json(ex, 200, mapper, object);
            }
            case "PUT" -> replace(ex, who, kind, ns, name);
            case "DELETE" -> {
                HasMetadata deleted = store.delete(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name));
                HttpIO.json(ex, 200, mapper, deleted);
            }
            default -> throw new IllegalStateException("unreachable: the method was checked");
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
        String body = new String(HttpIO.body(ex), StandardCharsets.UTF_8); // at most HttpIO.MAX_REQUEST_BYTES
        List<HasMetadata> objects = Resources.parseAll(body);
        if (objects.size() != 1) throw new InvalidException("request body must hold exactly one object, found " + objects.size());
        HasMetadata object = objects.get(0);
        if (!kind.type().isInstance(object)) {
            throw new InvalidException("kind", object.getKind() + " sent to the " + kind.plural() + " endpoint; send it to its own kind's path");
        }
        // "metadata": null parses to no metadata at all: treat it as empty, so the checks below and Validation name what
        // is missing (it was a NullPointerException, a 500)
        if (object.getMetadata() == null) object.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
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

    private void list(HttpExchange ex, ResourceKind kind, String ns, ListQuery q) throws IOException {
        long revision = store.revision();
        ObjectNode list = mapper.createObjectNode();
        list.put("apiVersion", kind.apiVersion());
        list.put("kind", kind.kind() + "List");
        list.putObject("metadata").put("resourceVersion", Long.toString(revision));
        ArrayNode items = list.putArray("items");
        for (HasMetadata o : store.list(kind.type(), ns, q.labels())) {
            if (q.fields().test(o)) items.add(mapper.valueToTree(o));
        }
        if (tables.writeListIfAsked(ex, kind, list)) return;
        HttpIO.json(ex, 200, mapper, list);
    }

    /**
     * Streams events of this kind as NDJSON until the client disconnects, {@code timeoutSeconds} pass, or the token is
     * revoked (then a last ERROR event says so). Without a resourceVersion (or with "0") it begins with an ADDED event
     * per existing object. Subscribes before listing so nothing falls in between.
     */
    private void watch(HttpExchange ex, ResourceKind kind, String ns, ListQuery q, Principal who, BooleanSupplier stillAuthorized)
            throws IOException {
        String kindKey = Store.kindKey(kind.type());
        LinkedBlockingQueue<StoreEvent> events = new LinkedBlockingQueue<>();
        AutoCloseable subscription = store.watch(e -> {
            if (e.kind().equals(kindKey)) events.add(e);
        });
        try {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            long since;
            if (q.resourceVersion() != null && q.resourceVersion() > 0) {
                since = q.resourceVersion();
            } else {
                since = store.revision();
                for (HasMetadata o : store.list(kind.type(), ns, q.labels())) {
                    if (q.fields().test(o)) send(out, "ADDED", mapper.valueToTree(o));
                }
            }
            out.flush();
            long now = System.nanoTime();
            boolean timed = q.timeoutSeconds() != null && q.timeoutSeconds() > 0; // 0, as absent: no timeout
            long deadline = timed ? now + TimeUnit.SECONDS.toNanos(q.timeoutSeconds()) : 0;
            long lastWrite = now;
            long lastAuthCheck = now;
            while (true) {
                // wake at least once a second, to see a revoked token or the deadline within about a second
                StoreEvent e = events.poll(1, TimeUnit.SECONDS);
                now = System.nanoTime();
                if (timed && now - deadline >= 0) return;
                if (now - lastAuthCheck >= AUTH_CHECK_NANOS) {
                    lastAuthCheck = now;
                    if (!stillAuthorized.getAsBoolean()) {
                        send(out, "ERROR", HttpIO.status(mapper, new UnauthorizedException("token " + who.name()
                                + " was revoked; the watch ends"), kind.kind(), null));
                        out.flush();
                        return;
                    }
                }
                if (e == null) {
                    if (now - lastWrite >= KEEP_ALIVE_NANOS) {
                        out.write('\n'); // a blank keep-alive line; lets us notice a client that went away
                        out.flush();
                        lastWrite = now;
                    }
                    continue;
                }
                if (e.revision() <= since) continue;
                HasMetadata o = e.object();
                String objectNs = o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace();
                if (ns != null && !ns.equals(objectNs)) continue;
                Map<String, String> labels = o.getMetadata().getLabels();
                if (!q.labels().test(labels == null ? Map.of() : labels) || !q.fields().test(o)) continue;
                send(out, e.type().name(), mapper.valueToTree(o));
                out.flush();
                lastWrite = now;
            }
        } catch (IOException | InterruptedException e) {
            // the client closed the watch, or the daemon is stopping
        } finally {
            try {
                subscription.close();
            } catch (Exception ignored) {
                // Store's handle only removes the listener
            }
            ex.close();
        }
    }

    private void send(OutputStream out, String type, JsonNode object) throws IOException {
        ObjectNode event = mapper.createObjectNode();
        event.put("type", type);
        event.set("object", object);
        out.write(mapper.writeValueAsBytes(event));
        out.write('\n');
    }

    /**
     * The parameters of a list or watch, all checked up front (a malformed one is a 400). {@code limit} is accepted
     * and checked, but a list always returns every item (Kubernetes allows a server to ignore it).
     */
    record ListQuery(boolean watch, Long resourceVersion, Long timeoutSeconds, Predicate<Map<String, String>> labels,
                     Predicate<HasMetadata> fields) {
        static ListQuery parse(Map<String, String> q) {
            Predicate<Map<String, String>> labels;
            try {
                labels = LabelSelector.parse(q.get("labelSelector"));
            } catch (InvalidException e) {
                throw new HttpIO.BadRequest(e.getMessage());
            }
            String rv = q.get("resourceVersion");
            Long resourceVersion = null;
            if (rv != null && !rv.isEmpty()) {
                try {
                    resourceVersion = Long.parseLong(rv);
                } catch (NumberFormatException e) {
                    // reported below
                }
                if (resourceVersion == null || resourceVersion < 0) {
                    throw new HttpIO.BadRequest("resourceVersion=" + rv + " is not a resourceVersion from this server; "
                            + "use the metadata.resourceVersion of a list, or leave it out");
                }
            }
            HttpIO.countParam(q, "limit");
            return new ListQuery(HttpIO.booleanParam(q, "watch", false), resourceVersion, HttpIO.countParam(q, "timeoutSeconds"),
                    labels, fieldSelector(q.get("fieldSelector")));
        }

        /** The field selectors clients need: metadata.name and metadata.namespace, with =, == or !=, comma-joined. */
        private static Predicate<HasMetadata> fieldSelector(String selector) {
            Predicate<HasMetadata> all = o -> true;
            if (selector == null || selector.isBlank()) return all;
            for (String term : selector.split(",")) {
                int ne = term.indexOf("!=");
                int eq = term.indexOf('=');
                if (eq <= 0 && ne <= 0) throw badFieldSelector(selector);
                int split = ne > 0 ? ne : eq;
                String field = term.substring(0, split).trim();
                String value = term.substring(ne > 0 ? ne + 2 : term.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
                Function<HasMetadata, String> getter = switch (field) {
                    case "metadata.name" -> o -> o.getMetadata().getName();
                    case "metadata.namespace" -> o -> o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace();
                    default -> throw badFieldSelector(selector);
                };
                boolean equal = ne <= 0;
                all = all.and(o -> value.equals(getter.apply(o)) == equal);
            }
            return all;
        }

        private static HttpIO.BadRequest badFieldSelector(String selector) {
            return new HttpIO.BadRequest("fieldSelector=" + selector + " is not supported; use metadata.name=NAME or metadata.namespace=NS "
                    + "(also == and !=), joined by commas");
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
