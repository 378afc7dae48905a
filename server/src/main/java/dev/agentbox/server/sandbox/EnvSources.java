package dev.agentbox.server.sandbox;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A container's environment as the kubelet builds it: {@code envFrom} first (each ConfigMap's or Secret's keys, with the
 * prefix; keys that are not valid variable names are skipped, as the kubelet does), then {@code env} (literal values, and
 * {@code valueFrom}: configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef), later entries winning. A missing object
 * or key that is not optional is a {@link ConfigMissingException}. Values are never logged.
 */
final class EnvSources {
    private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");

    private EnvSources() {
    }

    static Map<String, String> resolve(Sandbox sandbox, Container c, String path, PodObjects objects, DownwardApi.Limits limits) {
        String ns = sandbox.getMetadata().getNamespace();
        Map<String, String> out = new LinkedHashMap<>();
        List<EnvFromSource> from = c.getEnvFrom() == null ? List.of() : c.getEnvFrom();
        for (int i = 0; i < from.size(); i++) {
            EnvFromSource s = from.get(i);
            String p = path + ".envFrom[" + i + "]";
            String prefix = s.getPrefix() == null ? "" : s.getPrefix();
            Map<String, byte[]> entries;
            if (s.getConfigMapRef() != null) {
                ConfigMap cm = need(objects).configMap(ns, s.getConfigMapRef().getName()).orElse(null);
                if (cm == null && !Boolean.TRUE.equals(s.getConfigMapRef().getOptional())) throw missing("configmap", s.getConfigMapRef().getName(), ns, p + ".configMapRef");
                entries = cm == null ? Map.of() : PodObjects.entries(cm);
            } else if (s.getSecretRef() != null) {
                Secret sec = need(objects).secret(ns, s.getSecretRef().getName()).orElse(null);
                if (sec == null && !Boolean.TRUE.equals(s.getSecretRef().getOptional())) throw missing("secret", s.getSecretRef().getName(), ns, p + ".secretRef");
                entries = sec == null ? Map.of() : PodObjects.entries(sec);
            } else {
                continue; // PodSpecCheck refuses an envFrom without a source
            }
            entries.forEach((k, v) -> {
                String name = prefix + k;
                if (ENV_NAME.matcher(name).matches()) out.put(name, new String(v, StandardCharsets.UTF_8));
            });
        }
        List<EnvVar> env = c.getEnv() == null ? List.of() : c.getEnv();
        for (int i = 0; i < env.size(); i++) {
            EnvVar e = env.get(i);
            String value = e.getValueFrom() == null ? (e.getValue() == null ? "" : e.getValue())
                    : valueFrom(sandbox, c, e.getValueFrom(), path + ".env[" + i + "].valueFrom", objects, limits);
            if (value != null) out.put(e.getName(), value);
        }
        return out;
    }

    /** null: an optional reference that is missing (the variable is not set, as in Kubernetes). */
    private static String valueFrom(Sandbox sandbox, Container c, EnvVarSource src, String path, PodObjects objects, DownwardApi.Limits limits) {
        String ns = sandbox.getMetadata().getNamespace();
        if (src.getConfigMapKeyRef() != null) {
            var ref = src.getConfigMapKeyRef();
            boolean optional = Boolean.TRUE.equals(ref.getOptional());
            ConfigMap cm = need(objects).configMap(ns, ref.getName()).orElse(null);
            if (cm == null) {
                if (optional) return null;
                throw missing("configmap", ref.getName(), ns, path + ".configMapKeyRef");
            }
            byte[] v = PodObjects.entries(cm).get(ref.getKey());
            if (v == null && !optional) throw missingKey(ref.getKey(), "configmap", ref.getName(), path + ".configMapKeyRef.key");
            return v == null ? null : new String(v, StandardCharsets.UTF_8);
        }
        if (src.getSecretKeyRef() != null) {
            var ref = src.getSecretKeyRef();
            boolean optional = Boolean.TRUE.equals(ref.getOptional());
            Secret s = need(objects).secret(ns, ref.getName()).orElse(null);
            if (s == null) {
                if (optional) return null;
                throw missing("secret", ref.getName(), ns, path + ".secretKeyRef");
            }
            byte[] v = PodObjects.entries(s).get(ref.getKey());
            if (v == null && !optional) throw missingKey(ref.getKey(), "secret", ref.getName(), path + ".secretKeyRef.key");
            return v == null ? null : new String(v, StandardCharsets.UTF_8);
        }
        if (src.getFieldRef() != null) return DownwardApi.field(sandbox, src.getFieldRef().getFieldPath());
        if (src.getResourceFieldRef() != null) {
            return DownwardApi.resource(c, limits, src.getResourceFieldRef().getResource(), src.getResourceFieldRef().getDivisor());
        }
        return ""; // PodSpecCheck refuses a valueFrom without a source
    }

    private static PodObjects need(PodObjects objects) {
        if (objects == null) throw new ConfigMissingException("this agentboxd was started without a store for ConfigMaps and Secrets");
        return objects;
    }

    static ConfigMissingException missing(String kind, String name, String ns, String field) {
        return new ConfigMissingException(kind + " \"" + name + "\" not found in namespace " + ns + " (" + field + "); create it (`agentbox apply -f` a "
                + (kind.equals("secret") ? "Secret" : "ConfigMap") + " in " + ns + ") and the sandbox starts, or mark the reference optional: true");
    }

    static ConfigMissingException missingKey(String key, String kind, String name, String field) {
        return new ConfigMissingException("key \"" + key + "\" not found in " + kind + " \"" + name + "\" (" + field + "); add the key, "
                + "or mark the reference optional: true");
    }
}
