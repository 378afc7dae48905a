package dev.agentbox.server.sandbox;

import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The downward API of a sandbox (its pod is the Sandbox): {@code fieldRef} and {@code resourceFieldRef} values for env
 * vars and downwardAPI volume files, as the kubelet computes them. One host has no pod IPs: {@code status.podIP},
 * {@code status.hostIP} (and the plural forms) are empty; {@code spec.nodeName} is {@code agentboxd} (the host's own name
 * is not given to sandboxed code).
 */
public final class DownwardApi {
    private static final Pattern SUBSCRIPT = Pattern.compile("metadata\\.(labels|annotations)\\['([^']*)'\\]");
    /** The fieldRef paths an env var may use (as the API server's validation). */
    static final Set<String> ENV_FIELDS = Set.of("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
            "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs");
    /** The fieldRef paths a downwardAPI volume item may use. */
    static final Set<String> VOLUME_FIELDS = Set.of("metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations");
    static final Set<String> RESOURCES = Set.of("limits.cpu", "limits.memory", "limits.ephemeral-storage",
            "requests.cpu", "requests.memory", "requests.ephemeral-storage");

    /** The limits that apply to the container, daemon defaults filled in (what the sandbox really gets). */
    public record Limits(long memoryBytes, long cpuMillis, long storageBytes) {}

    private DownwardApi() {
    }

    /** True when {@code fieldPath} is one an env var ({@code volume} false) or a volume item may use. */
    static boolean knownField(String fieldPath, boolean volume) {
        if (fieldPath == null) return false;
        Matcher m = SUBSCRIPT.matcher(fieldPath);
        if (m.matches()) return !m.group(2).isEmpty();
        return volume ? VOLUME_FIELDS.contains(fieldPath) : ENV_FIELDS.contains(fieldPath);
    }

    /** The value of a known fieldRef (see {@link #knownField}). */
    static String field(Sandbox sandbox, String fieldPath) {
        var meta = sandbox.getMetadata();
        Matcher m = SUBSCRIPT.matcher(fieldPath);
        if (m.matches()) {
            String v = (m.group(1).equals("labels") ? labels(sandbox) : annotations(sandbox)).get(m.group(2));
            return v == null ? "" : v;
        }
        return switch (fieldPath) {
            case "metadata.name" -> meta.getName();
            case "metadata.namespace" -> meta.getNamespace();
            case "metadata.uid" -> meta.getUid() == null ? "" : meta.getUid();
            case "metadata.labels" -> mapFile(labels(sandbox));
            case "metadata.annotations" -> mapFile(annotations(sandbox));
            case "spec.nodeName" -> "agentboxd";
            case "spec.serviceAccountName" -> {
                var pod = sandbox.getSpec().getPodTemplate().getSpec();
                yield pod.getServiceAccountName() == null ? "default" : pod.getServiceAccountName();
            }
            default -> ""; // status.podIP, status.hostIP (and their plural forms): no pod network on one host
        };
    }

    /** A resourceFieldRef's value: the quantity divided by the divisor (default 1), rounded up, as the kubelet does. */
    static String resource(Container c, Limits limits, String resource, Quantity divisor) {
        String name = resource.substring(resource.indexOf('.') + 1);
        Map<String, Quantity> set = c.getResources() == null ? null
                : resource.startsWith("requests.") && c.getResources().getRequests() != null && c.getResources().getRequests().containsKey(name)
                ? c.getResources().getRequests() : c.getResources().getLimits();
        BigDecimal amount;
        if (set != null && set.containsKey(name)) {
            amount = Quantity.getAmountInBytes(set.get(name));
        } else {
            amount = switch (name) {
                case "cpu" -> BigDecimal.valueOf(limits.cpuMillis()).movePointLeft(3);
                case "memory" -> BigDecimal.valueOf(limits.memoryBytes());
                default -> BigDecimal.valueOf(limits.storageBytes());
            };
        }
        BigDecimal by = divisor == null ? BigDecimal.ONE : Quantity.getAmountInBytes(divisor);
        if (by.signum() <= 0) by = BigDecimal.ONE;
        return amount.divide(by, 0, RoundingMode.CEILING).toPlainString();
    }

    /** The pod's labels: the pod template's, plus the name-hash label every sandbox's pod carries. */
    private static Map<String, String> labels(Sandbox sandbox) {
        var pm = sandbox.getSpec().getPodTemplate().getMetadata();
        Map<String, String> out = new LinkedHashMap<>(pm == null || pm.getLabels() == null ? Map.of() : pm.getLabels());
        out.put(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash(sandbox.getMetadata().getName()));
        return out;
    }

    private static Map<String, String> annotations(Sandbox sandbox) {
        var pm = sandbox.getSpec().getPodTemplate().getMetadata();
        return pm == null || pm.getAnnotations() == null ? Map.of() : pm.getAnnotations();
    }

    /** The kubelet's file format for labels and annotations: {@code key="value"} lines, sorted, values quoted as Go's %q. */
    static String mapFile(Map<String, String> m) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(m).forEach((k, v) -> b.append(k).append('=').append(quote(v)).append('\n'));
        return b.toString();
    }

    private static String quote(String v) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\x%02x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.append('"').toString();
    }
}
