package dev.agentbox.server.sandbox;

import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.extensions.v1beta1.SandboxNetworkPolicy;
import dev.agentbox.runtime.Egress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.ArrayList;
import java.util.List;

/**
 * A template's {@code spec.networkPolicy.egress} as the runtime's {@link Egress} (docs/networking.md): each ipBlock (cidr,
 * except) with its rule's ports; a rule without {@code to} allows every public destination (0.0.0.0/0, which never implies
 * the reserved ranges). Pod and namespace selectors select pods, and one host has none: such peers allow nothing here
 * (admission says so). No policy, or no egress rules: no network (null).
 */
public final class EgressPolicies {
    /**
     * The agentbox extension on a SandboxTemplate: names its sandboxes may reach over HTTP/HTTPS through agentboxd's egress
     * proxy, comma-separated ({@code pypi.org,*.githubusercontent.com}); see docs/networking.md.
     */
    public static final String DOMAINS_ANNOTATION = dev.agentbox.api.Names.AGENTBOX_PREFIX + "egress-domains";

    private EgressPolicies() {}

    /** The names of {@code annotations}' {@link #DOMAINS_ANNOTATION}, checked (the field named), empty when absent. */
    public static List<String> domains(java.util.Map<String, String> annotations) {
        String v = annotations == null ? null : annotations.get(DOMAINS_ANNOTATION);
        if (v == null || v.isBlank()) return List.of();
        List<String> out = new ArrayList<>();
        for (String d : v.split(",")) if (!d.isBlank()) out.add(d.strip());
        try {
            return new Egress(List.of(), List.of(), out).domains();
        } catch (IllegalArgumentException e) {
            throw new InvalidException("metadata.annotations[" + DOMAINS_ANNOTATION + "]", e.getMessage());
        }
    }

    /**
     * The egress of {@code policy} (at {@code field}) with the allow-list {@code domains}, or null for none (no egress rules,
     * no domains); refuses what cannot be honoured, naming the field.
     */
    public static Egress egress(SandboxNetworkPolicy policy, List<String> domains, String field) {
        Egress e = egress(policy, field);
        if (domains.isEmpty()) return e;
        return new Egress(e == null ? List.of() : e.rules(), List.of(), domains);
    }

    /** The egress of {@code policy} (at {@code field}), or null for none; refuses what cannot be honoured, naming the field. */
    public static Egress egress(SandboxNetworkPolicy policy, String field) {
        if (policy == null || policy.getEgress() == null || policy.getEgress().isEmpty()) return null;
        List<FieldError> errors = new ArrayList<>();
        List<Egress.Rule> rules = new ArrayList<>();
        for (int i = 0; i < policy.getEgress().size(); i++) {
            NetworkPolicyEgressRule r = policy.getEgress().get(i);
            String at = field + ".egress[" + i + "]";
            List<Egress.Port> ports = ports(r == null ? null : r.getPorts(), at, errors);
            List<NetworkPolicyPeer> to = r == null || r.getTo() == null ? List.of() : r.getTo();
            if (to.isEmpty()) add(rules, errors, at, "0.0.0.0/0", List.of(), ports);
            for (int j = 0; j < to.size(); j++) {
                NetworkPolicyPeer peer = to.get(j);
                if (peer == null || peer.getIpBlock() == null || ipv6(peer.getIpBlock().getCidr())) continue; // see warnings()
                add(rules, errors, at + ".to[" + j + "].ipBlock", peer.getIpBlock().getCidr(),
                        peer.getIpBlock().getExcept() == null ? List.of() : peer.getIpBlock().getExcept().stream().filter(e -> !ipv6(e)).toList(), ports);
            }
        }
        if (!errors.isEmpty()) throw new InvalidException(errors);
        return new Egress(rules, List.of());
    }

    /** What of {@code policy} agentboxd accepts but cannot honour on one host (for admission's warnings). */
    public static List<String> warnings(SandboxNetworkPolicy policy, String field) {
        List<String> out = new ArrayList<>();
        if (policy == null) return out;
        if (policy.getIngress() != null && !policy.getIngress().isEmpty()) {
            out.add(field + ".ingress: agentboxd never lets connections into a sandbox (its ports are reached through the agent channel); the rules are stored for the Kubernetes operator");
        }
        for (int i = 0; policy.getEgress() != null && i < policy.getEgress().size(); i++) {
            NetworkPolicyEgressRule r = policy.getEgress().get(i);
            List<NetworkPolicyPeer> to = r == null || r.getTo() == null ? List.of() : r.getTo();
            for (int j = 0; j < to.size(); j++) {
                NetworkPolicyPeer p = to.get(j);
                String at = field + ".egress[" + i + "].to[" + j + "]";
                if (p != null && (p.getPodSelector() != null || p.getNamespaceSelector() != null)) {
                    out.add(at + ": pod and namespace selectors select nothing on agentboxd (one host, no pods); use an ipBlock");
                }
                if (p != null && p.getIpBlock() != null && ipv6(p.getIpBlock().getCidr())) {
                    out.add(at + ".ipBlock.cidr: " + p.getIpBlock().getCidr() + " is IPv6; agentboxd gives sandboxes IPv4 only, so it allows nothing here");
                }
            }
        }
        return out;
    }

    private static boolean ipv6(String cidr) {
        return cidr != null && cidr.contains(":");
    }

    private static void add(List<Egress.Rule> rules, List<FieldError> errors, String at, String cidr, List<String> except, List<Egress.Port> ports) {
        try {
            rules.add(new Egress.Rule(cidr, except, ports));
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError(at, e.getMessage()));
        }
    }

    private static List<Egress.Port> ports(List<NetworkPolicyPort> ports, String at, List<FieldError> errors) {
        List<Egress.Port> out = new ArrayList<>();
        for (int k = 0; ports != null && k < ports.size(); k++) {
            NetworkPolicyPort p = ports.get(k);
            if (p == null) continue;
            String f = at + ".ports[" + k + "]";
            int port = 0;
            if (p.getPort() != null) {
                if (p.getPort().getIntVal() == null) {
                    errors.add(new FieldError(f + ".port", "named port '" + p.getPort().getStrVal() + "' cannot be resolved on agentboxd (there are no pods to name it); give the number"));
                    continue;
                }
                port = p.getPort().getIntVal();
            }
            try {
                out.add(new Egress.Port(p.getProtocol(), port, p.getEndPort() == null ? 0 : p.getEndPort()));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError(f, e.getMessage()));
            }
        }
        return out;
    }
}
