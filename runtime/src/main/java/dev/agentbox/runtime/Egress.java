package dev.agentbox.runtime;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What a sandbox may reach on the network (a template's {@code networkPolicy.egress}, resolved by the server). A
 * sandbox without one ({@code SandboxConfig.egress} null) has no network at all. With one, it gets a network namespace of
 * its own, a veth to the host, and only the destinations of {@code rules} are forwarded (see docs/networking.md).
 *
 * @param rules       each destination block the sandbox may reach; empty: nothing (a network with every destination closed)
 * @param nameservers what the sandbox's /etc/resolv.conf names; DNS works only if a rule allows port 53 to one of them
 * @param domains     names reachable through the sandbox's egress proxy (HTTP and HTTPS): {@code pypi.org} itself,
 *                    {@code *.githubusercontent.com} any name under it; empty: no proxy
 */
public record Egress(List<Rule> rules, List<String> nameservers, List<String> domains) {
    private static final Pattern DOMAIN = Pattern.compile("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?");

    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    public Egress {
        rules = List.copyOf(rules == null ? List.of() : rules);
        nameservers = List.copyOf(nameservers == null ? List.of() : nameservers);
        domains = (domains == null ? List.<String>of() : domains).stream().map(d -> d.strip().toLowerCase(java.util.Locale.ROOT)).toList();
        for (String d : domains) {
            if (!DOMAIN.matcher(d).matches() || d.length() > 253) {
                throw new IllegalArgumentException("domains: '" + d + "' is not a domain name such as pypi.org or *.githubusercontent.com");
            }
        }
        for (String n : nameservers) {
            if (!IPV4.matcher(n).matches()) throw new IllegalArgumentException("nameservers: " + n + " is not an IPv4 address");
        }
    }

    /** No domain allow-list. */
    public Egress(List<Rule> rules, List<String> nameservers) {
        this(rules, nameservers, List.of());
    }

    /**
     * One allowed destination block (a NetworkPolicy ipBlock with its rule's ports).
     *
     * @param cidr   IPv4 block, e.g. {@code 203.0.113.0/24}; {@code 0.0.0.0/0} is everything public (never the reserved ranges)
     * @param except blocks inside {@code cidr} this rule does not allow
     * @param ports  empty: every port and protocol
     */
    public record Rule(String cidr, List<String> except, List<Port> ports) {
        public Rule {
            cidr = canonicalCidr("cidr", cidr);
            except = (except == null ? List.<String>of() : except).stream().map(e -> canonicalCidr("except", e)).toList();
            ports = List.copyOf(ports == null ? List.of() : ports);
        }
    }

    /**
     * @param protocol TCP, UDP or SCTP
     * @param port     0: every port of the protocol
     * @param endPort  0: just {@code port}; else the range port..endPort
     */
    public record Port(String protocol, int port, int endPort) {
        public Port {
            protocol = protocol == null ? "TCP" : protocol;
            if (!List.of("TCP", "UDP", "SCTP").contains(protocol)) throw new IllegalArgumentException("protocol: must be TCP, UDP or SCTP, got " + protocol);
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port: must be 1..65535, got " + port);
            if (endPort != 0 && (port == 0 || endPort < port || endPort > 65535)) {
                throw new IllegalArgumentException("endPort: must be >= port and <= 65535, got " + endPort);
            }
        }
    }

    /** {@code a.b.c.d/n} with the host bits cleared; a bare address is /32. Only IPv4 (sandboxes have no IPv6). */
    public static String canonicalCidr(String field, String cidr) {
        if (cidr == null) throw new IllegalArgumentException(field + ": is required");
        String[] parts = cidr.strip().split("/", -1);
        if (parts.length > 2 || !IPV4.matcher(parts[0]).matches()) {
            throw new IllegalArgumentException(field + ": " + cidr + " is not an IPv4 CIDR such as 203.0.113.0/24 (agentboxd gives sandboxes IPv4 only)");
        }
        int bits;
        try {
            bits = parts.length == 2 ? Integer.parseInt(parts[1]) : 32;
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits < 0 || bits > 32) throw new IllegalArgumentException(field + ": " + cidr + " has a prefix length outside 0..32");
        long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
        return toAddress(toLong(parts[0]) & mask) + "/" + bits;
    }

    public static long toLong(String ip) {
        long v = 0;
        for (String p : ip.split("\\.")) v = (v << 8) | Integer.parseInt(p);
        return v;
    }

    public static String toAddress(long v) {
        return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
    }
}
