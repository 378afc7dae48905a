package dev.agentbox.api.internal;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import dev.agentbox.api.FieldError;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Finds fields in a JSON tree that the target Java type does not declare. Kubernetes' model classes keep
 * unknown fields in a catch-all {@code additionalProperties} map instead of failing, so a typo such as
 * {@code imagee} would otherwise be dropped silently. Maps (labels, annotations, resource quantities, ...)
 * accept any key; leaf types with their own deserializer (Quantity, IntOrString, ...) are not descended into.
 */
public final class UnknownFields {
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    /** No declared field is longer; a longer unknown name gets no "did you mean" (the edit distance costs its length). */
    private static final int MAX_HINTED_NAME = 64;

    private final ObjectMapper mapper;
    private final int maxErrors;
    private final Map<JavaType, Map<String, JavaType>> cache = new ConcurrentHashMap<>();

    /** Stops looking once more than {@code maxErrors} errors are found, so a body of unknown fields costs little. */
    public UnknownFields(ObjectMapper mapper, int maxErrors) {
        this.mapper = mapper;
        this.maxErrors = maxErrors;
    }

    /** Adds an error for every field under {@code node} that {@code type} does not declare (up to the maximum, plus one). */
    public void check(JsonNode node, JavaType type, String path, List<FieldError> errors) {
        if (node == null || node.isNull() || node.isMissingNode() || errors.size() > maxErrors) return;
        if (type.isArrayType() || type.isCollectionLikeType()) {
            if (!node.isArray()) return;
            for (int i = 0; i < node.size(); i++) check(node.get(i), type.getContentType(), path + "[" + i + "]", errors);
            return;
        }
        if (type.isMapLikeType()) {
            if (!node.isObject()) return;
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                check(f.getValue(), type.getContentType(), child(path, f.getKey()), errors);
            }
            return;
        }
        if (isLeaf(type)) return;
        // managedFields' fieldsV1 is free-form ({"f:spec":{"f:replicas":{}}}): FieldsV1 keeps it all in additionalProperties
        if (type.getRawClass() == io.fabric8.kubernetes.api.model.FieldsV1.class) return;
        if (!node.isObject()) {
            // a string, number or boolean where an object is declared: unless the class says it takes one (@JsonCreator,
            // as IntOrString), Jackson would build the object from it through any one-argument constructor
            // (spec: "x" became spec.policyName x), which Kubernetes' schema refuses
            if (node.isValueNode() && !hasCreator(type.getRawClass()) && errors.size() <= maxErrors) {
                errors.add(new FieldError(path.isEmpty() ? "(root)" : path, "wrong type: expected a mapping (an object), found "
                        + (node.isTextual() ? "a string" : node.isNumber() ? "a number" : node.isBoolean() ? "a boolean" : "a scalar")));
            }
            return;
        }
        Map<String, JavaType> properties = properties(type);
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            JavaType propertyType = properties.get(f.getKey());
            String p = child(path, f.getKey());
            if (propertyType == null || propertyType.getRawClass() == Void.class) {
                if (propertyType != null && (f.getValue().isNull() || (f.getValue().isObject() && f.getValue().isEmpty()))) continue;
                if (errors.size() > maxErrors) return;
                errors.add(new FieldError(p, "unknown field" + hint(f.getKey(), properties)));
            } else {
                check(f.getValue(), propertyType, p, errors);
            }
        }
    }

    private Map<String, JavaType> properties(JavaType type) {
        return cache.computeIfAbsent(type, t -> {
            DeserializationConfig config = mapper.getDeserializationConfig();
            BeanDescription description = config.introspect(t);
            Map<String, JavaType> out = new HashMap<>();
            for (BeanPropertyDefinition p : description.findProperties()) {
                if (p.hasSetter() || p.hasField() || p.hasConstructorParameter() || p.hasGetter()) {
                    JavaType pt = p.hasSetter() ? p.getSetter().getParameterType(0) : p.getPrimaryType();
                    out.put(p.getName(), pt);
                    for (var alias : p.findAliases()) out.put(alias.getSimpleName(), pt);
                }
            }
            return out;
        });
    }

    /** Does the class (or a superclass) declare a constructor or factory annotated @JsonCreator? */
    private static boolean hasCreator(Class<?> raw) {
        for (Class<?> c = raw; c != null && c != Object.class; c = c.getSuperclass()) {
            for (var k : c.getDeclaredConstructors()) if (k.isAnnotationPresent(com.fasterxml.jackson.annotation.JsonCreator.class)) return true;
            for (var m : c.getDeclaredMethods()) if (m.isAnnotationPresent(com.fasterxml.jackson.annotation.JsonCreator.class)) return true;
        }
        return false;
    }

    private static boolean isLeaf(JavaType type) {
        Class<?> raw = type.getRawClass();
        if (raw.isPrimitive() || raw.isEnum() || raw == String.class || raw == Object.class || Number.class.isAssignableFrom(raw)
                || raw == Boolean.class || raw == Character.class || JsonNode.class.isAssignableFrom(raw)
                || raw.getName().startsWith("java.")) {
            return true;
        }
        JsonDeserialize custom = raw.getAnnotation(JsonDeserialize.class);
        return custom != null && custom.using() != JsonDeserializer.None.class;
    }

    private static String child(String path, String name) {
        boolean plain = PLAIN_NAME.matcher(name).matches();
        if (!plain) return path + "[\"" + name.replace("\"", "\\\"") + "\"]";
        return path.isEmpty() ? name : path + "." + name;
    }

    /** "; did you mean image?" when a declared field is one edit or a case change away. */
    private static String hint(String field, Map<String, JavaType> properties) {
        if (field.length() > MAX_HINTED_NAME) return "";
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : properties.keySet()) {
            int d = distance(field.toLowerCase(java.util.Locale.ROOT), known.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return best != null && bestDistance <= Math.max(1, field.length() / 4) ? "; did you mean " + best + "?" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
