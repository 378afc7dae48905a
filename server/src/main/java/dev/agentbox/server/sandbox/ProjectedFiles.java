package dev.agentbox.server.sandbox;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a configMap, secret, downwardAPI or projected volume, as the kubelet writes them: every key as a file
 * named after it, or only the listed {@code items} at their {@code path}s; mode {@code items[].mode}, else
 * {@code defaultMode}, else 0644. A missing object (or listed key) that is not optional is a {@link ConfigMissingException};
 * an optional one gives no files. Paths were checked by {@link PodSpecCheck} (relative, no '..').
 */
final class ProjectedFiles {
    static final int DEFAULT_MODE = 0644;

    /** One file: a path relative to the volume, its bytes and its permission bits. */
    record File(String path, byte[] data, int mode) {}

    private ProjectedFiles() {
    }

    /** True for the volume kinds written here. */
    static boolean handles(Volume v) {
        return v.getConfigMap() != null || v.getSecret() != null || v.getDownwardAPI() != null || v.getProjected() != null;
    }

    /** The volume's files by path (a later source wins a path, as in a projected volume). */
    static Map<String, File> files(Sandbox sandbox, Container c, Volume v, String path, PodObjects objects, DownwardApi.Limits limits) {
        Map<String, File> out = new LinkedHashMap<>();
        if (v.getConfigMap() != null) {
            var s = v.getConfigMap();
            configMap(sandbox, s.getName(), s.getItems(), s.getOptional(), mode(s.getDefaultMode()), path + ".configMap", objects, out);
        } else if (v.getSecret() != null) {
            var s = v.getSecret();
            secret(sandbox, s.getSecretName(), s.getItems(), s.getOptional(), mode(s.getDefaultMode()), path + ".secret", objects, out);
        } else if (v.getDownwardAPI() != null) {
            downward(sandbox, c, v.getDownwardAPI().getItems(), mode(v.getDownwardAPI().getDefaultMode()), limits, out);
        } else if (v.getProjected() != null) {
            int mode = mode(v.getProjected().getDefaultMode());
            List<VolumeProjection> sources = v.getProjected().getSources() == null ? List.of() : v.getProjected().getSources();
            for (int i = 0; i < sources.size(); i++) {
                VolumeProjection p = sources.get(i);
                String sp = path + ".projected.sources[" + i + "]";
                if (p.getConfigMap() != null) {
                    configMap(sandbox, p.getConfigMap().getName(), p.getConfigMap().getItems(), p.getConfigMap().getOptional(), mode, sp + ".configMap", objects, out);
                } else if (p.getSecret() != null) {
                    secret(sandbox, p.getSecret().getName(), p.getSecret().getItems(), p.getSecret().getOptional(), mode, sp + ".secret", objects, out);
                } else if (p.getDownwardAPI() != null) {
                    downward(sandbox, c, p.getDownwardAPI().getItems(), mode, limits, out);
                }
            }
        }
        return out;
    }

    private static void configMap(Sandbox sandbox, String name, List<KeyToPath> items, Boolean optional, int mode, String path,
                                  PodObjects objects, Map<String, File> out) {
        String ns = sandbox.getMetadata().getNamespace();
        ConfigMap cm = need(objects).configMap(ns, name).orElse(null);
        if (cm == null) {
            if (Boolean.TRUE.equals(optional)) return;
            throw EnvSources.missing("configmap", name, ns, path);
        }
        keys(PodObjects.entries(cm), items, optional, mode, "configmap", name, path, out);
    }

    private static void secret(Sandbox sandbox, String name, List<KeyToPath> items, Boolean optional, int mode, String path,
                               PodObjects objects, Map<String, File> out) {
        String ns = sandbox.getMetadata().getNamespace();
        Secret s = need(objects).secret(ns, name).orElse(null);
        if (s == null) {
            if (Boolean.TRUE.equals(optional)) return;
            throw EnvSources.missing("secret", name, ns, path);
        }
        keys(PodObjects.entries(s), items, optional, mode, "secret", name, path, out);
    }

    private static void keys(Map<String, byte[]> entries, List<KeyToPath> items, Boolean optional, int mode, String kind, String name,
                             String path, Map<String, File> out) {
        if (items == null || items.isEmpty()) {
            entries.forEach((k, v) -> out.put(k, new File(k, v, mode)));
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            KeyToPath item = items.get(i);
            byte[] v = entries.get(item.getKey());
            if (v == null) {
                if (Boolean.TRUE.equals(optional)) continue;
                throw EnvSources.missingKey(item.getKey(), kind, name, path + ".items[" + i + "].key");
            }
            out.put(item.getPath(), new File(item.getPath(), v, item.getMode() == null ? mode : item.getMode() & 0777));
        }
    }

    private static void downward(Sandbox sandbox, Container c, List<DownwardAPIVolumeFile> items, int mode, DownwardApi.Limits limits, Map<String, File> out) {
        for (DownwardAPIVolumeFile item : items == null ? List.<DownwardAPIVolumeFile>of() : items) {
            String value = item.getFieldRef() != null ? DownwardApi.field(sandbox, item.getFieldRef().getFieldPath())
                    : item.getResourceFieldRef() != null ? DownwardApi.resource(c, limits, item.getResourceFieldRef().getResource(), item.getResourceFieldRef().getDivisor())
                    : "";
            out.put(item.getPath(), new File(item.getPath(), value.getBytes(StandardCharsets.UTF_8), item.getMode() == null ? mode : item.getMode() & 0777));
        }
    }

    private static int mode(Integer defaultMode) {
        return defaultMode == null ? DEFAULT_MODE : defaultMode & 0777;
    }

    private static PodObjects need(PodObjects objects) {
        if (objects == null) throw new ConfigMissingException("this agentboxd was started without a store for ConfigMaps and Secrets");
        return objects;
    }
}
