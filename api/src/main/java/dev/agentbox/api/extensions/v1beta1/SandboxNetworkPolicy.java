package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import java.util.List;
import java.util.Objects;

/**
 * A template's network rules (upstream {@code NetworkPolicySpec}): Kubernetes ingress and egress rules;
 * an empty list denies all traffic in that direction. Omitted entirely, the secure default applies.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"ingress", "egress"})
public class SandboxNetworkPolicy {
    private List<NetworkPolicyIngressRule> ingress;
    private List<NetworkPolicyEgressRule> egress;

    public SandboxNetworkPolicy() {
    }

    public SandboxNetworkPolicy(List<NetworkPolicyIngressRule> ingress, List<NetworkPolicyEgressRule> egress) {
        this.ingress = ingress;
        this.egress = egress;
    }

    public List<NetworkPolicyIngressRule> getIngress() {
        return ingress;
    }

    public void setIngress(List<NetworkPolicyIngressRule> ingress) {
        this.ingress = ingress;
    }

    public List<NetworkPolicyEgressRule> getEgress() {
        return egress;
    }

    public void setEgress(List<NetworkPolicyEgressRule> egress) {
        this.egress = egress;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxNetworkPolicy p && Objects.equals(ingress, p.ingress) && Objects.equals(egress, p.egress);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ingress, egress);
    }
}
