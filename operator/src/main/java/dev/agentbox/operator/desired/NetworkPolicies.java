package dev.agentbox.operator.desired;

import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.extensions.v1beta1.NetworkPolicyManagement;
import dev.agentbox.api.extensions.v1beta1.SandboxNetworkPolicy;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.internal.Json;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpecBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one NetworkPolicy a SandboxTemplate manages (upstream: {@code <template>-network-policy}, selecting the
 * template's Pods by {@code agents.x-k8s.io/sandbox-template-ref-hash}). With no {@code networkPolicy} in the
 * template the secure default applies: ingress only from the sandbox router's Pods ({@code app: sandbox-router}),
 * egress only to public addresses (private, link-local/metadata and IPv6 unique-local ranges blocked, which also
 * blocks cluster DNS). {@code networkPolicyManagement: Unmanaged} means no policy (an existing one is deleted).
 */
public final class NetworkPolicies {
    /** Label of the sandbox router's Pods, the only default ingress source (upstream). */
    public static final Map<String, String> ROUTER_POD_LABELS = Map.of("app", "sandbox-router");
    /** IPv4 ranges the default egress rule excludes: RFC 1918 private and link-local (169.254.169.254 is the metadata server). */
    public static final List<String> BLOCKED_IPV4 = List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16");
    /** IPv6 ranges the default egress rule excludes: unique-local (upstream) and link-local (agentbox addition). */
    public static final List<String> BLOCKED_IPV6 = List.of("fc00::/7", "fe80::/10");

    private NetworkPolicies() {
    }

    public static String name(SandboxTemplate template) {
        return template.getMetadata().getName() + "-network-policy";
    }

    /** The policy the template wants, or empty when its networkPolicyManagement is Unmanaged. */
    public static Optional<NetworkPolicy> desired(SandboxTemplate template) {
        if (template.getSpec() != null && template.getSpec().effectiveNetworkPolicyManagement() == NetworkPolicyManagement.UNMANAGED) {
            return Optional.empty();
        }
        SandboxNetworkPolicy custom = template.getSpec() == null ? null : template.getSpec().getNetworkPolicy();
        NetworkPolicySpec spec = custom == null ? defaultSpec(template.getMetadata().getName()) : customSpec(template.getMetadata().getName(), custom);
        return Optional.of(new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(name(template))
                .withNamespace(template.getMetadata().getNamespace())
                .withOwnerReferences(Objects2.controllerRef(template))
                .endMetadata()
                .withSpec(spec)
                .build());
    }

    private static NetworkPolicySpecBuilder base(String templateName) {
        return new NetworkPolicySpecBuilder()
                .withNewPodSelector().withMatchLabels(Map.of(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, Hashing.nameHash(templateName))).endPodSelector()
                .withPolicyTypes("Ingress", "Egress");
    }

    /** The template's own rules; an empty list denies all traffic in that direction. */
    static NetworkPolicySpec customSpec(String templateName, SandboxNetworkPolicy custom) {
        List<NetworkPolicyIngressRule> ingress = custom.getIngress() == null ? List.of() : custom.getIngress().stream().map(Json::deepCopy).toList();
        List<NetworkPolicyEgressRule> egress = custom.getEgress() == null ? List.of() : custom.getEgress().stream().map(Json::deepCopy).toList();
        return base(templateName).withIngress(ingress).withEgress(egress).build();
    }

    /** The secure default (upstream's buildDefaultNetworkPolicySpec, plus IPv6 link-local blocked). */
    public static NetworkPolicySpec defaultSpec(String templateName) {
        NetworkPolicyIngressRule fromRouter = new NetworkPolicyIngressRuleBuilder()
                .addNewFrom().withNewPodSelector().withMatchLabels(ROUTER_POD_LABELS).endPodSelector().endFrom()
                .build();
        NetworkPolicyEgressRule publicOnly = new NetworkPolicyEgressRuleBuilder()
                .addNewTo().withNewIpBlock().withCidr("0.0.0.0/0").withExcept(BLOCKED_IPV4).endIpBlock().endTo()
                .addNewTo().withNewIpBlock().withCidr("::/0").withExcept(BLOCKED_IPV6).endIpBlock().endTo()
                .build();
        return base(templateName).withIngress(fromRouter).withEgress(publicOnly).build();
    }
}
