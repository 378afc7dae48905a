package dev.agentbox.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.runtime.Egress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The nftables text of a sandbox's chain; the real rules are exercised on a real host by EgressTest. */
class EgressRulesTest {
    static Egress.Rule rule(String cidr, List<String> except, Egress.Port... ports) {
        return new Egress.Rule(cidr, except, List.of(ports));
    }

    @Test
    void everythingPublicNeverImpliesTheReservedRanges() {
        String chain = EgressRules.sandbox("abx0123456789", "10.240.0.2", new Egress(List.of(rule("0.0.0.0/0", List.of())), List.of()));
        assertThat(chain).contains("add rule inet agentbox e-abx0123456789 ip daddr 0.0.0.0/0 ip daddr != { 0.0.0.0/8, 10.0.0.0/8,")
                .contains("169.254.0.0/16").contains("192.168.0.0/16");
    }

    @Test
    void aBlockInsideAPrivateRangeNamesItButNeverTheMetadataAddressOrLoopback() {
        String chain = EgressRules.sandbox("abx0123456789", "10.240.0.2", new Egress(List.of(
                rule("169.254.0.0/16", List.of(), new Egress.Port("TCP", 80, 0)),
                rule("10.1.0.0/16", List.of("10.1.2.0/24"), new Egress.Port("UDP", 53, 0), new Egress.Port("TCP", 8000, 8100))), List.of()));
        List<String> lines = chain.lines().toList();
        // the source check and the never-reachable addresses come before any accept
        assertThat(lines.get(1)).endsWith("ip saddr != 10.240.0.2 drop");
        assertThat(lines.get(2)).endsWith("ip daddr { 127.0.0.0/8, 169.254.169.254/32 } drop");
        assertThat(chain).contains("ip daddr 169.254.0.0/16 meta l4proto tcp tcp dport 80 accept")
                .contains("ip daddr 10.1.0.0/16 ip daddr != { 10.1.2.0/24 } meta l4proto udp udp dport 53 accept")
                .contains("ip daddr 10.1.0.0/16 ip daddr != { 10.1.2.0/24 } meta l4proto tcp tcp dport 8000-8100 accept");
        assertThat(lines.get(lines.size() - 2)).endsWith("e-abx0123456789 drop");
        assertThat(lines.getLast()).isEqualTo("add element inet agentbox egress { \"abx0123456789\" : jump e-abx0123456789 }");
    }

    @Test
    void aBlockWiderThanAPrivateRangeDoesNotNameIt() {
        assertThat(EgressRules.inside("10.0.0.0/8", "10.0.0.0/8")).isTrue();
        assertThat(EgressRules.inside("10.3.0.0/16", "10.0.0.0/8")).isTrue();
        assertThat(EgressRules.inside("8.0.0.0/7", "10.0.0.0/8")).isFalse();
        assertThat(EgressRules.inside("0.0.0.0/0", "10.0.0.0/8")).isFalse();
        assertThat(EgressRules.accept(rule("8.0.0.0/6", List.of())).getFirst()).contains("ip daddr != { 0.0.0.0/8, 10.0.0.0/8");
    }

    @Test
    void hostileCidrsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> rule("10.0.0.0/8; drop", List.of())).hasMessageStartingWith("cidr: 10.0.0.0/8; drop ");
        assertThatThrownBy(() -> rule("1.2.3.4/33", List.of())).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> rule("10.0.0.0/8", List.of("\" } accept"))).hasMessageContaining("except:");
        assertThatThrownBy(() -> new Egress(List.of(), List.of("8.8.8.8\nnameserver 1.1.1.1"))).hasMessageContaining("nameservers:");
        assertThat(rule("10.1.2.3/8", List.of()).cidr()).isEqualTo("10.0.0.0/8");
    }

    @Test
    void resolvConfNamesTheNameservers() {
        assertThat(EgressRules.resolvConf(new Egress(List.of(), List.of("192.0.2.53")))).startsWith("nameserver 192.0.2.53\n");
    }
}
