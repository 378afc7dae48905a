package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.CustomResourceDefinitions;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * /openapi/v2 and /openapi/v3 hold every kind with its CRD's schema (the one source: the v3 schema is the CRD's
 * openAPIV3Schema plus apiVersion, kind and metadata), in the shapes kube-apiserver publishes for CRDs and kubectl reads:
 * v2 also as gnostic protobuf (kubectl apply/create ask for that), a v3 index with hashed URLs, and PATCH operations
 * that name the kind and the fieldValidation parameter (kubectl then leaves validation to the server).
 */
class OpenApiTest {
    static Daemon daemon;
    static KubeHttp http;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
        http = new KubeHttp(daemon);
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    /** The CRD-backed kinds. */
    static List<ResourceKind> crdKinds() {
        return ResourceKinds.all().stream().filter(k -> CustomResourceDefinitions.tree(k).isPresent()).toList();
    }

    static String definition(ResourceKind k, String kind) {
        List<String> parts = new ArrayList<>(List.of(k.group().split("\\.")));
        java.util.Collections.reverse(parts);
        return String.join(".", parts) + "." + k.version() + "." + kind;
    }

    static JsonNode crdSchema(ResourceKind k) {
        return CustomResourceDefinitions.version(k).orElseThrow().path("schema").path("openAPIV3Schema");
    }

    private static JsonNode get(String path, String accept) {
        KubeHttp.Answer a = http.get(path, daemon.token, accept);
        assertThat(a.status()).as(path + ": " + a.body()).isEqualTo(200);
        return a.json();
    }

    @Test
    void v3SchemasAreTheCrdSchemasOfEveryKind() {
        JsonNode index = get("/openapi/v3", null);
        Set<String> groupVersions = new java.util.TreeSet<>();
        crdKinds().forEach(k -> groupVersions.add("apis/" + k.group() + "/" + k.version()));
        List<String> listed = new ArrayList<>();
        index.path("paths").fieldNames().forEachRemaining(listed::add);
        assertThat(listed).containsExactlyInAnyOrderElementsOf(groupVersions);

        for (ResourceKind k : crdKinds()) {
            String url = index.path("paths").path("apis/" + k.group() + "/" + k.version()).path("serverRelativeURL").asText();
            assertThat(url).startsWith("/openapi/v3/apis/" + k.group() + "/" + k.version() + "?hash=");
            JsonNode doc = get(url, "application/json");
            assertThat(doc.path("openapi").asText()).startsWith("3.0");
            JsonNode schema = doc.path("components").path("schemas").path(definition(k, k.kind()));
            assertThat(schema.isObject()).as("schema of %s in %s", k, url).isTrue();
            assertThat(schema.path("x-kubernetes-group-version-kind").get(0))
                    .isEqualTo(Daemon.JSON.createObjectNode().put("group", k.group()).put("kind", k.kind()).put("version", k.version()));
            assertThat(schema.path("properties").path("metadata").path("allOf").get(0).path("$ref").asText())
                    .isEqualTo("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
            assertThat(schema.path("properties").path("apiVersion").path("type").asText()).isEqualTo("string");
            // one source: without what kube-apiserver adds to every CRD schema, it is the CRD's openAPIV3Schema
            ObjectNode stripped = schema.deepCopy();
            stripped.remove("x-kubernetes-group-version-kind");
            ((ObjectNode) stripped.get("properties")).remove(List.of("apiVersion", "kind", "metadata"));
            assertThat(stripped).as("v3 schema of %s", k).isEqualTo(crdSchema(k));
            JsonNode list = doc.path("components").path("schemas").path(definition(k, k.kind() + "List"));
            assertThat(list.path("properties").path("items").path("items").path("$ref").asText())
                    .isEqualTo("#/components/schemas/" + definition(k, k.kind()));
            assertThat(list.path("x-kubernetes-group-version-kind").get(0).path("kind").asText()).isEqualTo(k.kind() + "List");
            assertEveryRefResolves(doc, "#/components/schemas/", doc.path("components").path("schemas"));
        }
    }

    @Test
    void v3DocumentsCarryThePathsKubectlLooksFor() {
        ResourceKind claims = ResourceKinds.byPlural("extensions.agents.x-k8s.io", "sandboxclaims").orElseThrow();
        JsonNode doc = get("/openapi/v3/apis/extensions.agents.x-k8s.io/v1beta1", null);
        JsonNode paths = doc.path("paths");
        String collection = "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/{namespace}/sandboxclaims";
        assertThat(paths.has("/apis/extensions.agents.x-k8s.io/v1beta1/sandboxclaims")).isTrue();
        assertThat(paths.path(collection).has("get")).isTrue();
        assertThat(paths.path(collection).has("post")).isTrue();
        JsonNode patch = paths.path(collection + "/{name}").path("patch");
        assertThat(patch.path("x-kubernetes-action").asText()).isEqualTo("patch");
        assertThat(patch.path("x-kubernetes-group-version-kind"))
                .isEqualTo(Daemon.JSON.createObjectNode().put("group", claims.group()).put("kind", "SandboxClaim").put("version", "v1beta1"));
        List<String> params = new ArrayList<>();
        patch.path("parameters").forEach(p -> params.add(p.path("in").asText() + ":" + p.path("name").asText()));
        assertThat(params).contains("query:fieldValidation", "query:fieldManager", "query:dryRun", "query:force");
        assertThat(patch.path("requestBody").path("content").has("application/merge-patch+json")).isTrue();
        assertThat(paths.path(collection + "/{name}/status").has("patch")).isTrue();
        assertThat(paths.has(collection.replace("sandboxclaims", "sandboxtemplates") + "/{name}/status")).as("templates have no status").isFalse();
        JsonNode scale = paths.path(collection.replace("sandboxclaims", "sandboxwarmpools") + "/{name}/scale").path("get");
        assertThat(scale.path("responses").path("200").path("content").path("application/json").path("schema").path("$ref").asText())
                .isEqualTo("#/components/schemas/io.k8s.api.autoscaling.v1.Scale");
        assertThat(get("/openapi/v3/apis/podsnapshot.gke.io/v1", null).path("paths").has("/apis/podsnapshot.gke.io/v1/podsnapshotstorageconfigs/{name}"))
                .as("a cluster-scoped kind's paths have no namespace").isTrue();
    }

    @Test
    void v3UrlsWithAStaleHashRedirectAndUnknownGroupVersionsAreNotFound() {
        KubeHttp.Answer stale = http.get("/openapi/v3/apis/agents.x-k8s.io/v1beta1?hash=0123", daemon.token, null);
        assertThat(stale.status()).isEqualTo(301);
        String current = get("/openapi/v3", null).path("paths").path("apis/agents.x-k8s.io/v1beta1").path("serverRelativeURL").asText();
        assertThat(stale.header("Location")).isEqualTo(current);
        KubeHttp.Answer fresh = http.get(current, daemon.token, null);
        assertThat(fresh.header("Cache-Control")).isEqualTo("public, immutable");
        assertThat(http.get("/openapi/v3/apis/evil.example/v1", daemon.token, null).status()).isEqualTo(404);
        assertThat(http.get("/openapi/v3/apis/agents.x-k8s.io/v1beta1", null, null).status()).isEqualTo(401);
    }

    @Test
    void v2HoldsEveryKindAsKubectlsParserReadsIt() {
        JsonNode doc = get("/openapi/v2", "application/json");
        assertThat(doc.path("swagger").asText()).isEqualTo("2.0");
        JsonNode definitions = doc.path("definitions");
        for (ResourceKind k : crdKinds()) {
            JsonNode schema = definitions.path(definition(k, k.kind()));
            assertThat(schema.isObject()).as("definition of %s", k).isTrue();
            assertThat(schema.path("x-kubernetes-group-version-kind").get(0).path("kind").asText()).isEqualTo(k.kind());
            assertThat(schema.path("properties").path("metadata").path("$ref").asText())
                    .isEqualTo("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
            // the CRD schema as kube-apiserver converts it for v2: no anyOf/allOf/oneOf/not (int-or-string stays marked)
            ObjectNode stripped = schema.deepCopy();
            stripped.remove("x-kubernetes-group-version-kind");
            ((ObjectNode) stripped.get("properties")).remove(List.of("apiVersion", "kind", "metadata"));
            assertThat(stripped).as("v2 schema of %s", k).isEqualTo(withoutCombinators(crdSchema(k).deepCopy()));
            assertThat(definitions.has(definition(k, k.kind() + "List"))).isTrue();
            JsonNode patch = doc.path("paths").path("/apis/" + k.group() + "/" + k.version() + (k.namespaced() ? "/namespaces/{namespace}/" : "/")
                    + k.plural() + "/{name}").path("patch");
            assertThat(patch.path("x-kubernetes-group-version-kind").path("kind").asText()).isEqualTo(k.kind());
        }
        assertEveryRefResolves(doc, "#/definitions/", definitions);
        // what kube-openapi's proto parser (kubectl) refuses: several types, an array without items, an unknown type
        List<String> problems = new ArrayList<>();
        definitions.fields().forEachRemaining(d -> walkV2(d.getValue(), d.getKey(), problems));
        assertThat(problems).isEmpty();
    }

    @Test
    void v2AsProtobufIsTheSameDocument() {
        JsonNode json = get("/openapi/v2", "application/json");
        KubeHttp.Answer proto = http.get("/openapi/v2", daemon.token, "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        assertThat(proto.status()).isEqualTo(200);
        // as kube-apiserver: the dotted form, since Go's mime parser (kubectl) refuses the '@' of the one asked for
        assertThat(proto.header("Content-Type")).isEqualTo("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
        // decode gnostic's openapi.v2.Document (OpenAPIv2.proto) far enough to rebuild the definitions and one operation
        Wire doc = Wire.parse(proto.response().body());
        assertThat(doc.string(1)).isEqualTo("2.0");
        ObjectNode definitions = Daemon.JSON.createObjectNode();
        for (Wire named : doc.message(9).messages(1)) definitions.set(named.string(1), Wire.schema(named.message(2)));
        // proto3 cannot tell 0, false and "" from absent: kube-apiserver's protobuf form loses them too (minimum: 0)
        JsonNode expected = withoutZeroScalars(json.path("definitions").deepCopy());
        List<String> differences = new ArrayList<>();
        diff(expected, definitions, "", differences);
        assertThat(differences).as("definitions decoded from protobuf vs the JSON document").isEmpty();

        ResourceKind claims = ResourceKinds.byPlural("extensions.agents.x-k8s.io", "sandboxclaims").orElseThrow();
        String path = "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/{namespace}/sandboxclaims/{name}";
        Wire item = doc.message(8).messages(2).stream().filter(n -> n.string(1).equals(path)).findFirst().orElseThrow().message(2);
        Wire patch = item.message(8);
        assertThat(patch.string(5)).isEqualTo(json.path("paths").path(path).path("patch").path("operationId").asText());
        List<String> queryParams = new ArrayList<>();
        for (Wire p : patch.messages(8)) {
            Wire nonBody = p.message(1).message(2);
            if (nonBody.has(3)) queryParams.add(nonBody.message(3).string(4)); // QueryParameterSubSchema.name
        }
        assertThat(queryParams).contains("fieldValidation", "dryRun", "fieldManager", "force");
        Map<String, String> extensions = new java.util.HashMap<>();
        for (Wire ext : patch.messages(13)) extensions.put(ext.string(1), ext.message(2).string(2));
        assertThat(extensions.get("x-kubernetes-action")).isEqualTo("\"patch\"\n");
        assertThat(Wire.yaml(extensions.get("x-kubernetes-group-version-kind")).path("kind").asText()).isEqualTo(claims.kind());
    }

    private static JsonNode withoutZeroScalars(JsonNode n) {
        if (n instanceof ObjectNode o) {
            List<String> zero = new ArrayList<>();
            o.fields().forEachRemaining(f -> {
                if (f.getKey().startsWith("x-") || f.getKey().equals("default") || f.getKey().equals("enum")) return; // kept as Any (YAML text)
                JsonNode v = f.getValue();
                if ((v.isNumber() && v.asDouble() == 0) || (v.isBoolean() && !v.asBoolean()) || (v.isTextual() && v.asText().isEmpty())) zero.add(f.getKey());
            });
            o.remove(zero);
            o.fields().forEachRemaining(f -> {
                if (!f.getKey().startsWith("x-") && !f.getKey().equals("default") && !f.getKey().equals("enum")) withoutZeroScalars(f.getValue());
            });
        } else if (n instanceof ArrayNode a) {
            a.forEach(OpenApiTest::withoutZeroScalars);
        }
        return n;
    }

    private static void diff(JsonNode a, JsonNode b, String path, List<String> out) {
        if (out.size() > 20) return;
        if (a.isObject() && b.isObject()) {
            Set<String> keys = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (!a.has(k)) out.add(path + "." + k + ": only decoded (" + b.get(k) + ")");
                else if (!b.has(k)) out.add(path + "." + k + ": missing from the protobuf (" + a.get(k) + ")");
                else diff(a.get(k), b.get(k), path + "." + k, out);
            }
        } else if (a.isNumber() && b.isNumber()) {
            if (a.asDouble() != b.asDouble()) out.add(path + ": " + a + " vs " + b);
        } else if (!a.equals(b)) {
            out.add(path + ": " + a + " vs " + b);
        }
    }

    private static JsonNode withoutCombinators(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove(List.of("anyOf", "allOf", "oneOf", "not"));
            o.forEach(OpenApiTest::withoutCombinators);
        } else if (n instanceof ArrayNode a) {
            a.forEach(OpenApiTest::withoutCombinators);
        }
        return n;
    }

    private static void walkV2(JsonNode s, String path, List<String> problems) {
        if (!s.isObject()) return;
        JsonNode type = s.get("type");
        if (type != null) {
            if (!type.isTextual()) problems.add(path + ": type " + type);
            else if (!Set.of("object", "array", "string", "integer", "number", "boolean").contains(type.asText())) problems.add(path + ": type " + type);
            else if (type.asText().equals("array") && !s.path("items").isObject()) problems.add(path + ": array without one items schema");
        }
        for (String k : List.of("anyOf", "allOf", "oneOf", "not", "nullable")) if (s.has(k)) problems.add(path + ": " + k);
        s.path("properties").fields().forEachRemaining(p -> walkV2(p.getValue(), path + "." + p.getKey(), problems));
        if (s.has("items")) walkV2(s.get("items"), path + "[]", problems);
        if (s.path("additionalProperties").isObject()) walkV2(s.get("additionalProperties"), path + "{}", problems);
    }

    private static void assertEveryRefResolves(JsonNode node, String prefix, JsonNode definitions) {
        List<String> missing = new ArrayList<>();
        collectRefs(node, refs -> {
            if (!refs.startsWith(prefix) || !definitions.has(refs.substring(prefix.length()))) missing.add(refs);
        });
        assertThat(missing).as("references that do not resolve").isEmpty();
    }

    private static void collectRefs(JsonNode n, java.util.function.Consumer<String> out) {
        if (n.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> f = n.fields();
            while (f.hasNext()) {
                var e = f.next();
                if (e.getKey().equals("$ref") && e.getValue().isTextual()) out.accept(e.getValue().asText());
                else collectRefs(e.getValue(), out);
            }
        } else if (n.isArray()) {
            n.forEach(c -> collectRefs(c, out));
        }
    }

    /** A protobuf message read generically: field number → values (varints as Long, fixed64 as Long bits, bytes). */
    record Wire(List<Object[]> fields) {
        static Wire parse(byte[] b) {
            List<Object[]> fields = new ArrayList<>();
            int[] pos = {0};
            while (pos[0] < b.length) {
                long tag = varint(b, pos);
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                switch (wire) {
                    case 0 -> fields.add(new Object[] {field, varint(b, pos)});
                    case 1 -> {
                        long v = 0;
                        for (int i = 0; i < 8; i++) v |= (long) (b[pos[0] + i] & 0xff) << (8 * i);
                        pos[0] += 8;
                        fields.add(new Object[] {field, Double.longBitsToDouble(v)});
                    }
                    case 2 -> {
                        int len = (int) varint(b, pos);
                        fields.add(new Object[] {field, java.util.Arrays.copyOfRange(b, pos[0], pos[0] + len)});
                        pos[0] += len;
                    }
                    default -> throw new AssertionError("unexpected wire type " + wire + " for field " + field);
                }
            }
            return new Wire(fields);
        }

        private static long varint(byte[] b, int[] pos) {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                byte x = b[pos[0]++];
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) return v;
            }
        }

        boolean has(int field) {
            return fields.stream().anyMatch(f -> (int) f[0] == field);
        }

        List<Object> all(int field) {
            return fields.stream().filter(f -> (int) f[0] == field).map(f -> f[1]).toList();
        }

        String string(int field) {
            List<Object> v = all(field);
            return v.isEmpty() ? "" : new String((byte[]) v.get(v.size() - 1), StandardCharsets.UTF_8);
        }

        List<String> strings(int field) {
            return all(field).stream().map(o -> new String((byte[]) o, StandardCharsets.UTF_8)).toList();
        }

        Wire message(int field) {
            List<Object> v = all(field);
            return v.isEmpty() ? parse(new byte[0]) : parse((byte[]) v.get(v.size() - 1));
        }

        List<Wire> messages(int field) {
            return all(field).stream().map(o -> parse((byte[]) o)).toList();
        }

        static JsonNode yaml(String text) {
            try {
                return Daemon.JSON.readTree(text);
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON (YAML) text: " + text, e);
            }
        }

        /** gnostic's Schema back to JSON (the fields agentboxd's documents use). */
        static ObjectNode schema(Wire s) {
            ObjectNode o = Daemon.JSON.createObjectNode();
            for (Object[] f : s.fields()) {
                int n = (int) f[0];
                Object v = f[1];
                switch (n) {
                    case 1 -> o.put("$ref", str(v));
                    case 2 -> o.put("format", str(v));
                    case 4 -> o.put("description", str(v));
                    case 5 -> o.set("default", yaml(parse((byte[]) v).string(2)));
                    case 9 -> o.put("minimum", (Double) v);
                    case 16 -> o.put("uniqueItems", (Long) v != 0);
                    case 19 -> (o.has("required") ? (ArrayNode) o.get("required") : o.putArray("required")).add(str(v));
                    case 20 -> (o.has("enum") ? (ArrayNode) o.get("enum") : o.putArray("enum")).add(yaml(parse((byte[]) v).string(2)));
                    case 21 -> {
                        Wire ap = parse((byte[]) v);
                        if (ap.has(1)) o.set("additionalProperties", schema(ap.message(1)));
                        else o.put("additionalProperties", (Long) ap.all(2).get(0) != 0);
                    }
                    case 22 -> o.put("type", parse((byte[]) v).string(1));
                    case 23 -> o.set("items", schema(parse((byte[]) v).message(1)));
                    case 25 -> {
                        ObjectNode props = o.putObject("properties");
                        for (Wire named : parse((byte[]) v).messages(1)) props.set(named.string(1), schema(named.message(2)));
                    }
                    case 31 -> {
                        Wire named = parse((byte[]) v);
                        o.set(named.string(1), yaml(named.message(2).string(2)));
                    }
                    default -> throw new AssertionError("schema field " + n + " not expected in agentboxd's documents");
                }
            }
            return o;
        }

        private static String str(Object v) {
            return new String((byte[]) v, StandardCharsets.UTF_8);
        }
    }
}
