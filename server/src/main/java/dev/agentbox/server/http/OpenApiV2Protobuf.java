package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A Swagger 2.0 JSON document in the protobuf form client-go reads ({@code
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf}: gnostic's {@code openapi.v2.Document}, field numbers
 * from gnostic-models' OpenAPIv2.proto). kubectl asks {@code /openapi/v2} for this form only (apply, create and
 * replace build their validator from it), so it has to be served. Values gnostic keeps as {@code Any} (defaults,
 * enums, vendor extensions) are given as YAML text, which JSON is. Covers the subset agentboxd's document uses; a
 * key outside it is an error, so a change to the document cannot silently drop a field.
 */
final class OpenApiV2Protobuf {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NON_BODY_IN = Set.of("query", "path", "header", "formData");

    private OpenApiV2Protobuf() {
    }

    static byte[] encode(JsonNode swagger) {
        Msg doc = new Msg();
        forEach(swagger, (k, v) -> {
            switch (k) {
                case "swagger" -> doc.string(1, v.asText());
                case "info" -> doc.message(2, info(v));
                case "host" -> doc.string(3, v.asText());
                case "basePath" -> doc.string(4, v.asText());
                case "schemes" -> v.forEach(s -> doc.string(5, s.asText()));
                case "consumes" -> v.forEach(s -> doc.string(6, s.asText()));
                case "produces" -> v.forEach(s -> doc.string(7, s.asText()));
                case "paths" -> doc.message(8, paths(v));
                case "definitions" -> {
                    Msg defs = new Msg();
                    forEach(v, (name, schema) -> defs.message(1, named(name, schema(schema))));
                    doc.message(9, defs);
                }
                case "security" -> v.forEach(req -> doc.message(12, securityRequirement(req)));
                case "securityDefinitions" -> {
                    Msg defs = new Msg();
                    forEach(v, (name, def) -> defs.message(1, named(name, securityDefinition(def))));
                    doc.message(13, defs);
                }
                default -> extensionOrFail("document", k, v, doc, 16);
            }
        });
        return doc.bytes();
    }

    private static Msg info(JsonNode n) {
        Msg m = new Msg();
        forEach(n, (k, v) -> {
            switch (k) {
                case "title" -> m.string(1, v.asText());
                case "version" -> m.string(2, v.asText());
                case "description" -> m.string(3, v.asText());
                default -> extensionOrFail("info", k, v, m, 7);
            }
        });
        return m;
    }

    private static Msg paths(JsonNode n) {
        Msg m = new Msg();
        forEach(n, (path, item) -> {
            if (path.startsWith("x-")) m.message(1, namedAny(path, item));
            else m.message(2, named(path, pathItem(item)));
        });
        return m;
    }

    private static Msg pathItem(JsonNode n) {
        Msg m = new Msg();
        forEach(n, (k, v) -> {
            switch (k) {
                case "$ref" -> m.string(1, v.asText());
                case "get" -> m.message(2, operation(v));
                case "put" -> m.message(3, operation(v));
                case "post" -> m.message(4, operation(v));
                case "delete" -> m.message(5, operation(v));
                case "options" -> m.message(6, operation(v));
                case "head" -> m.message(7, operation(v));
                case "patch" -> m.message(8, operation(v));
                case "parameters" -> v.forEach(p -> m.message(9, parametersItem(p)));
                default -> extensionOrFail("path item", k, v, m, 10);
            }
        });
        return m;
    }

    private static Msg operation(JsonNode n) {
        Msg m = new Msg();
        forEach(n, (k, v) -> {
            switch (k) {
                case "tags" -> v.forEach(t -> m.string(1, t.asText()));
                case "summary" -> m.string(2, v.asText());
                case "description" -> m.string(3, v.asText());
                case "operationId" -> m.string(5, v.asText());
                case "produces" -> v.forEach(t -> m.string(6, t.asText()));
                case "consumes" -> v.forEach(t -> m.string(7, t.asText()));
                case "parameters" -> v.forEach(p -> m.message(8, parametersItem(p)));
                case "responses" -> m.message(9, responses(v));
                case "schemes" -> v.forEach(t -> m.string(10, t.asText()));
                case "deprecated" -> m.bool(11, v.asBoolean());
                default -> extensionOrFail("operation", k, v, m, 13);
            }
        });
        return m;
    }

    /** ParametersItem { Parameter parameter = 1; JsonReference json_reference = 2; } */
    private static Msg parametersItem(JsonNode n) {
        Msg item = new Msg();
        if (n.has("$ref")) {
            Msg ref = new Msg();
            ref.string(1, n.get("$ref").asText());
            item.message(2, ref);
            return item;
        }
        String in = n.path("in").asText();
        Msg parameter = new Msg();
        if (in.equals("body")) {
            Msg body = new Msg();
            forEach(n, (k, v) -> {
                switch (k) {
                    case "description" -> body.string(1, v.asText());
                    case "name" -> body.string(2, v.asText());
                    case "in" -> body.string(3, v.asText());
                    case "required" -> body.bool(4, v.asBoolean());
                    case "schema" -> body.message(5, schema(v));
                    default -> extensionOrFail("body parameter", k, v, body, 6);
                }
            });
            parameter.message(1, body);
        } else if (in.equals("query") || in.equals("path")) {
            boolean query = in.equals("query");
            // QueryParameterSubSchema and PathParameterSubSchema differ by allow_empty_value (query field 5): past field 4,
            // the query message's numbers are one higher
            int shift = query ? 1 : 0;
            Msg sub = new Msg();
            forEach(n, (k, v) -> {
                switch (k) {
                    case "required" -> sub.bool(1, v.asBoolean());
                    case "in" -> sub.string(2, v.asText());
                    case "description" -> sub.string(3, v.asText());
                    case "name" -> sub.string(4, v.asText());
                    case "allowEmptyValue" -> {
                        if (!query) throw unsupported("path parameter", k);
                        sub.bool(5, v.asBoolean());
                    }
                    case "type" -> sub.string(5 + shift, v.asText());
                    case "format" -> sub.string(6 + shift, v.asText());
                    case "default" -> sub.message(9 + shift, any(v));
                    case "uniqueItems" -> sub.bool(19 + shift, v.asBoolean());
                    case "enum" -> v.forEach(e -> sub.message(20 + shift, any(e)));
                    default -> extensionOrFail(in + " parameter", k, v, sub, 22 + shift);
                }
            });
            Msg nonBody = new Msg();
            nonBody.message(query ? 3 : 4, sub);
            parameter.message(2, nonBody);
        } else {
            throw new IllegalArgumentException("a parameter in " + (NON_BODY_IN.contains(in) ? in : "'" + in + "'") + " is not supported by the protobuf encoder");
        }
        item.message(1, parameter);
        return item;
    }

    /** Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; } */
    private static Msg responses(JsonNode n) {
        Msg m = new Msg();
        forEach(n, (code, r) -> {
            if (code.startsWith("x-")) {
                m.message(2, namedAny(code, r));
                return;
            }
            Msg value = new Msg();
            if (r.has("$ref")) {
                Msg ref = new Msg();
                ref.string(1, r.get("$ref").asText());
                value.message(2, ref);
            } else {
                Msg response = new Msg();
                forEach(r, (k, v) -> {
                    switch (k) {
                        case "description" -> response.string(1, v.asText());
                        case "schema" -> {
                            Msg schemaItem = new Msg();
                            schemaItem.message(1, schema(v));
                            response.message(2, schemaItem);
                        }
                        default -> extensionOrFail("response", k, v, response, 5);
                    }
                });
                value.message(1, response);
            }
            m.message(1, named(code, value));
        });
        return m;
    }

    private static Msg schema(JsonNode n) {
        Msg m = new Msg();
        forEach(n, (k, v) -> {
            switch (k) {
                case "$ref" -> m.string(1, v.asText());
                case "format" -> m.string(2, v.asText());
                case "title" -> m.string(3, v.asText());
                case "description" -> m.string(4, v.asText());
                case "default" -> m.message(5, any(v));
                case "multipleOf" -> m.dbl(6, v.asDouble());
                case "maximum" -> m.dbl(7, v.asDouble());
                case "exclusiveMaximum" -> m.bool(8, v.asBoolean());
                case "minimum" -> m.dbl(9, v.asDouble());
                case "exclusiveMinimum" -> m.bool(10, v.asBoolean());
                case "maxLength" -> m.int64(11, v.asLong());
                case "minLength" -> m.int64(12, v.asLong());
                case "pattern" -> m.string(13, v.asText());
                case "maxItems" -> m.int64(14, v.asLong());
                case "minItems" -> m.int64(15, v.asLong());
                case "uniqueItems" -> m.bool(16, v.asBoolean());
                case "maxProperties" -> m.int64(17, v.asLong());
                case "minProperties" -> m.int64(18, v.asLong());
                case "required" -> v.forEach(r -> m.string(19, r.asText()));
                case "enum" -> v.forEach(e -> m.message(20, any(e)));
                case "additionalProperties" -> {
                    Msg ap = new Msg();
                    if (v.isBoolean()) ap.boolAlways(2, v.asBoolean());
                    else ap.message(1, schema(v));
                    m.message(21, ap);
                }
                case "type" -> {
                    Msg type = new Msg();
                    if (v.isArray()) v.forEach(t -> type.string(1, t.asText()));
                    else type.string(1, v.asText());
                    m.message(22, type);
                }
                case "items" -> {
                    Msg items = new Msg();
                    if (v.isArray()) v.forEach(s -> items.message(1, schema(s)));
                    else items.message(1, schema(v));
                    m.message(23, items);
                }
                case "allOf" -> v.forEach(s -> m.message(24, schema(s)));
                case "properties" -> {
                    Msg props = new Msg();
                    forEach(v, (name, s) -> props.message(1, named(name, schema(s))));
                    m.message(25, props);
                }
                case "discriminator" -> m.string(26, v.asText());
                case "readOnly" -> m.bool(27, v.asBoolean());
                case "example" -> m.message(30, any(v));
                default -> extensionOrFail("schema", k, v, m, 31);
            }
        });
        return m;
    }

    /** SecurityDefinitionsItem with ApiKeySecurity (field 2): the only kind agentboxd has (a bearer token). */
    private static Msg securityDefinition(JsonNode n) {
        if (!"apiKey".equals(n.path("type").asText())) throw new IllegalArgumentException("only apiKey security definitions are supported");
        Msg apiKey = new Msg();
        forEach(n, (k, v) -> {
            switch (k) {
                case "type" -> apiKey.string(1, v.asText());
                case "name" -> apiKey.string(2, v.asText());
                case "in" -> apiKey.string(3, v.asText());
                case "description" -> apiKey.string(4, v.asText());
                default -> extensionOrFail("security definition", k, v, apiKey, 5);
            }
        });
        Msg item = new Msg();
        item.message(2, apiKey);
        return item;
    }

    /** SecurityRequirement { repeated NamedStringArray additional_properties = 1; } */
    private static Msg securityRequirement(JsonNode n) {
        Msg m = new Msg();
        forEach(n, (name, scopes) -> {
            Msg array = new Msg();
            scopes.forEach(s -> array.string(1, s.asText()));
            Msg named = new Msg();
            named.string(1, name);
            named.message(2, array);
            m.message(1, named);
        });
        return m;
    }

    /** Named* { string name = 1; T value = 2; } */
    private static Msg named(String name, Msg value) {
        Msg m = new Msg();
        m.string(1, name);
        m.messageAlways(2, value);
        return m;
    }

    private static Msg namedAny(String name, JsonNode value) {
        return named(name, any(value));
    }

    /** Any { google.protobuf.Any value = 1; string yaml = 2; }: the value as YAML (JSON is YAML). */
    private static Msg any(JsonNode value) {
        Msg m = new Msg();
        try {
            m.stringAlways(2, JSON.writeValueAsString(value) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    private static void extensionOrFail(String where, String key, JsonNode value, Msg m, int vendorExtensionField) {
        if (!key.startsWith("x-")) throw unsupported(where, key);
        m.message(vendorExtensionField, namedAny(key, value));
    }

    private static IllegalArgumentException unsupported(String where, String key) {
        return new IllegalArgumentException("'" + key + "' in a " + where + " is not supported by the OpenAPI v2 protobuf encoder");
    }

    private interface FieldVisitor {
        void visit(String key, JsonNode value);
    }

    private static void forEach(JsonNode object, FieldVisitor visitor) {
        if (!object.isObject()) throw new IllegalArgumentException("expected a JSON object, found " + object.getNodeType());
        Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            visitor.visit(f.getKey(), f.getValue());
        }
    }

    /** A protobuf message being written (proto3: default values are left out, except where a oneof needs them). */
    static final class Msg {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void string(int field, String value) {
            if (!value.isEmpty()) stringAlways(field, value);
        }

        void stringAlways(int field, String value) {
            byte[] b = value.getBytes(StandardCharsets.UTF_8);
            tag(field, 2);
            varint(b.length);
            out.writeBytes(b);
        }

        void bool(int field, boolean value) {
            if (value) boolAlways(field, true);
        }

        void boolAlways(int field, boolean value) {
            tag(field, 0);
            varint(value ? 1 : 0);
        }

        void int64(int field, long value) {
            if (value == 0) return;
            tag(field, 0);
            varint(value);
        }

        void dbl(int field, double value) {
            if (value == 0 && 1 / value > 0) return; // +0.0 is the default
            tag(field, 1);
            long bits = Double.doubleToLongBits(value);
            for (int i = 0; i < 8; i++) out.write((int) (bits >>> (8 * i)) & 0xff);
        }

        void message(int field, Msg value) {
            messageAlways(field, value);
        }

        void messageAlways(int field, Msg value) {
            byte[] b = value.bytes();
            tag(field, 2);
            varint(b.length);
            out.writeBytes(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            varint(((long) field << 3) | wireType);
        }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
