package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.Egress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Renders the nftables rules of agentbox's own table ({@code table inet agentbox}; no other table is touched). Pure text:
 * {@link SandboxNetwork} feeds it to {@code nft -f}. See docs/networking.md for the model.
 */
public final class EgressRules {
    public static final String TABLE = "inet agentbox";
    /** Host ends of sandbox veths are named {@code abx<hash>}. */
    public static final String VETH_PREFIX = "abx";

    /**
     * Never reachable, whatever a rule says: the host's loopback (inside the sandbox 127.0.0.1 is its own) and the cloud
     * metadata address.
     */
    static final List<String> NEVER = List.of("127.0.0.0/8", "169.254.169.254/32");

    /**
     * Reserved ranges (private, loopback, link-local, CGNAT, multicast, ...): a rule reaches into one only if its cidr lies
     * inside that range (it "names it explicitly"); a wider block such as 0.0.0.0/0 never implies them.
     */
    static final List<String> RESERVED = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
            "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4");

    private EgressRules() {}

    /**
     * The table with its base chains, created once per host. {@code guardForwarding}: agentboxd turned
     * {@code net.ipv4.ip_forward} on, so forwarding that involves no sandbox veth is dropped (the host forwards nothing
     * it did not forward before).
     */
    public static String table(boolean guardForwarding) {
        String v = VETH_PREFIX + "*";
        return "table " + TABLE + " {\n"
                + "  map egress { type ifname : verdict; }\n"
                + "  set proxied { type ifname . ipv4_addr . inet_service; }\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority filter; policy accept;\n"
                + (guardForwarding ? "    iifname != \"" + v + "\" oifname != \"" + v + "\" drop\n" : "")
                + "    ct state established,related accept\n"
                // ingress stays closed: nothing new is forwarded into a sandbox (ports are reached through the agent channel)
                + "    oifname \"" + v + "\" drop\n"
                + "    iifname \"" + v + "\" iifname vmap @egress\n"
                + "    iifname \"" + v + "\" drop\n"
                + "  }\n"
                + "  chain input {\n"
                + "    type filter hook input priority filter; policy accept;\n"
                // the host itself (its loopback, its addresses, the gateway) is never a destination of a sandbox
                + "    " + PROXY_RULE + "\n"
                + "    iifname \"" + v + "\" drop\n"
                + "  }\n"
                + "  chain output {\n"
                + "    type filter hook output priority filter; policy accept;\n"
                // nor can the host's own processes open connections into a sandbox
                + "    oifname \"" + v + "\" ct state established,related accept\n"
                + "    oifname \"" + v + "\" meta l4proto { tcp, udp, sctp, icmp } drop\n"
                + "  }\n"
                + "  chain postrouting {\n"
                + "    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    iifname \"" + v + "\" oifname != \"" + v + "\" masquerade\n"
                + "  }\n"
                + "}\n";
    }

    /** The chain of the sandbox behind {@code veth}: its source address only, then {@link #NEVER}, then its rules, then drop. */
    public static String sandbox(String veth, String address, Egress egress) {
        String chain = chain(veth);
        List<String> rules = new ArrayList<>();
        rules.add("ip saddr != " + address + " drop"); // no spoofed sources
        rules.add("ip daddr { " + String.join(", ", NEVER) + " } drop");
        for (Egress.Rule r : egress.rules()) rules.addAll(accept(r));
        rules.add("drop");
        StringBuilder s = new StringBuilder("add chain " + TABLE + " " + chain + "\n");
        for (String r : rules) s.append("add rule ").append(TABLE).append(' ').append(chain).append(' ').append(r).append('\n');
        s.append("add element ").append(TABLE).append(" egress { \"").append(veth).append("\" : jump ").append(chain).append(" }\n");
        return s.toString();
    }

    /** The input rule that lets a sandbox with a domain allow-list reach its own proxy (gateway address, proxy port) only. */
    static final String PROXY_RULE = "meta l4proto tcp iifname . ip daddr . tcp dport @proxied accept";

    /** The set element that opens sandbox {@code veth}'s proxy to it. */
    public static String proxyElement(String veth, String gateway) {
        return "{ \"" + veth + "\" . " + gateway + " . " + EgressProxy.PORT + " }";
    }

    public static String chain(String veth) {
        return "e-" + veth;
    }

    static List<String> accept(Egress.Rule r) {
        StringBuilder match = new StringBuilder("ip daddr " + r.cidr());
        if (!r.except().isEmpty()) match.append(" ip daddr != { ").append(String.join(", ", r.except())).append(" }");
        if (RESERVED.stream().noneMatch(range -> inside(r.cidr(), range))) {
            match.append(" ip daddr != { ").append(String.join(", ", RESERVED)).append(" }");
        }
        if (r.ports().isEmpty()) return List.of(match + " accept");
        List<String> out = new ArrayList<>();
        for (Egress.Port p : r.ports()) {
            String proto = p.protocol().toLowerCase();
            String port = p.port() == 0 ? "" : " " + proto + " dport " + p.port() + (p.endPort() > 0 ? "-" + p.endPort() : "");
            out.add(match + " meta l4proto " + proto + port + " accept");
        }
        return out;
    }

    /** Whether block {@code cidr} lies entirely inside {@code range}. */
    static boolean inside(String cidr, String range) {
        int bits = Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
        int rangeBits = Integer.parseInt(range.substring(range.indexOf('/') + 1));
        if (bits < rangeBits) return false;
        long mask = rangeBits == 0 ? 0 : (0xffffffffL << (32 - rangeBits)) & 0xffffffffL;
        return (Egress.toLong(cidr.substring(0, cidr.indexOf('/'))) & mask) == Egress.toLong(range.substring(0, range.indexOf('/')));
    }

    /** The sandbox's /etc/resolv.conf. */
    public static String resolvConf(Egress egress) {
        return egress.nameservers().stream().map(n -> "nameserver " + n + "\n").collect(Collectors.joining())
                + "options timeout:2 attempts:2\n";
    }
}
