package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.ResourceKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * agentboxd's OpenAPI documents, built as kube-apiserver builds them for CRDs (apiextensions-apiserver's openapi
 * builder): the Swagger 2.0 document of every kind ({@code /openapi/v2}) and one OpenAPI 3.0 document per group version
 * ({@code /openapi/v3/apis/{group}/{version}}). A kind's schema is its CRD's {@code openAPIV3Schema} (the one source, see
 * {@link dev.agentbox.api.CustomResourceDefinitions}) with {@code apiVersion}, {@code kind} and {@code metadata} added and
 * {@code x-kubernetes-group-version-kind}; v2 gets the CRD schema as kube-apiserver converts it for kubectl (no anyOf,
 * allOf, oneOf, not or nullable). The Kubernetes types they refer to (ObjectMeta, Status, ...) come from
 * kubernetes-definitions.json. The paths are those of a CRD's resource, status and scale subresources, with the
 * operations' {@code x-kubernetes-action}, {@code x-kubernetes-group-version-kind} and query parameters (kubectl looks
 * for {@code fieldValidation} on PATCH to learn that the server validates fields).
 */
final class OpenApiDocuments {
    static final String V2_PREFIX = "#/definitions/";
    static final String V3_PREFIX = "#/components/schemas/";

    private final ServedKinds kinds;
    private final ObjectMapper mapper;
    private final ObjectNode kubernetesDefinitions;

    OpenApiDocuments(ServedKinds kinds, ObjectMapper mapper) {
        this.kinds = kinds;
        this.mapper = mapper;
        try (InputStream in = OpenApiDocuments.class.getResourceAsStream("kubernetes-definitions.json")) {
            if (in == null) throw new IllegalStateException("kubernetes-definitions.json is missing from the class path");
            ObjectNode defs = (ObjectNode) mapper.readTree(in);
            defs.remove("_comment");
            this.kubernetesDefinitions = defs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The definition name of a kind, as kube-apiserver names a CRD's: the group reversed, e.g. {@code io.x-k8s.agents.v1beta1.Sandbox}. */
    static String definitionName(ResourceKind k, String kind) {
        List<String> parts = new ArrayList<>(List.of(k.group().split("\\.")));
        java.util.Collections.reverse(parts);
        String group = String.join(".", parts);
        return (group.isEmpty() ? "" : group + ".") + k.version() + "." + kind;
    }

    /** The CRD-backed kinds (a kind without a CRD has no schema here). */
    private List<ServedKinds.Served> withSchemas() {
        return kinds.all().stream().filter(s -> s.schema().isPresent()).toList();
    }

    /** The group versions with a v3 document, as {@code apis/{group}/{version}} (the keys of the v3 index). */
    List<String> v3GroupVersions() {
        List<String> out = new ArrayList<>();
        for (ServedKinds.Served s : withSchemas()) {
            String gv = s.kind().group().isEmpty() ? "api/" + s.kind().version() : "apis/" + s.kind().group() + "/" + s.kind().version();
            if (!out.contains(gv)) out.add(gv);
        }
        return out;
    }

    /** The Swagger 2.0 document of every kind. */
    ObjectNode v2() {
        ObjectNode doc = mapper.createObjectNode().put("swagger", "2.0");
        doc.putObject("info").put("title", "agentboxd").put("version", DiscoveryHandler.GIT_VERSION);
        ObjectNode paths = doc.putObject("paths");
        ObjectNode definitions = doc.putObject("definitions");
        for (ServedKinds.Served s : withSchemas()) {
            for (PathItem p : pathItems(s)) paths.set(p.path(), p.v2(mapper));
            definitions.set(definitionName(s.kind(), s.kind().kind()), kindSchema(s, true));
            definitions.set(definitionName(s.kind(), s.listKind()), listSchema(s, true));
        }
        definitions.setAll(kubernetesDefinitions.deepCopy());
        doc.putObject("securityDefinitions").putObject("BearerToken").put("type", "apiKey").put("name", "authorization").put("in", "header")
                .put("description", "Bearer Token authentication");
        doc.putArray("security").addObject().putArray("BearerToken");
        return doc;
    }

    /** The OpenAPI 3.0 document of one group version ({@code apis/{group}/{version}}), or null when it has none. */
    ObjectNode v3(String groupVersion) {
        List<ServedKinds.Served> in = withSchemas().stream().filter(s -> groupVersion.equals(s.kind().group().isEmpty()
                ? "api/" + s.kind().version() : "apis/" + s.kind().group() + "/" + s.kind().version())).toList();
        if (in.isEmpty()) return null;
        ObjectNode doc = mapper.createObjectNode().put("openapi", "3.0.0");
        doc.putObject("info").put("title", "agentboxd").put("version", DiscoveryHandler.GIT_VERSION);
        ObjectNode paths = doc.putObject("paths");
        ObjectNode components = doc.putObject("components");
        ObjectNode schemas = components.putObject("schemas");
        for (ServedKinds.Served s : in) {
            for (PathItem p : pathItems(s)) paths.set(p.path(), p.v3(mapper));
            schemas.set(definitionName(s.kind(), s.kind().kind()), kindSchema(s, false));
            schemas.set(definitionName(s.kind(), s.listKind()), listSchema(s, false));
        }
        Iterator<Map.Entry<String, JsonNode>> defs = kubernetesDefinitions.fields();
        while (defs.hasNext()) {
            Map.Entry<String, JsonNode> d = defs.next();
            schemas.set(d.getKey(), toV3(d.getValue().deepCopy()));
        }
        components.putObject("securitySchemes").putObject("BearerToken").put("type", "apiKey").put("description", "Bearer Token authentication")
                .put("name", "authorization").put("in", "header");
        return doc;
    }

    /** The kind's schema: the CRD's openAPIV3Schema plus apiVersion, kind, metadata and x-kubernetes-group-version-kind. */
    ObjectNode kindSchema(ServedKinds.Served s, boolean v2) {
        ObjectNode crdSchema = (ObjectNode) s.schema().orElseThrow().deepCopy();
        ObjectNode schema;
        if (v2 && crdSchema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            // as kube-apiserver: kubectl would refuse unknown fields next to apiVersion/kind/metadata
            schema = mapper.createObjectNode().put("type", "object");
        } else {
            if (v2) toStructuralV2(crdSchema);
            schema = mapper.createObjectNode();
            // the CRD's keys first (its description, type, required), then properties with the TypeMeta/ObjectMeta ones
            Iterator<Map.Entry<String, JsonNode>> fields = crdSchema.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (!f.getKey().equals("properties")) schema.set(f.getKey(), f.getValue());
            }
            ObjectNode properties = schema.putObject("properties");
            properties.set("apiVersion", typeMeta("apiVersion"));
            properties.set("kind", typeMeta("kind"));
            properties.set("metadata", ref(v2, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"));
            if (crdSchema.path("properties").isObject()) properties.setAll((ObjectNode) crdSchema.get("properties"));
        }
        gvk(schema.putArray("x-kubernetes-group-version-kind").addObject(), s.kind(), s.kind().kind());
        return schema;
    }

    private ObjectNode listSchema(ServedKinds.Served s, boolean v2) {
        ObjectNode schema = mapper.createObjectNode().put("description", s.listKind() + " is a list of " + s.kind().kind())
                .put("type", "object");
        schema.putArray("required").add("items");
        ObjectNode properties = schema.putObject("properties");
        properties.set("apiVersion", typeMeta("apiVersion"));
        ObjectNode items = properties.putObject("items").put("description", "List of " + s.kind().plural() + ".").put("type", "array");
        items.putObject("items").put("$ref", (v2 ? V2_PREFIX : V3_PREFIX) + definitionName(s.kind(), s.kind().kind()));
        properties.set("kind", typeMeta("kind"));
        properties.set("metadata", ref(v2, "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
                "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"));
        gvk(schema.putArray("x-kubernetes-group-version-kind").addObject(), s.kind(), s.listKind());
        return schema;
    }

    private ObjectNode typeMeta(String field) {
        return mapper.createObjectNode().put("description", field.equals("apiVersion")
                ? "APIVersion defines the versioned schema of this representation of an object (group/version)."
                : "Kind is the REST resource this object represents, in CamelCase.").put("type", "string");
    }

    /** A reference with a description: v2 puts them side by side, v3 wraps the reference in allOf (as kube-apiserver does). */
    private ObjectNode ref(boolean v2, String definition, String description) {
        ObjectNode r = mapper.createObjectNode();
        if (v2) {
            r.put("$ref", V2_PREFIX + definition);
        } else {
            r.putArray("allOf").addObject().put("$ref", V3_PREFIX + definition);
        }
        r.put("description", description);
        return r;
    }

    private static void gvk(ObjectNode o, ResourceKind k, String kind) {
        o.put("group", k.group()).put("kind", kind).put("version", k.version());
    }

    /** A v2 definition as v3: references under #/components/schemas/, a reference with siblings wrapped in allOf. */
    private JsonNode toV3(JsonNode node) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (!f.getKey().startsWith("x-")) f.setValue(toV3(f.getValue()));
            }
            JsonNode ref = o.get("$ref");
            if (ref != null && ref.isTextual()) {
                String target = ref.asText().replace(V2_PREFIX, V3_PREFIX);
                if (o.size() == 1) {
                    o.put("$ref", target);
                } else {
                    o.remove("$ref");
                    ObjectNode wrapped = mapper.createObjectNode();
                    wrapped.putArray("allOf").addObject().put("$ref", target);
                    wrapped.setAll(o);
                    return wrapped;
                }
            }
        } else if (node.isArray()) {
            ArrayNode a = (ArrayNode) node;
            for (int i = 0; i < a.size(); i++) a.set(i, toV3(a.get(i)));
        }
        return node;
    }

    /**
     * A CRD schema as kube-apiserver publishes it in OpenAPI v2 (apiextensions' ToStructuralOpenAPIV2), which kubectl's
     * v2 parser can read: no allOf, anyOf, oneOf or not; a nullable value untyped; a value that preserves unknown fields
     * without items or properties; an array without items untyped; a nullable property not required.
     */
    static void toStructuralV2(JsonNode node) {
        if (!(node instanceof ObjectNode s)) return;
        s.remove(List.of("allOf", "anyOf", "oneOf", "not"));
        if (s.path("nullable").asBoolean(false)) {
            s.remove(List.of("type", "items", "properties"));
        }
        s.remove("nullable");
        if (s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) s.remove(List.of("items", "properties"));
        if (!s.has("items") && "array".equals(s.path("type").asText())) s.remove("type");
        JsonNode properties = s.get("properties");
        if (properties instanceof ObjectNode props && s.get("required") instanceof ArrayNode required) {
            for (int i = required.size() - 1; i >= 0; i--) {
                if (props.path(required.get(i).asText()).path("nullable").asBoolean(false)) required.remove(i);
            }
        }
        if (properties instanceof ObjectNode props) props.forEach(OpenApiDocuments::toStructuralV2);
        toStructuralV2(s.get("items"));
        toStructuralV2(s.get("additionalProperties"));
    }

    // ---- paths

    /** A query, path or body parameter. {@code type} is the schema type (string, boolean, integer) or, for a body, the definition. */
    record Param(String name, String in, String type, String description, boolean required) {
        static Param query(String name, String type, String description) {
            return new Param(name, "query", type, description, false);
        }
    }

    /** One operation of a path. */
    record Op(String method, String action, String operationId, String description, List<Param> params, String body, boolean bodyRequired,
              List<String> consumes, Map<String, String> responses, ResourceKind gvkOf, String gvkKind) {
    }

    /** One path with its operations and the parameters they share. */
    record PathItem(String path, List<Param> common, List<Op> ops) {
        ObjectNode v2(ObjectMapper mapper) {
            ObjectNode item = mapper.createObjectNode();
            for (Op op : ops) {
                ObjectNode o = item.putObject(op.method());
                o.put("description", op.description());
                ArrayNode consumes = o.putArray("consumes");
                op.consumes().forEach(consumes::add);
                o.putArray("produces").add("application/json");
                o.putArray("schemes").add("https");
                o.putArray("tags").add(tag(op.gvkOf()));
                o.put("operationId", op.operationId());
                ArrayNode params = o.putArray("parameters");
                if (op.body() != null) {
                    ObjectNode b = params.addObject().put("name", "body").put("in", "body").put("required", op.bodyRequired());
                    b.putObject("schema").put("$ref", V2_PREFIX + op.body());
                }
                for (Param p : op.params()) params.add(v2Param(mapper, p));
                if (params.isEmpty()) o.remove("parameters");
                ObjectNode responses = o.putObject("responses");
                for (Map.Entry<String, String> r : op.responses().entrySet()) {
                    ObjectNode resp = responses.putObject(r.getKey()).put("description", describe(r.getKey()));
                    if (r.getValue() != null) resp.putObject("schema").put("$ref", V2_PREFIX + r.getValue());
                }
                o.put("x-kubernetes-action", op.action());
                gvk(o.putObject("x-kubernetes-group-version-kind"), op.gvkOf(), op.gvkKind());
            }
            ArrayNode common = item.putArray("parameters");
            for (Param p : this.common) common.add(v2Param(mapper, p));
            return item;
        }

        ObjectNode v3(ObjectMapper mapper) {
            ObjectNode item = mapper.createObjectNode();
            for (Op op : ops) {
                ObjectNode o = item.putObject(op.method());
                o.putArray("tags").add(tag(op.gvkOf()));
                o.put("description", op.description());
                o.put("operationId", op.operationId());
                ArrayNode params = o.putArray("parameters");
                for (Param p : op.params()) params.add(v3Param(mapper, p));
                if (params.isEmpty()) o.remove("parameters");
                if (op.body() != null) {
                    ObjectNode body = o.putObject("requestBody");
                    ObjectNode content = body.putObject("content");
                    for (String type : op.consumes()) content.putObject(type).putObject("schema").put("$ref", V3_PREFIX + op.body());
                    body.put("required", op.bodyRequired());
                }
                ObjectNode responses = o.putObject("responses");
                for (Map.Entry<String, String> r : op.responses().entrySet()) {
                    ObjectNode resp = responses.putObject(r.getKey()).put("description", describe(r.getKey()));
                    if (r.getValue() != null) resp.putObject("content").putObject("application/json").putObject("schema").put("$ref", V3_PREFIX + r.getValue());
                }
                o.put("x-kubernetes-action", op.action());
                gvk(o.putObject("x-kubernetes-group-version-kind"), op.gvkOf(), op.gvkKind());
            }
            ArrayNode common = item.putArray("parameters");
            for (Param p : this.common) common.add(v3Param(mapper, p));
            return item;
        }

        private static ObjectNode v2Param(ObjectMapper mapper, Param p) {
            ObjectNode n = mapper.createObjectNode().put("uniqueItems", true).put("type", p.type()).put("description", p.description())
                    .put("name", p.name()).put("in", p.in());
            if (p.required()) n.put("required", true);
            return n;
        }

        private static ObjectNode v3Param(ObjectMapper mapper, Param p) {
            ObjectNode n = mapper.createObjectNode().put("name", p.name()).put("in", p.in()).put("description", p.description());
            if (p.required()) n.put("required", true);
            n.putObject("schema").put("type", p.type()).put("uniqueItems", true);
            return n;
        }

        private static String describe(String code) {
            return switch (code) {
                case "200" -> "OK";
                case "201" -> "Created";
                case "202" -> "Accepted";
                case "401" -> "Unauthorized";
                default -> code;
            };
        }
    }

    /** kube-apiserver's tag of a group version, e.g. {@code agentsXK8sIo_v1beta1}. */
    static String tag(ResourceKind k) {
        return camel(k.group(), false) + "_" + k.version();
    }

    /** {@code agents.x-k8s.io} as {@code agentsXK8sIo} (or {@code AgentsXK8sIo}); the core group is {@code core}. */
    private static String camel(String group, boolean upperFirst) {
        if (group.isEmpty()) return upperFirst ? "Core" : "core";
        StringBuilder b = new StringBuilder();
        for (String part : group.split("[.-]")) {
            if (part.isEmpty()) continue;
            b.append(b.isEmpty() && !upperFirst ? part.substring(0, 1).toLowerCase(Locale.ROOT) : part.substring(0, 1).toUpperCase(Locale.ROOT))
                    .append(part.substring(1));
        }
        return b.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    private static final String STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
    private static final String PATCH = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
    private static final String DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
    private static final String SCALE = "io.k8s.api.autoscaling.v1.Scale";
    private static final List<String> BODY_TYPES = List.of("application/json", "application/yaml");
    private static final List<String> PATCH_TYPES = List.of("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml");

    private static final Param PRETTY = Param.query("pretty", "string", "If 'true', the output is pretty printed.");
    private static final Param DRY_RUN = Param.query("dryRun", "string", "All: check the request and answer as if it were done, without persisting anything.");
    private static final Param FIELD_MANAGER = Param.query("fieldManager", "string", "The name of the actor making the change (server-side apply).");
    private static final Param FIELD_VALIDATION = Param.query("fieldValidation", "string",
            "How to treat unknown or duplicate fields: Ignore, Warn or Strict. agentboxd rejects unknown fields, naming them.");
    private static final Param RESOURCE_VERSION = Param.query("resourceVersion", "string", "Which version of the state to serve (see the Kubernetes API concepts).");
    private static final List<Param> LIST = List.of(
            Param.query("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events in a watch."),
            Param.query("continue", "string", "The continue token of the previous page of a list."),
            Param.query("fieldSelector", "string", "Only objects whose fields match (metadata.name, metadata.namespace; =, ==, !=)."),
            Param.query("labelSelector", "string", "Only objects whose labels match."),
            Param.query("limit", "integer", "The most items to return in one page."),
            RESOURCE_VERSION,
            Param.query("resourceVersionMatch", "string", "How resourceVersion applies to a list: Exact or NotOlderThan."),
            Param.query("sendInitialEvents", "boolean", "Begin a watch with the current objects as ADDED events."),
            Param.query("timeoutSeconds", "integer", "End the list or watch after this many seconds."),
            Param.query("watch", "boolean", "Stream changes (ADDED, MODIFIED, DELETED) instead of answering a list."));
    private static final List<Param> DELETE = List.of(DRY_RUN,
            Param.query("gracePeriodSeconds", "integer", "Seconds before the object is deleted."),
            Param.query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "Delete an object that cannot be read."),
            Param.query("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
            Param.query("propagationPolicy", "string", "Orphan, Background or Foreground."));

    private List<PathItem> pathItems(ServedKinds.Served s) {
        ResourceKind k = s.kind();
        String kind = k.kind();
        String ns = k.namespaced() ? "Namespaced" : "";
        String id = capitalize(camel(k.group(), true)) + capitalize(k.version());
        String self = definitionName(k, kind);
        String list = definitionName(k, s.listKind());
        String base = "/apis/" + k.group() + "/" + k.version();
        if (k.group().isEmpty()) base = "/api/" + k.version();
        String collection = base + (k.namespaced() ? "/namespaces/{namespace}/" : "/") + k.plural();
        Param namespace = new Param("namespace", "path", "string", "object name and auth scope, such as for teams and projects", true);
        Param name = new Param("name", "path", "string", "name of the " + kind, true);
        List<Param> collectionCommon = k.namespaced() ? List.of(namespace, PRETTY) : List.of(PRETTY);
        List<Param> objectCommon = k.namespaced() ? List.of(name, namespace, PRETTY) : List.of(name, PRETTY);
        List<PathItem> out = new ArrayList<>();
        if (k.namespaced()) {
            out.add(new PathItem(base + "/" + k.plural(), List.of(PRETTY), List.of(
                    new Op("get", "list", "list" + id + kind + "ForAllNamespaces", "list objects of kind " + kind, LIST, null, false,
                            BODY_TYPES, responses("200", list), k, kind))));
        }
        out.add(new PathItem(collection, collectionCommon, List.of(
                new Op("get", "list", "list" + id + ns + kind, "list objects of kind " + kind, LIST, null, false, BODY_TYPES,
                        responses("200", list), k, kind),
                new Op("post", "post", "create" + id + ns + kind, "create " + article(kind) + kind, List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION),
                        self, true, BODY_TYPES, responses("200", self, "201", self, "202", self), k, kind),
                new Op("delete", "deletecollection", "deletecollection" + id + ns + kind, "delete collection of " + kind,
                        concat(DELETE, LIST.stream().filter(p -> !p.name().equals("watch") && !p.name().equals("allowWatchBookmarks")).toList()),
                        DELETE_OPTIONS, false, BODY_TYPES, responses("200", STATUS), k, kind))));
        out.add(new PathItem(collection + "/{name}", objectCommon, List.of(
                new Op("get", "get", "read" + id + ns + kind, "read the specified " + kind, List.of(RESOURCE_VERSION), null, false, BODY_TYPES,
                        responses("200", self), k, kind),
                new Op("put", "put", "replace" + id + ns + kind, "replace the specified " + kind, List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION),
                        self, true, BODY_TYPES, responses("200", self, "201", self), k, kind),
                new Op("delete", "delete", "delete" + id + ns + kind, "delete " + article(kind) + kind, DELETE, DELETE_OPTIONS, false, BODY_TYPES,
                        responses("200", STATUS, "202", STATUS), k, kind),
                new Op("patch", "patch", "patch" + id + ns + kind, "partially update the specified " + kind, patchParams(), PATCH, true, PATCH_TYPES,
                        responses("200", self, "201", self), k, kind))));
        if (s.hasStatus()) out.add(subresource(collection, objectCommon, "status", id + ns + kind, kind, self, k));
        if (s.scale().isPresent()) out.add(subresource(collection, objectCommon, "scale", id + ns + kind, kind, SCALE, k));
        return out;
    }

    private static PathItem subresource(String collection, List<Param> common, String sub, String id, String kind, String type, ResourceKind k) {
        String title = capitalize(sub);
        return new PathItem(collection + "/{name}/" + sub, common, List.of(
                new Op("get", "get", "read" + id + title, "read " + sub + " of the specified " + kind, List.of(RESOURCE_VERSION), null, false,
                        BODY_TYPES, responses("200", type), k, kind),
                new Op("put", "put", "replace" + id + title, "replace " + sub + " of the specified " + kind,
                        List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION), type, true, BODY_TYPES, responses("200", type, "201", type), k, kind),
                new Op("patch", "patch", "patch" + id + title, "partially update " + sub + " of the specified " + kind, patchParams(), PATCH, true,
                        PATCH_TYPES, responses("200", type, "201", type), k, kind)));
    }

    private static List<Param> patchParams() {
        return List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION,
                Param.query("force", "boolean", "Server-side apply: take over fields other managers own."));
    }

    private static Map<String, String> responses(String... codeAndType) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < codeAndType.length; i += 2) out.put(codeAndType[i], codeAndType[i + 1]);
        out.put("401", null);
        return out;
    }

    private static String article(String noun) {
        return "AEIOU".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ";
    }

    private static List<Param> concat(List<Param> a, List<Param> b) {
        List<Param> out = new ArrayList<>(a);
        for (Param p : b) if (out.stream().noneMatch(q -> q.name().equals(p.name()))) out.add(p);
        return out;
    }
}
