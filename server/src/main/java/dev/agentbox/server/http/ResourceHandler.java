package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.FieldError;
import dev.agentbox.api.ForbiddenException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.Resources;
import dev.agentbox.api.UnauthorizedException;
import dev.agentbox.api.Validation;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.server.Admission;
import dev.agentbox.server.auth.Principal;
import dev.agentbox.server.store.ExpiredException;
import dev.agentbox.server.store.Store;
import dev.agentbox.server.store.StoreEvent;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Kubernetes-style verbs on one kind, as kube-apiserver serves a custom resource:
 * {@code /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}[/status|/scale]]}: create, get, list, watch, replace,
 * patch (JSON merge patch, JSON patch, server-side apply), delete, deletecollection, dry-run, managedFields, and the
 * status (read-only: status is agentboxd's) and scale (SandboxWarmPool) subresources. See docs/http-api.md.
 */
final class ResourceHandler {
    /**
     * The longest a watch lasts (as kube-apiserver's --min-request-timeout, 1800 s); clients watch again from their last
     * resourceVersion. Nothing but events is written (a blank keep-alive line broke fabric8's watch: it parses every
     * line as an event), so a client that went away without closing is noticed at its next event, a bookmark, or here.
     */
    static final long MAX_WATCH_NANOS = TimeUnit.MINUTES.toNanos(30);
    /** How often a watch checks that its token is still valid (a revoked one ends the watch). */
    private static final long AUTH_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * How often a watch with {@code allowWatchBookmarks=true} gets a BOOKMARK event (one more comes when its
     * {@code timeoutSeconds} end it). Kubernetes sends about one a minute; tests shorten it.
     */
    static volatile long bookmarkIntervalMillis = TimeUnit.SECONDS.toMillis(30);
    /**
     * Events a watch may hold for a client that reads slower than they come; past it the watch ends (as Kubernetes ends
     * a watcher that does not keep up) and the client watches again from the last resourceVersion it got.
     */
    static final int MAX_QUEUED_EVENTS = 10_000;
    /** Retries of a patch or apply whose object changed between its read and its write (Kubernetes' GuaranteedUpdate). */
    private static final int MAX_ATTEMPTS = 5;
    static final String MERGE_PATCH = "application/merge-patch+json";
    static final String JSON_PATCH = "application/json-patch+json";
    static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
    static final String APPLY_PATCH = "application/apply-patch+yaml";

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
        handle(ex, who, kind, namespace, name, null, stillAuthorized);
    }

    /** {@code subresource}: null for the object itself, else the path segment after its name ("status", "scale"). */
    void handle(HttpExchange ex, Principal who, ResourceKind kind, String namespace, String name, String subresource,
                BooleanSupplier stillAuthorized) throws IOException {
        String ns = namespace;
        if (!io.fabric8.kubernetes.api.model.Namespaced.class.isAssignableFrom(kind.type())) {
            // cluster-scoped (PodSnapshotStorageConfig): /apis/{group}/{version}/{plural}[/{name}], admin token only;
            // a namespace in the path is ignored, as kubectl does for cluster-scoped kinds
            if (!who.admin()) throw new ForbiddenException(kind.kind() + " is cluster-scoped: it needs the admin token");
            ns = "";
        }
        handleIn(ex, who, kind, ns, name, subresource, stillAuthorized);
    }

    private void handleIn(HttpExchange ex, Principal who, ResourceKind kind, String ns, String name, String subresource,
                          BooleanSupplier stillAuthorized) throws IOException {
        String method = ex.getRequestMethod();
        if (ns == null && !who.admin()) throw new ForbiddenException("listing across namespaces needs the admin token; add -n NAMESPACE");
        if (ns != null && !who.mayAccess(ns)) throw new ForbiddenException("token " + who.name() + " may not access namespace " + ns);
        if (ns == null) {
            // a namespaced kind without /namespaces/{ns}/: as in Kubernetes, only the list (and watch) across namespaces
            // lives here. A create or replace here would land in "default" (the store's fallback) while a get or delete of
            // the same path finds nothing.
            if (name != null) {
                throw new NotFoundException(kind.kind() + " is namespaced: use /apis/" + kind.apiVersion() + "/namespaces/NAMESPACE/"
                        + kind.plural() + "/" + name + (subresource == null ? "" : "/" + subresource));
            }
            HttpIO.requireMethod(ex, "the list of " + kind.plural() + " across namespaces (create in /apis/" + kind.apiVersion()
                    + "/namespaces/NAMESPACE/" + kind.plural() + ")", "GET");
        }
        if (name == null) {
            HttpIO.requireMethod(ex, "a collection of " + kind.plural(), "GET", "POST", "DELETE");
            switch (method) {
                case "POST" -> create(ex, kind, ns);
                case "DELETE" -> deleteCollection(ex, kind, ns);
                default -> {
                    // every parameter is checked before the answer starts: a watch cannot report an error once it has begun
                    ListQuery q = ListQuery.parse(HttpIO.query(ex));
                    if (q.watch()) watch(ex, kind, ns, q, who, stillAuthorized);
                    else list(ex, kind, ns, q);
                }
            }
            return;
        }
        if (subresource != null) {
            switch (subresource) {
                case "status" -> status(ex, kind, ns, name);
                case "scale" -> {
                    if (kind.type() != SandboxWarmPool.class) throw noSubresource(kind, subresource);
                    scale(ex, kind, ns, name);
                }
                default -> throw noSubresource(kind, subresource);
            }
            return;
        }
        HttpIO.requireMethod(ex, "a " + kind.kind(), "GET", "PUT", "PATCH", "DELETE");
        switch (method) {
            case "GET" -> {
                HasMetadata object = store.get(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name));
                if (!tables.writeObjectIfAsked(ex, kind, object)) HttpIO.json(ex, 200, mapper, object);
            }
            case "PUT" -> replace(ex, kind, ns, name);
            case "PATCH" -> patch(ex, kind, ns, name);
            case "DELETE" -> delete(ex, kind, ns, name);
            default -> throw new IllegalStateException("unreachable: the method was checked");
        }
    }

    private static NotFoundException noSubresource(ResourceKind kind, String subresource) {
        return new NotFoundException(kind.kind() + " has no " + subresource + " subresource"
                + (kind.type() == SandboxWarmPool.class ? "; it has status and scale" : "; it has status"));
    }

    // ------------------------------------------------------------------ create, replace, delete

    private void create(HttpExchange ex, ResourceKind kind, String ns) throws IOException {
        WriteOptions o = WriteOptions.parse(ex, false);
        ClaimWait wait = ClaimWait.parse(HttpIO.query(ex), kind, o.dryRun());
        HasMetadata object = decode(ex, kind, ns, null);
        List<String> warnings = admission.admit(object);
        setManagedFields(object, ManagedFields.afterUpdate(List.of(), null, ManagedFields.strip(tree(object), false),
                o.fieldManager(), kind.apiVersion(), ""));
        HasMetadata created = store.create(object, o.dryRun());
        ApiServer.ClaimBinder binder = claimBinder;
        if (wait != null && binder != null) {
            try {
                // one round trip: bound (and Ready, for a warm member) in this request; a claim deleted meanwhile answers as created
                HasMetadata settled = binder.bindAndAwait(created.getMetadata().getNamespace(), created.getMetadata().getName(), wait.timeout()).orElse(null);
                if (settled != null) created = settled;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while binding SandboxClaim " + created.getMetadata().getName());
            }
        }
        warn(ex, warnings);
        HttpIO.json(ex, 201, mapper, created);
    }

    /** Set once at start-up, before requests are served; null: {@code wait=Ready} answers at once (the claim binds asynchronously). */
    private volatile ApiServer.ClaimBinder claimBinder;

    void claimBinder(ApiServer.ClaimBinder binder) {
        this.claimBinder = binder;
    }

    private void replace(HttpExchange ex, ResourceKind kind, String ns, String name) throws IOException {
        WriteOptions o = WriteOptions.parse(ex, false);
        HasMetadata object = decode(ex, kind, ns, name);
        List<String> warnings = admission.admit(object);
        String expected = object.getMetadata().getResourceVersion();
        HasMetadata updated = null;
        for (int attempt = 1; updated == null; attempt++) {
            HasMetadata stored = store.get(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name));
            String actual = stored.getMetadata().getResourceVersion();
            if (expected != null && !expected.isEmpty() && !expected.equals(actual)) throw modified(kind, ns, name, expected, actual);
            ObjectNode before = tree(stored);
            requireSameUid(object.getMetadata().getUid(), before);
            setManagedFields(object, ManagedFields.afterUpdate(ManagedFields.read(before), ManagedFields.strip(before, false),
                    ManagedFields.strip(tree(object), false), o.fieldManager(), kind.apiVersion(), ""));
            object.getMetadata().setResourceVersion(actual); // the managed fields were computed from this version
            updated = tryUpdate(object, o.dryRun(), expected == null || expected.isEmpty(), attempt);
        }
        warn(ex, warnings);
        HttpIO.json(ex, 200, mapper, updated);
    }

    /** The update, or null when the object changed since it was read and the write may be tried again. */
    private HasMetadata tryUpdate(HasMetadata object, boolean dryRun, boolean mayRetry, int attempt) {
        try {
            return store.update(object, dryRun);
        } catch (ConflictException e) {
            if (!mayRetry || attempt >= MAX_ATTEMPTS) throw e;
            return null;
        }
    }

    private void delete(HttpExchange ex, ResourceKind kind, String ns, String name) throws IOException {
        DeleteOptions o = DeleteOptions.parse(ex);
        HasMetadata deleted = store.delete(kind.type(), ns, name, o.uid(), o.resourceVersion(), o.dryRun())
                .orElseThrow(() -> notFound(kind, ns, name));
        HttpIO.json(ex, 200, mapper, deleted);
    }

    /**
     * DELETE on a collection (Kubernetes' deletecollection): deletes every object the labelSelector and fieldSelector
     * match (all of the namespace without them) and answers the list of what was deleted.
     */
    private void deleteCollection(HttpExchange ex, ResourceKind kind, String ns) throws IOException {
        Map<String, String> query = HttpIO.query(ex);
        ListQuery q = ListQuery.parse(query);
        if (q.watch()) throw new HttpIO.BadRequest("watch=true is not allowed on a delete");
        DeleteOptions o = DeleteOptions.parse(ex);
        ObjectNode list = listObject(kind);
        ArrayNode items = list.putArray("items");
        for (HasMetadata candidate : store.list(kind.type(), ns, q::matches, 0, null, 0).items()) {
            String objectNs = candidate.getMetadata().getNamespace() == null ? "" : candidate.getMetadata().getNamespace();
            store.delete(kind.type(), objectNs, candidate.getMetadata().getName(), null, null, o.dryRun())
                    .ifPresent(d -> items.add(mapper.valueToTree(d)));
        }
        list.with("metadata").put("resourceVersion", Long.toString(store.revision()));
        HttpIO.json(ex, 200, mapper, list);
    }

    // ------------------------------------------------------------------ patch and apply

    private void patch(HttpExchange ex, ResourceKind kind, String ns, String name) throws IOException {
        String type = contentType(ex);
        switch (type) {
            case MERGE_PATCH, JSON_PATCH -> {
                WriteOptions o = WriteOptions.parse(ex, false);
                JsonNode patch = readPatch(ex);
                Function<JsonNode, JsonNode> apply = type.equals(MERGE_PATCH) ? stored -> Patches.mergePatch(stored, patch)
                        : stored -> Patches.jsonPatch(stored, patch);
                PatchResult r = patchObject(kind, ns, name, apply, o);
                warn(ex, r.warnings());
                HttpIO.json(ex, 200, mapper, r.object());
            }
            case APPLY_PATCH -> {
                WriteOptions o = WriteOptions.parse(ex, true);
                ObjectNode config = readApplyConfiguration(ex, kind);
                PatchResult r = applyObject(kind, ns, name, config, o, "");
                warn(ex, r.warnings());
                HttpIO.json(ex, r.created() ? 201 : 200, mapper, r.object());
            }
            default -> throw StatusError.unsupportedMediaType(type); // strategic merge patch included, as for custom resources
        }
    }

    record PatchResult(HasMetadata object, List<String> warnings, boolean created) {}

    /**
     * A merge or JSON patch, applied to the stored object and then written as a PUT would be: the same validation,
     * admission, quotas and status rule (the stored status is kept). A resourceVersion the patch sets is a precondition;
     * without one, an object changed between read and write is patched again.
     */
    private PatchResult patchObject(ResourceKind kind, String ns, String name, Function<JsonNode, JsonNode> patch, WriteOptions o) {
        for (int attempt = 1; ; attempt++) {
            HasMetadata stored = store.get(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name));
            ObjectNode before = tree(stored);
            String actual = stored.getMetadata().getResourceVersion();
            JsonNode patched = patch.apply(before);
            if (!(patched instanceof ObjectNode patchedObject)) throw new InvalidException("the patched object is not a JSON object");
            String expected = patchedObject.path("metadata").path("resourceVersion").asText("");
            if (!expected.isEmpty() && !expected.equals(actual)) throw modified(kind, ns, name, expected, actual);
            requireSameUid(patchedObject.path("metadata").path("uid").asText(""), before);
            HasMetadata object = checked(kind, ns, name, patchedObject);
            List<String> warnings = admission.admit(object);
            setManagedFields(object, ManagedFields.afterUpdate(ManagedFields.read(before), ManagedFields.strip(before, false),
                    ManagedFields.strip(tree(object), false), o.fieldManager(), kind.apiVersion(), ""));
            object.getMetadata().setResourceVersion(actual);
            HasMetadata updated = tryUpdate(object, o.dryRun(), true, attempt);
            if (updated != null) return new PatchResult(updated, warnings, false);
        }
    }

    /**
     * Server-side apply of {@code config} by {@code o.fieldManager()}: creates the object or merges the configuration
     * into it, removes what this manager applied before and no longer applies (unless another manager owns it), and
     * refuses to change another manager's fields (409 with the conflicts) unless {@code force}. {@code subresource} is
     * "scale" for an apply to /scale (config then sets only spec.replicas).
     */
    private PatchResult applyObject(ResourceKind kind, String ns, String name, ObjectNode config, WriteOptions o, String subresource) {
        String manager = o.fieldManager();
        for (int attempt = 1; ; attempt++) {
            Optional<? extends HasMetadata> stored = store.get(kind.type(), ns, name);
            if (stored.isEmpty() && !subresource.isEmpty()) throw notFound(kind, ns, name);
            ObjectNode live = stored.map(this::tree).orElse(null);
            JsonNode configMeta = config.path("metadata");
            String expected = configMeta.path("resourceVersion").asText("");
            String actual = live == null ? "" : live.path("metadata").path("resourceVersion").asText();
            if (!expected.isEmpty() && !expected.equals(actual)) {
                if (live == null) throw notFound(kind, ns, name);
                throw modified(kind, ns, name, expected, actual);
            }
            if (live != null) requireSameUid(configMeta.path("uid").asText(""), live);
            List<ManagedFields.Entry> managers = ManagedFields.read(live);
            ObjectNode liveFields = ManagedFields.strip(live, false);
            ObjectNode configFields = ManagedFields.strip(config, false);
            java.util.Set<List<String>> applied = ManagedFields.fieldsOf(configFields);
            ObjectNode merged = ManagedFields.merge(liveFields, configFields);
            ManagedFields.Entry last = managers.stream().filter(e -> e.is(manager, ManagedFields.APPLY, subresource)).findFirst().orElse(null);
            if (last != null) {
                java.util.Set<List<String>> owned = ManagedFields.ownedByOthers(managers, last);
                owned.addAll(applied);
                ManagedFields.prune(merged, last.fields(), owned);
            }
            // the whole object again: what is never applied comes from the stored object (or the URL)
            merged.put("apiVersion", kind.apiVersion());
            merged.put("kind", kind.kind());
            ObjectNode meta = merged.with("metadata");
            meta.put("name", name);
            if (!ns.isEmpty()) meta.put("namespace", ns);
            if (live != null) {
                JsonNode liveMeta = live.path("metadata");
                for (String kept : List.of("uid", "creationTimestamp", "generation", "resourceVersion")) {
                    if (liveMeta.has(kept)) meta.set(kept, liveMeta.get(kept));
                }
                if (live.has("status")) merged.set("status", live.get("status"));
            }
            HasMetadata object = checked(kind, ns, name, merged);
            ManagedFields.Comparison c = ManagedFields.compare(liveFields, ManagedFields.strip(tree(object), false));
            List<ManagedFields.Conflict> conflicts = ManagedFields.conflicts(managers, c, manager, subresource);
            if (!conflicts.isEmpty() && !o.force()) throw ManagedFields.conflictError(conflicts);
            setManagedFields(object, ManagedFields.afterApply(managers, c, manager, kind.apiVersion(), subresource, applied));
            List<String> warnings = subresource.isEmpty() ? admission.admit(object) : List.of();
            if (live == null) {
                object.getMetadata().setResourceVersion(null);
                try {
                    return new PatchResult(store.create(object, o.dryRun()), warnings, true);
                } catch (ConflictException e) {
                    if (!e.alreadyExists() || attempt >= MAX_ATTEMPTS) throw e;
                    continue; // created meanwhile: apply to it
                }
            }
            object.getMetadata().setResourceVersion(actual);
            HasMetadata updated = tryUpdate(object, o.dryRun(), expected.isEmpty(), attempt);
            if (updated != null) return new PatchResult(updated, warnings, false);
        }
    }

    private JsonNode readPatch(HttpExchange ex) throws IOException {
        byte[] body = HttpIO.body(ex);
        if (body.length == 0) throw new HttpIO.BadRequest("the patch is empty; send a JSON merge patch or a JSON patch");
        try {
            return Resources.readJson(body);
        } catch (InvalidException e) {
            throw new HttpIO.BadRequest("the patch is not JSON: " + e.getMessage());
        }
    }

    /** An apply body: one object (YAML or JSON) of this kind, with no managedFields. */
    private ObjectNode readApplyConfiguration(HttpExchange ex, ResourceKind kind) throws IOException {
        String body = new String(HttpIO.body(ex), StandardCharsets.UTF_8);
        List<JsonNode> docs;
        try {
            docs = Resources.readTrees(body);
        } catch (InvalidException e) {
            throw new HttpIO.BadRequest("error decoding YAML: " + e.getMessage());
        }
        if (docs.size() != 1 || !docs.get(0).isObject()) {
            throw new HttpIO.BadRequest("an apply body must hold exactly one object, found " + (docs.size() == 1 ? "a " + docs.get(0).getNodeType().name().toLowerCase(Locale.ROOT) : docs.size() + " documents"));
        }
        ObjectNode config = (ObjectNode) docs.get(0);
        List<FieldError> errors = new ArrayList<>();
        if (!config.path("apiVersion").isTextual()) errors.add(new FieldError("apiVersion", "required in an apply configuration: " + kind.apiVersion()));
        if (!config.path("kind").isTextual()) errors.add(new FieldError("kind", "required in an apply configuration: " + kind.kind()));
        if (!errors.isEmpty()) throw new InvalidException(errors);
        if (!config.get("apiVersion").asText().equals(kind.apiVersion()) || !config.get("kind").asText().equals(kind.kind())) {
            throw new InvalidException("kind", config.get("apiVersion").asText() + " " + config.get("kind").asText() + " sent to the "
                    + kind.plural() + " endpoint; send it to its own kind's path");
        }
        if (config.path("metadata").has("managedFields") && !config.path("metadata").path("managedFields").isNull()) {
            throw new HttpIO.BadRequest("metadata.managedFields must be nil in an apply configuration");
        }
        return config;
    }

    // ------------------------------------------------------------------ subresources

    /**
     * /status: GET answers the object. Writes are refused for every token, the admin's too: status is written by
     * agentboxd's controllers only, it is their record of what they did (a snapshot's image, a pool's members, a claim's
     * sandbox), and the daemon acts on it; see docs/security.md.
     */
    private void status(HttpExchange ex, ResourceKind kind, String ns, String name) throws IOException {
        if (!ex.getRequestMethod().equals("GET")) {
            throw new HttpIO.MethodNotAllowed(kind.kind() + " status is written by agentboxd's controllers only: it records what agentboxd did "
                    + "and agentboxd acts on it, so no client (not even the admin token) may write it; change the spec instead", "GET");
        }
        HttpIO.json(ex, 200, mapper, store.get(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name)));
    }

    /**
     * /scale of a SandboxWarmPool: an autoscaling/v1 Scale whose spec.replicas is the pool's spec.replicas and whose
     * status is the pool's status.replicas and status.selector (upstream's CRD: specReplicasPath .spec.replicas,
     * statusReplicasPath .status.replicas, labelSelectorPath .status.selector). A write is an update of the pool: its
     * validation and quotas (warmPoolReplicas) apply, and it is recorded in managedFields with subresource "scale".
     */
    private void scale(HttpExchange ex, ResourceKind kind, String ns, String name) throws IOException {
        HttpIO.requireMethod(ex, "the scale of a " + kind.kind(), "GET", "PUT", "PATCH");
        switch (ex.getRequestMethod()) {
            case "GET" -> HttpIO.json(ex, 200, mapper, toScale(store.get(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name))));
            case "PUT" -> {
                WriteOptions o = WriteOptions.parse(ex, false);
                byte[] body = HttpIO.body(ex);
                JsonNode wanted = body.length == 0 ? null : Resources.readTrees(new String(body, StandardCharsets.UTF_8)).stream().findFirst().orElse(null);
                if (!(wanted instanceof ObjectNode)) throw new HttpIO.BadRequest("the body must be an autoscaling/v1 Scale, e.g. {\"spec\":{\"replicas\":3}}");
                HttpIO.json(ex, 200, mapper, scaleObject(kind, ns, name, scale -> (ObjectNode) wanted, o));
            }
            default -> {
                String type = contentType(ex);
                switch (type) {
                    case MERGE_PATCH, JSON_PATCH -> {
                        WriteOptions o = WriteOptions.parse(ex, false);
                        JsonNode patch = readPatch(ex);
                        HttpIO.json(ex, 200, mapper, scaleObject(kind, ns, name, scale -> {
                            JsonNode r = type.equals(MERGE_PATCH) ? Patches.mergePatch(scale, patch) : Patches.jsonPatch(scale, patch);
                            if (!(r instanceof ObjectNode obj)) throw new InvalidException("the patched Scale is not a JSON object");
                            return obj;
                        }, o));
                    }
                    case APPLY_PATCH -> {
                        WriteOptions o = WriteOptions.parse(ex, true);
                        String body = new String(HttpIO.body(ex), StandardCharsets.UTF_8);
                        List<JsonNode> docs = Resources.readTrees(body);
                        if (docs.size() != 1 || !docs.get(0).isObject()) throw new HttpIO.BadRequest("an apply body must hold exactly one Scale");
                        JsonNode scale = docs.get(0);
                        // the pool's side of it: spec.replicas, owned with subresource "scale"
                        ObjectNode config = mapper.createObjectNode();
                        config.put("apiVersion", kind.apiVersion());
                        config.put("kind", kind.kind());
                        config.putObject("metadata").put("name", name);
                        if (scale.path("metadata").has("resourceVersion")) config.with("metadata").set("resourceVersion", scale.path("metadata").get("resourceVersion"));
                        if (scale.path("spec").has("replicas")) config.putObject("spec").set("replicas", scale.path("spec").get("replicas"));
                        PatchResult r = applyObject(kind, ns, name, config, o, "scale");
                        HttpIO.json(ex, 200, mapper, toScale(r.object()));
                    }
                    default -> throw StatusError.unsupportedMediaType(type);
                }
            }
        }
    }

    private ObjectNode scaleObject(ResourceKind kind, String ns, String name, UnaryOperator<ObjectNode> change, WriteOptions o) {
        for (int attempt = 1; ; attempt++) {
            HasMetadata pool = store.get(kind.type(), ns, name).orElseThrow(() -> notFound(kind, ns, name));
            ObjectNode before = tree(pool);
            String actual = pool.getMetadata().getResourceVersion();
            ObjectNode wanted = change.apply(toScale(pool));
            String wantedName = wanted.path("metadata").path("name").asText("");
            if (!wantedName.isEmpty() && !wantedName.equals(name)) {
                throw new InvalidException("metadata.name", wantedName + " does not match the name in the URL (" + name + ")");
            }
            String expected = wanted.path("metadata").path("resourceVersion").asText("");
            if (!expected.isEmpty() && !expected.equals(actual)) throw modified(kind, ns, name, expected, actual);
            JsonNode replicas = wanted.path("spec").path("replicas");
            if (!replicas.isMissingNode() && !replicas.isNull() && !(replicas.canConvertToInt() && replicas.isIntegralNumber())) {
                throw new InvalidException("spec.replicas", "must be an integer");
            }
            int n = replicas.isIntegralNumber() ? replicas.asInt() : 0; // as Kubernetes: an omitted spec.replicas is 0
            if (n < 0) throw new InvalidException("spec.replicas", "Invalid value: " + n + ": must be greater than or equal to 0");
            ObjectNode poolTree = before.deepCopy();
            poolTree.with("spec").put("replicas", n);
            // validation and the quotas (the store's guard) apply; admission's reference checks do not, as in Kubernetes,
            // where the main resource's admission does not see /scale: a pool whose template is gone can still be scaled down
            HasMetadata object = checked(kind, ns, name, poolTree);
            setManagedFields(object, ManagedFields.afterUpdate(ManagedFields.read(before), ManagedFields.strip(before, false),
                    ManagedFields.strip(tree(object), false), o.fieldManager(), kind.apiVersion(), "scale"));
            object.getMetadata().setResourceVersion(actual);
            HasMetadata updated = tryUpdate(object, o.dryRun(), expected.isEmpty(), attempt);
            if (updated != null) return toScale(updated);
        }
    }

    private ObjectNode toScale(HasMetadata pool) {
        SandboxWarmPool p = (SandboxWarmPool) pool;
        ObjectNode scale = mapper.createObjectNode();
        scale.put("kind", "Scale");
        scale.put("apiVersion", "autoscaling/v1");
        ObjectNode meta = scale.putObject("metadata");
        meta.put("name", p.getMetadata().getName());
        if (p.getMetadata().getNamespace() != null) meta.put("namespace", p.getMetadata().getNamespace());
        if (p.getMetadata().getUid() != null) meta.put("uid", p.getMetadata().getUid());
        if (p.getMetadata().getResourceVersion() != null) meta.put("resourceVersion", p.getMetadata().getResourceVersion());
        if (p.getMetadata().getCreationTimestamp() != null) meta.put("creationTimestamp", p.getMetadata().getCreationTimestamp());
        scale.putObject("spec").put("replicas", p.getSpec() == null ? 0 : p.getSpec().effectiveReplicas());
        ObjectNode status = scale.putObject("status");
        status.put("replicas", p.getStatus() == null ? 0 : p.getStatus().getReplicas());
        if (p.getStatus() != null && p.getStatus().getSelector() != null) status.put("selector", p.getStatus().getSelector());
        return scale;
    }

    // ------------------------------------------------------------------ decoding and checks

    /** Parses the body as this kind, checks it against the URL, and validates it. */
    private HasMetadata decode(HttpExchange ex, ResourceKind kind, String ns, String name) throws IOException {
        String body = new String(HttpIO.body(ex), StandardCharsets.UTF_8); // at most HttpIO.MAX_REQUEST_BYTES
        List<HasMetadata> objects = Resources.parseAll(body);
        if (objects.size() != 1) throw new InvalidException("request body must hold exactly one object, found " + objects.size());
        return check(kind, ns, name, objects.get(0));
    }

    /** A patched or merged object (JSON) as this kind, checked against the URL and validated. */
    private HasMetadata checked(ResourceKind kind, String ns, String name, ObjectNode object) {
        return check(kind, ns, name, Resources.fromTree(object));
    }

    private HasMetadata check(ResourceKind kind, String ns, String name, HasMetadata object) {
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

    private ObjectNode tree(HasMetadata object) {
        return mapper.valueToTree(object);
    }

    private void setManagedFields(HasMetadata object, List<ManagedFields.Entry> entries) {
        object.getMetadata().setManagedFields(entries.isEmpty() ? null : new ArrayList<>(List.of(mapper.convertValue(ManagedFields.write(entries),
                io.fabric8.kubernetes.api.model.ManagedFieldsEntry[].class))));
    }

    private static String contentType(HttpExchange ex) {
        String t = ex.getRequestHeaders().getFirst("Content-Type");
        if (t == null) return "";
        int semi = t.indexOf(';');
        return (semi < 0 ? t : t.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /**
     * As Kubernetes: a uid in an update, patch or apply is a precondition. The store would keep the stored uid anyway;
     * refusing says that the object the client means is not this one (deleted and created again under the same name).
     */
    private static void requireSameUid(String uid, JsonNode live) {
        String actual = live.path("metadata").path("uid").asText();
        if (uid != null && !uid.isEmpty() && !uid.equals(actual)) {
            throw new ConflictException("Precondition failed: UID in precondition: " + uid + ", UID in object meta: " + actual
                    + "; metadata.uid cannot be changed: leave it out or send the object's own", false);
        }
    }

    private static ConflictException modified(ResourceKind kind, String ns, String name, String expected, String actual) {
        return new ConflictException("Operation cannot be fulfilled on " + kind.plural() + "." + kind.group() + " \"" + name + "\": the object has been "
                + "modified (resourceVersion " + expected + " is stale, now " + actual + "); please apply your changes to the latest version and try again", false);
    }

    /** The parameters of a create, update or patch: dryRun, fieldManager, force (apply only), fieldValidation. */
    record WriteOptions(boolean dryRun, String fieldManager, boolean force) {
        static WriteOptions parse(HttpExchange ex, boolean apply) {
            Map<String, String> q = HttpIO.query(ex);
            List<FieldError> errors = new ArrayList<>();
            boolean dryRun = parseDryRun(q.get("dryRun"), errors);
            String manager = q.get("fieldManager");
            if (manager != null && manager.isEmpty()) manager = null;
            if (manager != null && manager.length() > 128) errors.add(new FieldError("fieldManager", "must be at most 128 characters"));
            if (manager != null && !manager.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) errors.add(new FieldError("fieldManager", "must hold only printable characters"));
            if (apply && manager == null) errors.add(new FieldError("fieldManager", "Required value: is required for apply patch"));
            boolean force = false;
            if (q.containsKey("force")) {
                if (!apply) errors.add(new FieldError("force", "Forbidden: may not be specified for non-apply patch"));
                else force = HttpIO.booleanParam(q, "force", false);
            }
            String validation = q.get("fieldValidation");
            if (validation != null && !validation.isEmpty() && !Set.of("Ignore", "Warn", "Strict").contains(validation)) {
                errors.add(new FieldError("fieldValidation", "Unsupported value: \"" + validation + "\": supported values: \"Ignore\", \"Warn\", \"Strict\""));
            }
            if (!errors.isEmpty()) throw new InvalidException(errors);
            if (manager == null) manager = fromUserAgent(ex.getRequestHeaders().getFirst("User-Agent"));
            return new WriteOptions(dryRun, manager, force);
        }

        /** As Kubernetes: the User-Agent up to its first "/" (kubectl, fabric8-kubernetes-client, ...), "unknown" without one. */
        static String fromUserAgent(String userAgent) {
            if (userAgent == null) return "unknown";
            String m = userAgent.split("/", 2)[0].chars().filter(c -> c >= 0x20 && c != 0x7f)
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString().trim();
            if (m.length() > 128) m = m.substring(0, 128);
            return m.isEmpty() ? "unknown" : m;
        }
    }

    static boolean parseDryRun(String value, List<FieldError> errors) {
        if (value == null || value.isEmpty()) return false;
        if (value.equals("All")) return true;
        errors.add(new FieldError("dryRun", "Unsupported value: \"" + value + "\": supported values: \"All\""));
        return false;
    }

    /** DeleteOptions from the query and, when there is one, a JSON body: dryRun, preconditions, propagationPolicy. */
    record DeleteOptions(boolean dryRun, String uid, String resourceVersion) {
        static DeleteOptions parse(HttpExchange ex) throws IOException {
            Map<String, String> q = HttpIO.query(ex);
            List<FieldError> errors = new ArrayList<>();
            boolean dryRun = parseDryRun(q.get("dryRun"), errors);
            String propagation = q.get("propagationPolicy");
            String uid = null;
            String rv = null;
            byte[] body = HttpIO.body(ex);
            if (body.length > 0 && !new String(body, StandardCharsets.UTF_8).isBlank()) {
                JsonNode o;
                try {
                    o = Resources.readJson(body);
                } catch (InvalidException e) {
                    throw new HttpIO.BadRequest("the body of a delete must be a JSON DeleteOptions object: " + e.getMessage());
                }
                if (!o.isObject()) throw new HttpIO.BadRequest("the body of a delete must be a JSON DeleteOptions object, e.g. {\"dryRun\":[\"All\"]}");
                for (JsonNode d : o.path("dryRun")) dryRun |= parseDryRun(d.asText(), errors);
                if (o.path("propagationPolicy").isTextual()) propagation = o.get("propagationPolicy").asText();
                if (o.path("orphanDependents").asBoolean(false)) propagation = "Orphan";
                JsonNode pre = o.path("preconditions");
                if (pre.path("uid").isTextual()) uid = pre.get("uid").asText();
                if (pre.path("resourceVersion").isTextual()) rv = pre.get("resourceVersion").asText();
            }
            if (propagation != null && !propagation.isEmpty()) {
                if (propagation.equals("Orphan")) {
                    errors.add(new FieldError("propagationPolicy", "Orphan is not supported by agentboxd: the objects a deleted object owns are "
                            + "always garbage-collected; use Background (or Foreground)"));
                } else if (!propagation.equals("Background") && !propagation.equals("Foreground")) {
                    errors.add(new FieldError("propagationPolicy", "Unsupported value: \"" + propagation + "\": supported values: \"Background\", \"Foreground\""));
                }
            }
            if (!errors.isEmpty()) throw new InvalidException(errors);
            return new DeleteOptions(dryRun, uid, rv);
        }
    }

    // ------------------------------------------------------------------ list and watch

    private ObjectNode listObject(ResourceKind kind) {
        ObjectNode list = mapper.createObjectNode();
        list.put("apiVersion", kind.apiVersion());
        list.put("kind", kind.kind() + "List");
        list.putObject("metadata");
        return list;
    }

    /**
     * A list, as Kubernetes serves it (see docs/http-api.md for the table): without resourceVersion, or with
     * NotOlderThan, the current state; with {@code resourceVersionMatch=Exact} (or, as Kubernetes, a resourceVersion
     * with a limit) the objects as they were at that revision, from the store's history (410 when it is older); a page
     * of {@code limit} items with a {@code continue} token, whose next pages are as of the first page's revision.
     */
    private void list(HttpExchange ex, ResourceKind kind, String ns, ListQuery q) throws IOException {
        long at = 0;
        Store.Key after = null;
        ContinueToken token = null;
        if (q.continueToken() != null) {
            token = ContinueToken.decode(q.continueToken(), kind.namespaced());
            if (ns != null && !ns.isEmpty() && !ns.equals(token.after().namespace())) {
                // only ever a forged or misplaced token (a list's tokens name its own namespace): say so, answer nothing
                throw new HttpIO.BadRequest("invalid continue token: it continues a list of namespace " + token.after().namespace()
                        + ", not " + ns + "; start the list again without continue");
            }
            at = token.revision() < 0 ? 0 : token.revision();
            after = token.after();
        } else if (q.resourceVersion() != null && q.resourceVersion() > 0
                && ("Exact".equals(q.resourceVersionMatch()) || (q.resourceVersionMatch() == null && q.limit() != null && q.limit() > 0))) {
            at = q.resourceVersion();
        }
        long current = store.revision();
        long newest = Math.max(at, q.resourceVersion() == null ? 0 : q.resourceVersion());
        if (newest > current) throw tooLarge(newest, current);
        int limit = q.limit() == null || q.limit() <= 0 ? 0 : (int) Math.min(q.limit(), Integer.MAX_VALUE);
        Store.Page<? extends HasMetadata> page;
        try {
            page = store.list(kind.type(), ns, q::matches, at, after, limit);
        } catch (ExpiredException e) {
            if (token == null) throw e;
            throw new StatusError(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a "
                    + "new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
                    + "results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or "
                    + "deleted between the time the first chunk was returned and now may show up in the list.", List.of(),
                    new ContinueToken(-1, after).encode(kind.namespaced()), null);
        }
        ObjectNode list = listObject(kind);
        ObjectNode meta = list.with("metadata");
        meta.put("resourceVersion", Long.toString(page.revision()));
        if (page.last() != null) meta.put("continue", new ContinueToken(page.revision(), page.last()).encode(kind.namespaced()));
        ArrayNode items = list.putArray("items");
        for (HasMetadata o : page.items()) items.add(mapper.valueToTree(o));
        if (tables.writeListIfAsked(ex, kind, list)) return;
        HttpIO.json(ex, 200, mapper, list);
    }

    private static StatusError tooLarge(long asked, long current) {
        return new StatusError(504, "Timeout", "Too large resource version: " + asked + ", current: " + current,
                List.of(new StatusError.Cause("ResourceVersionTooLarge", "Too large resource version", null)), null, 1);
    }

    /**
     * Streams events of this kind as NDJSON until the client disconnects, {@code timeoutSeconds} pass, the token is
     * revoked (then a last ERROR event says so) or the client falls {@link #MAX_QUEUED_EVENTS} events behind. Without a
     * resourceVersion (or with "0", or with {@code sendInitialEvents=true}) it begins with an ADDED event per existing
     * object, listed atomically with the subscription; with resourceVersion N it replays every change after N from the
     * store's history, or sends one ERROR event with a 410 Expired Status when N is older than the history.
     * {@code allowWatchBookmarks=true} adds BOOKMARK events (every {@link #bookmarkIntervalMillis} and before a timeout).
     */
    private void watch(HttpExchange ex, ResourceKind kind, String ns, ListQuery q, Principal who, BooleanSupplier stillAuthorized)
            throws IOException {
        String upgrade = ex.getRequestHeaders().getFirst("Upgrade");
        if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
            // fabric8's client tries a WebSocket watch first and falls back to an HTTP stream on a 503 (or 200) handshake
            // answer; a streaming 200 would leave its handshake waiting for the end of an endless body
            throw new StatusError(503, "ServiceUnavailable", "agentboxd serves watches as an HTTP stream, not over WebSocket: "
                    + "send the watch without the Upgrade header");
        }
        LinkedBlockingQueue<StoreEvent> events = new LinkedBlockingQueue<>();
        AtomicBoolean overflow = new AtomicBoolean();
        Consumer<StoreEvent> listener = e -> { // the store gives only this kind's events in ns (null: all namespaces)
            if (events.size() >= MAX_QUEUED_EVENTS) overflow.set(true);
            else events.add(e);
        };
        boolean initialEvents = Boolean.TRUE.equals(q.sendInitialEvents())
                || (q.sendInitialEvents() == null && (q.resourceVersion() == null || q.resourceVersion() == 0));
        List<? extends HasMetadata> initial = List.of();
        long since;
        AutoCloseable subscription = null;
        ExpiredException expired = null;
        if (initialEvents) {
            Store.Subscription<? extends HasMetadata> s = store.listAndWatch(kind.type(), ns, q::matches, listener);
            initial = s.items();
            since = s.revision();
            subscription = s.handle();
        } else {
            since = q.resourceVersion() != null && q.resourceVersion() > 0 ? q.resourceVersion() : store.revision();
            try {
                subscription = store.watch(Store.kindKey(kind.type()), ns, since, listener);
            } catch (ExpiredException e) {
                expired = e;
            }
        }
        try {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            if (expired != null) {
                send(out, "ERROR", HttpIO.status(mapper, expired, kind.kind(), null));
                out.flush();
                return;
            }
            for (HasMetadata o : initial) send(out, "ADDED", mapper.valueToTree(o));
            long lastRevision = since;
            if (Boolean.TRUE.equals(q.sendInitialEvents()) && q.allowWatchBookmarks()) {
                sendBookmark(out, kind, since, true); // the initial events are all there (k8s.io/initial-events-end)
            }
            out.flush();
            long now = System.nanoTime();
            boolean timed = q.timeoutSeconds() != null && q.timeoutSeconds() > 0; // 0, as absent: no timeout of the client's
            long deadline = now + (timed ? Math.min(TimeUnit.SECONDS.toNanos(q.timeoutSeconds()), MAX_WATCH_NANOS) : MAX_WATCH_NANOS);
            long lastAuthCheck = now;
            long lastBookmark = now;
            while (true) {
                // wake at least once a second, to see a revoked token, the deadline or a bookmark's time within about a second
                StoreEvent e = events.poll(Math.min(1000, Math.max(10, bookmarkIntervalMillis)), TimeUnit.MILLISECONDS);
                now = System.nanoTime();
                if (e != null) {
                    lastRevision = sendEvent(out, e, since, lastRevision, q);
                }
                if (overflow.get()) return; // the client reads too slowly: it watches again from the last resourceVersion it got
                if (now - deadline >= 0) {
                    if (q.allowWatchBookmarks()) bookmarkNow(out, kind, events, since, lastRevision, q);
                    out.flush();
                    return;
                }
                if (now - lastAuthCheck >= AUTH_CHECK_NANOS) {
                    lastAuthCheck = now;
                    if (!stillAuthorized.getAsBoolean()) {
                        send(out, "ERROR", HttpIO.status(mapper, new UnauthorizedException("token " + who.name()
                                + " was revoked; the watch ends"), kind.kind(), null));
                        out.flush();
                        return;
                    }
                }
                if (q.allowWatchBookmarks() && now - lastBookmark >= TimeUnit.MILLISECONDS.toNanos(bookmarkIntervalMillis)) {
                    lastRevision = bookmarkNow(out, kind, events, since, lastRevision, q);
                    lastBookmark = now;
                }
                if (e != null) out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the client closed the watch, or the daemon is stopping
        } finally {
            try {
                if (subscription != null) subscription.close();
            } catch (Exception ignored) {
                // Store's handle only removes the listener
            }
            ex.close();
        }
    }

    /**
     * Sends the event as this watch sees it (Kubernetes' cacher): an object that comes to match the selectors is ADDED,
     * one that stops matching is DELETED (its previous content with the event's resourceVersion). Returns the revision
     * the watch has seen up to.
     */
    private long sendEvent(OutputStream out, StoreEvent e, long since, long lastRevision, ListQuery q) throws IOException {
        if (e.revision() <= since) return lastRevision;
        HasMetadata o = e.object();
        boolean now = e.type() != StoreEvent.Type.DELETED && q.matches(o);
        boolean before = e.type() == StoreEvent.Type.DELETED ? q.matches(o) : e.previous() != null && q.matches(e.previous());
        if (e.type() == StoreEvent.Type.DELETED) {
            if (before) {
                // as Kubernetes: a DELETED event carries the revision of the delete, so a client resuming from it goes on
                ObjectNode gone = mapper.valueToTree(o);
                gone.with("metadata").put("resourceVersion", Long.toString(e.revision()));
                send(out, "DELETED", gone);
            }
        } else if (now) {
            send(out, before || e.type() == StoreEvent.Type.MODIFIED && e.previous() == null ? "MODIFIED" : "ADDED", mapper.valueToTree(o));
        } else if (before) {
            ObjectNode gone = e.previous().deepCopy();
            gone.with("metadata").put("resourceVersion", Long.toString(e.revision()));
            send(out, "DELETED", gone);
        }
        return Math.max(lastRevision, e.revision());
    }

    /**
     * A BOOKMARK at the store's current revision, once every event up to it that is queued has been sent: the client's
     * resourceVersion then moves on although nothing it watches changed, so its next watch needs no old history.
     */
    private long bookmarkNow(OutputStream out, ResourceKind kind, LinkedBlockingQueue<StoreEvent> events, long since, long lastRevision,
                             ListQuery q) throws IOException {
        long revision = store.revision(); // every event up to it is queued already (listeners run under the store's lock)
        for (StoreEvent e = events.peek(); e != null && e.revision() <= revision; e = events.peek()) {
            lastRevision = sendEvent(out, events.poll(), since, lastRevision, q);
        }
        long at = Math.max(revision, lastRevision);
        sendBookmark(out, kind, at, false);
        out.flush();
        return at;
    }

    private void sendBookmark(OutputStream out, ResourceKind kind, long revision, boolean initialEventsEnd) throws IOException {
        ObjectNode o = mapper.createObjectNode();
        o.put("kind", kind.kind());
        o.put("apiVersion", kind.apiVersion());
        ObjectNode meta = o.putObject("metadata");
        meta.put("resourceVersion", Long.toString(revision));
        if (initialEventsEnd) meta.putObject("annotations").put("k8s.io/initial-events-end", "true");
        send(out, "BOOKMARK", o);
    }

    private void send(OutputStream out, String type, JsonNode object) throws IOException {
        ObjectNode event = mapper.createObjectNode();
        event.put("type", type);
        event.set("object", object);
        out.write(mapper.writeValueAsBytes(event));
        out.write('\n');
    }

    /**
     * The parameters of a list or watch, all checked up front (a malformed one is a 400, a combination Kubernetes
     * forbids a 422, as its ListOptions validation).
     */
    record ListQuery(boolean watch, Long resourceVersion, String resourceVersionMatch, Long limit, String continueToken,
                     Long timeoutSeconds, boolean allowWatchBookmarks, Boolean sendInitialEvents,
                     Predicate<Map<String, String>> labels, BiPredicate<String, String> fields) {
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
            Long limit = HttpIO.countParam(q, "limit");
            boolean watch = HttpIO.booleanParam(q, "watch", false);
            Long timeout = HttpIO.countParam(q, "timeoutSeconds");
            boolean bookmarks = HttpIO.booleanParam(q, "allowWatchBookmarks", false);
            Boolean initial = q.containsKey("sendInitialEvents") && !q.get("sendInitialEvents").isEmpty()
                    ? HttpIO.booleanParam(q, "sendInitialEvents", false) : null;
            String match = q.get("resourceVersionMatch");
            if (match != null && match.isEmpty()) match = null;
            String cont = q.get("continue");
            if (cont != null && cont.isEmpty()) cont = null;
            BiPredicate<String, String> fields = fieldSelector(q.get("fieldSelector"));
            // Kubernetes' ListOptions validation
            List<FieldError> errors = new ArrayList<>();
            if (watch) {
                if (initial != null && !"NotOlderThan".equals(match)) {
                    errors.add(new FieldError("resourceVersionMatch", "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
                }
                if (match != null && initial == null) {
                    errors.add(new FieldError("resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
                }
                if (match != null && !match.equals("NotOlderThan")) {
                    errors.add(new FieldError("resourceVersionMatch", "Unsupported value: \"" + match + "\": supported values: \"NotOlderThan\""));
                }
                if (cont != null) errors.add(new FieldError("continue", "Forbidden: continue is forbidden for watch"));
            } else {
                if (match != null) {
                    if (rv == null || rv.isEmpty()) {
                        errors.add(new FieldError("resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"));
                    }
                    if (cont != null) errors.add(new FieldError("resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden when continue is provided"));
                    if (!match.equals("Exact") && !match.equals("NotOlderThan")) {
                        errors.add(new FieldError("resourceVersionMatch", "Unsupported value: \"" + match + "\": supported values: \"Exact\", \"NotOlderThan\", \"\""));
                    }
                    if (match.equals("Exact") && "0".equals(rv)) {
                        errors.add(new FieldError("resourceVersionMatch", "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
                    }
                }
                if (initial != null) errors.add(new FieldError("sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for list"));
            }
            if (!errors.isEmpty()) throw new InvalidException(errors);
            if (!watch && cont != null && resourceVersion != null && resourceVersion != 0) {
                throw new HttpIO.BadRequest("specifying resource version is not allowed when using continue");
            }
            return new ListQuery(watch, resourceVersion, match, limit, cont, timeout, bookmarks, initial, labels, fields);
        }

        boolean matches(String ns, String name, Map<String, String> objectLabels) {
            return labels.test(objectLabels) && fields.test(ns, name);
        }

        boolean matches(HasMetadata o) {
            Map<String, String> l = o.getMetadata().getLabels();
            String ns = o.getMetadata().getNamespace();
            return matches(ns == null ? "" : ns, o.getMetadata().getName(), l == null ? Map.of() : l);
        }

        /** On an object's JSON (a stored one, or a watch event's previous object). */
        boolean matches(JsonNode o) {
            JsonNode meta = o.path("metadata");
            Map<String, String> l = new HashMap<>();
            meta.path("labels").fields().forEachRemaining(e -> l.put(e.getKey(), e.getValue().asText()));
            return matches(meta.path("namespace").asText(""), meta.path("name").asText(""), l);
        }

        /** The field selectors clients need: metadata.name and metadata.namespace, with =, == or !=, comma-joined. */
        private static BiPredicate<String, String> fieldSelector(String selector) {
            BiPredicate<String, String> all = (ns, name) -> true;
            if (selector == null || selector.isBlank()) return all;
            for (String term : selector.split(",")) {
                int ne = term.indexOf("!=");
                int eq = term.indexOf('=');
                if (eq <= 0 && ne <= 0) throw badFieldSelector(selector);
                int split = ne > 0 ? ne : eq;
                String field = term.substring(0, split).trim();
                String value = term.substring(ne > 0 ? ne + 2 : term.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
                boolean byName = switch (field) {
                    case "metadata.name" -> true;
                    case "metadata.namespace" -> false;
                    default -> throw badFieldSelector(selector);
                };
                boolean equal = ne <= 0;
                BiPredicate<String, String> prev = all;
                all = (ns, name) -> prev.test(ns, name) && value.equals(byName ? name : ns) == equal;
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
