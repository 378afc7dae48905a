package dev.agentbox.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The proxy's name rules and ClientHello parsing; the proxy itself runs against real sandboxes in EgressTest. */
class EgressProxyTest {
    @Test
    void aWildcardMatchesNamesUnderItButNotLookAlikes() {
        List<String> list = List.of("pypi.org", "*.githubusercontent.com");
        assertThat(EgressProxy.allowed(list, "pypi.org")).isTrue();
        assertThat(EgressProxy.allowed(list, "PyPI.org.")).isTrue();
        assertThat(EgressProxy.allowed(list, "raw.githubusercontent.com")).isTrue();
        assertThat(EgressProxy.allowed(list, "githubusercontent.com")).isFalse();
        assertThat(EgressProxy.allowed(list, "evilgithubusercontent.com")).isFalse();
        assertThat(EgressProxy.allowed(list, "pypi.org.evil.com")).isFalse();
        assertThat(EgressProxy.allowed(list, "files.pypi.org")).isFalse();
    }

    @Test
    void aTruncatedOrHostileClientHelloHasNoServerName() {
        assertThat(Tls.serverName(new byte[] {0x16, 3, 1, 0, 4, 1, 0, 0, 0})).isNull();
        byte[] lies = new byte[64];
        lies[0] = 0x16;
        lies[5] = 0x01;
        for (int i = 6; i < lies.length; i++) lies[i] = (byte) 0xff; // every length says "more than there is"
        assertThat(Tls.serverName(lies)).isNull();
    }
}
