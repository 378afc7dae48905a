package dev.agentbox.server.sandbox;

import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The ConfigMaps and Secrets a pod references, read from the store. Always in the sandbox's own namespace: a pod
 * spec has no way to name another one (configMapKeyRef, secretKeyRef and the volume sources carry only a name), so a
 * team-a sandbox naming a secret that exists only in default finds nothing.
 */
public final class PodObjects {
    private final Store store;

    public PodObjects(Store store) {
        this.store = store;
    }

    Optional<ConfigMap> configMap(String namespace, String name) {
        return store.get(ConfigMap.class, namespace, name);
    }

    Optional<Secret> secret(String namespace, String name) {
        return store.get(Secret.class, namespace, name);
    }

    /** Every key of a ConfigMap with its bytes: data as UTF-8, binaryData decoded (validated as base64 on write). */
    static Map<String, byte[]> entries(ConfigMap cm) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (cm.getData() != null) cm.getData().forEach((k, v) -> out.put(k, (v == null ? "" : v).getBytes(StandardCharsets.UTF_8)));
        if (cm.getBinaryData() != null) cm.getBinaryData().forEach((k, v) -> out.put(k, decode(v)));
        return out;
    }

    /** Every key of a Secret with its decoded bytes (stringData was merged into data on write). */
    static Map<String, byte[]> entries(Secret s) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (s.getData() != null) s.getData().forEach((k, v) -> out.put(k, decode(v)));
        return out;
    }

    private static byte[] decode(String base64) {
        try {
            return base64 == null ? new byte[0] : Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return new byte[0]; // validated on write; an object stored by an older version gets an empty value, not a crash
        }
    }
}
