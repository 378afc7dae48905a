package dev.agentbox.operator.crd;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A structural check of a JSON document against a CRD's openAPIV3Schema, as the API server's pruning and
 * validation would see it: unknown fields (where the schema does not preserve them), types (string, integer,
 * number, boolean, object, array, int-or-string), enums, required fields and minimums. Returns the problems with
 * their field paths; empty means accepted. Formats and CEL rules are not checked.
 */
public final class SchemaCheck {
    private SchemaCheck() {
    }

    public static List<String> validate(JSONSchemaProps schema, JsonNode doc) {
        List<String> errors = new ArrayList<>();
        walk(schema, doc, "", errors, true);
        return errors;
    }

    private static void walk(JSONSchemaProps s, JsonNode n, String path, List<String> errors, boolean root) {
        if (s == null || n == null || n.isNull()) return;
        if (Boolean.TRUE.equals(s.getXKubernetesIntOrString())) {
            if (!(n.isInt() || n.isLong() || n.isTextual())) errors.add(path + ": must be an integer or a string");
            return;
        }
        if (s.getEnum() != null && !s.getEnum().isEmpty()) {
            boolean match = s.getEnum().stream().anyMatch(e -> e.equals(n));
            if (!match) errors.add(path + ": " + n + " is not one of " + s.getEnum());
        }
        String type = s.getType();
        if (type == null) {
            if (s.getProperties() != null && !s.getProperties().isEmpty()) type = "object";
            else return; // untyped (preserve-unknown-fields / embedded resource): anything goes
        }
        switch (type) {
            case "string" -> { if (!n.isTextual()) errors.add(path + ": must be a string, got " + n.getNodeType()); }
            case "integer" -> {
                if (!n.isIntegralNumber()) errors.add(path + ": must be an integer, got " + n.getNodeType());
                else if (s.getMinimum() != null && n.asDouble() < s.getMinimum()) errors.add(path + ": must be >= " + s.getMinimum());
            }
            case "number" -> { if (!n.isNumber()) errors.add(path + ": must be a number"); }
            case "boolean" -> { if (!n.isBoolean()) errors.add(path + ": must be a boolean, got " + n.getNodeType()); }
            case "array" -> {
                if (!n.isArray()) { errors.add(path + ": must be an array"); return; }
                JSONSchemaProps items = s.getItems() == null ? null : s.getItems().getSchema();
                for (int i = 0; i < n.size(); i++) walk(items, n.get(i), path + "[" + i + "]", errors, false);
            }
            case "object" -> {
                if (!n.isObject()) { errors.add(path + ": must be an object, got " + n.getNodeType()); return; }
                if (s.getRequired() != null) {
                    for (String r : s.getRequired()) if (!n.has(r)) errors.add(join(path, r) + ": required");
                }
                Map<String, JSONSchemaProps> props = s.getProperties() == null ? Map.of() : s.getProperties();
                JSONSchemaProps additional = s.getAdditionalProperties() == null ? null : s.getAdditionalProperties().getSchema();
                boolean preserve = Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields())
                        || (s.getAdditionalProperties() != null && Boolean.TRUE.equals(s.getAdditionalProperties().getAllows()));
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    String p = join(path, f.getKey());
                    if (root && (f.getKey().equals("apiVersion") || f.getKey().equals("kind") || f.getKey().equals("metadata"))) continue;
                    if (props.containsKey(f.getKey())) walk(props.get(f.getKey()), f.getValue(), p, errors, false);
                    else if (additional != null) walk(additional, f.getValue(), p, errors, false);
                    else if (!preserve && !Boolean.TRUE.equals(s.getXKubernetesEmbeddedResource())) errors.add(p + ": unknown field (the API server would prune it)");
                }
            }
            default -> errors.add(path + ": unsupported schema type " + type);
        }
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}
