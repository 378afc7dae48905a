package dev.agentbox.api;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validation of the core/v1 kinds agentbox stores, as the Kubernetes API server does it: keys are config keys,
 * {@code binaryData} and a Secret's {@code data} are base64, and one object holds at most {@link #MAX_BYTES}. Error
 * messages name the key, never a value (a Secret's values must not reach a log or a client's terminal).
 */
public final class CoreValidation {
    /** The most data one ConfigMap or Secret holds (keys plus decoded values), as Kubernetes: 1 MiB. */
    public static final int MAX_BYTES = 1024 * 1024;
    private static final Pattern CONFIG_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

    private CoreValidation() {
    }

    static void configMap(ConfigMap cm, List<FieldError> errors) {
        long size = 0;
        Set<String> keys = new HashSet<>();
        for (Map.Entry<String, String> e : entries(cm.getData())) {
            key("data", e.getKey(), errors);
            keys.add(e.getKey());
            size += e.getKey().length() + (e.getValue() == null ? 0 : e.getValue().getBytes(StandardCharsets.UTF_8).length);
        }
        for (Map.Entry<String, String> e : entries(cm.getBinaryData())) {
            key("binaryData", e.getKey(), errors);
            if (!keys.add(e.getKey())) errors.add(new FieldError("binaryData[" + e.getKey() + "]", "duplicate key: " + e.getKey() + " is also in data; keep it in one of them"));
            byte[] value = base64("binaryData", e.getKey(), e.getValue(), errors);
            size += e.getKey().length() + value.length;
        }
        size("data", size, errors);
    }

    static void secret(Secret s, List<FieldError> errors) {
        long size = 0;
        for (Map.Entry<String, String> e : entries(s.getData())) {
            key("data", e.getKey(), errors);
            size += e.getKey().length() + base64("data", e.getKey(), e.getValue(), errors).length;
        }
        for (Map.Entry<String, String> e : entries(s.getStringData())) {
            key("stringData", e.getKey(), errors);
            size += e.getKey().length() + (e.getValue() == null ? 0 : e.getValue().getBytes(StandardCharsets.UTF_8).length);
        }
        size("data", size, errors);
    }

    /**
     * As the API server on every write: {@code stringData} is merged into {@code data} (base64-encoded, a stringData key
     * wins over the same data key) and is not stored. Call after validation.
     */
    public static void mergeStringData(Secret s) {
        if (s.getStringData() == null || s.getStringData().isEmpty()) {
            s.setStringData(null);
            return;
        }
        Map<String, String> data = new LinkedHashMap<>(s.getData() == null ? Map.of() : s.getData());
        s.getStringData().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString((v == null ? "" : v).getBytes(StandardCharsets.UTF_8))));
        s.setData(data);
        s.setStringData(null);
    }

    /** A ConfigMap's or Secret's key: what the kubelet may use as a file name. */
    static void key(String field, String key, List<FieldError> errors) {
        if (key == null || key.isEmpty() || key.length() > 253 || !CONFIG_KEY.matcher(key).matches() || key.equals(".") || key.startsWith("..")) {
            errors.add(new FieldError(field + "[" + truncate(key) + "]", "invalid key: use 1-253 letters, digits, '-', '_' and '.', "
                    + "not '.' and not starting with '..' (it becomes a file name), e.g. app.properties"));
        }
    }

    private static byte[] base64(String field, String key, String value, List<FieldError> errors) {
        try {
            return value == null ? new byte[0] : Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError(field + "[" + truncate(key) + "]", "is not valid base64; encode the value (e.g. `base64 -w0 FILE`), "
                    + "or give it as text in " + (field.equals("data") ? "stringData" : "data")));
            return new byte[0];
        }
    }

    private static void size(String field, long size, List<FieldError> errors) {
        if (size > MAX_BYTES) {
            errors.add(new FieldError(field, "too large: " + size + " bytes, the limit for one object is " + MAX_BYTES + " (1 MiB) as in Kubernetes; "
                    + "split it into several objects"));
        }
    }

    private static Iterable<Map.Entry<String, String>> entries(Map<String, String> m) {
        return m == null ? List.of() : m.entrySet();
    }

    private static String truncate(String key) {
        if (key == null) return "";
        return key.length() <= 64 ? key : key.substring(0, 64) + "...";
    }
}
