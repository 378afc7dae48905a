package dev.agentbox.server.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.InvalidException;
import dev.agentbox.api.extensions.v1beta1.SandboxNetworkPolicy;
import dev.agentbox.runtime.Egress;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class EgressPoliciesTest {
    static NetworkPolicyPeer block(String cidr, String... except) {
        NetworkPolicyPeer p = new NetworkPolicyPeer();
        p.setIpBlock(new IPBlock(cidr, List.of(except)));
        return p;
    }

    static NetworkPolicyPort port(String protocol, IntOrString port) {
        NetworkPolicyPort p = new NetworkPolicyPort();
        p.setProtocol(protocol);
        p.setPort(port);
        return p;
    }

    static SandboxNetworkPolicy egress(NetworkPolicyEgressRule... rules) {
        return new SandboxNetworkPolicy(null, List.of(rules));
    }

    @Test
    void noPolicyOrNoEgressRulesMeansNoNetwork() {
        assertThat(EgressPolicies.egress(null, "spec.networkPolicy")).isNull();
        assertThat(EgressPolicies.egress(new SandboxNetworkPolicy(null, null), "spec.networkPolicy")).isNull();
        assertThat(EgressPolicies.egress(egress(), "spec.networkPolicy")).isNull();
    }

    @Test
    void ipBlocksWithTheirRulesPorts() {
        NetworkPolicyEgressRule r = new NetworkPolicyEgressRule(List.of(port("UDP", new IntOrString(53)), port(null, new IntOrString(443))),
                List.of(block("203.0.113.0/24", "203.0.113.128/25"), block("2001:db8::/32")));
        Egress e = EgressPolicies.egress(egress(r), "spec.networkPolicy");
        assertThat(e.rules()).containsExactly(new Egress.Rule("203.0.113.0/24", List.of("203.0.113.128/25"),
                List.of(new Egress.Port("UDP", 53, 0), new Egress.Port("TCP", 443, 0))));
    }

    @Test
    void aRuleWithoutDestinationsAllowsEveryPublicAddress() {
        Egress e = EgressPolicies.egress(egress(new NetworkPolicyEgressRule(List.of(port("TCP", new IntOrString(443))), null)), "spec.networkPolicy");
        assertThat(e.rules()).extracting(Egress.Rule::cidr).containsExactly("0.0.0.0/0");
    }

    @Test
    void namedPortsAndBadCidrsAreRefusedWithTheirField() {
        NetworkPolicyEgressRule r = new NetworkPolicyEgressRule(List.of(port("TCP", new IntOrString("https"))), List.of(block("bogus")));
        assertThatThrownBy(() -> EgressPolicies.egress(egress(r), "spec.networkPolicy"))
                .isInstanceOf(InvalidException.class)
                .satisfies(ex -> assertThat(((InvalidException) ex).errors()).extracting(f -> f.field())
                        .containsExactly("spec.networkPolicy.egress[0].ports[0].port", "spec.networkPolicy.egress[0].to[0].ipBlock"));
    }

    @Test
    void selectorsAndIpv6AreNamedInWarnings() {
        NetworkPolicyPeer selector = new NetworkPolicyPeer();
        selector.setNamespaceSelector(new LabelSelector());
        NetworkPolicyEgressRule r = new NetworkPolicyEgressRule(null, List.of(selector, block("::/0")));
        SandboxNetworkPolicy p = egress(r);
        assertThat(EgressPolicies.warnings(p, "spec.networkPolicy")).hasSize(2)
                .anyMatch(w -> w.startsWith("spec.networkPolicy.egress[0].to[0]: pod and namespace selectors"))
                .anyMatch(w -> w.startsWith("spec.networkPolicy.egress[0].to[1].ipBlock.cidr: ::/0 is IPv6"));
        assertThat(EgressPolicies.egress(p, "spec.networkPolicy").rules()).isEmpty(); // allows nothing
    }

    @Test
    void theDomainsAnnotationAddsAnAllowListAndRefusesWhatIsNotADomainName() {
        assertThat(EgressPolicies.domains(java.util.Map.of(EgressPolicies.DOMAINS_ANNOTATION, " pypi.org, *.GitHubUserContent.com ,")))
                .containsExactly("pypi.org", "*.githubusercontent.com");
        Egress e = EgressPolicies.egress(null, List.of("pypi.org"), "spec.networkPolicy");
        assertThat(e.rules()).isEmpty();
        assertThat(e.domains()).containsExactly("pypi.org");
        for (String bad : List.of("*", "*.com.*", "pypi.org/simple", "evil.com\r\nX: y", "1.2.3.4:443")) {
            assertThatThrownBy(() -> EgressPolicies.domains(java.util.Map.of(EgressPolicies.DOMAINS_ANNOTATION, bad)))
                    .isInstanceOf(InvalidException.class).hasMessageContaining("is not a domain name");
        }
    }
}
