package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.Egress;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network of sandboxes with an {@link Egress} policy: per sandbox a network namespace {@code agentbox-<hash>}, a veth
 * pair (host end {@code abx<hash>} with the gateway address, {@code eth0} inside with the sandbox's), a /30 of the pool, and
 * a chain of {@code table inet agentbox} (see {@link EgressRules}). Every command is {@code ip} or {@code nft} with a timeout
 * ({@link Runsc#run}). What exists is recorded in {@code stateDir/<sandbox id>} before it is made, so that a teardown, also
 * one after a kill -9 of agentboxd ({@link #sweep}), removes exactly what this runtime made.
 */
public final class SandboxNetwork {
    private static final Logger log = LoggerFactory.getLogger(SandboxNetwork.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    public static final String NETNS_PREFIX = "agentbox-";
    public static final String DEFAULT_POOL = "10.240.0.0/16";

    /** What one sandbox's network is made of. */
    public record Handle(String id, String netns, String veth, String gateway, String address) {
        public Path netnsPath() {
            return Path.of("/run/netns", netns);
        }
    }

    private final Path stateDir;
    private final Path base;
    private final long poolStart;
    private final int poolSize;
    private static final ReentrantLock LOCK = new ReentrantLock(); // the host's table and pool are shared by every runtime of the JVM

    /** @param pool an IPv4 block of at least /29 that nothing else on the host uses, e.g. {@link #DEFAULT_POOL} */
    public SandboxNetwork(Path stateDir, String pool) {
        this.stateDir = stateDir;
        this.base = stateDir.toAbsolutePath();
        String p = checkPool(pool == null ? DEFAULT_POOL : pool);
        int bits = Integer.parseInt(p.substring(p.indexOf('/') + 1));
        this.poolStart = Egress.toLong(p.substring(0, p.indexOf('/')));
        this.poolSize = 1 << (32 - bits);
    }

    /** {@code pool} as a canonical CIDR, if it is an IPv4 block of at least /29 (agentboxd's runtime.networkPool). */
    public static String checkPool(String pool) {
        String p = Egress.canonicalCidr("runtime.networkPool", pool);
        if (Integer.parseInt(p.substring(p.indexOf('/') + 1)) > 29) {
            throw new IllegalArgumentException("runtime.networkPool: " + pool + " is too small; give a /29 or larger, e.g. " + DEFAULT_POOL);
        }
        return p;
    }

    /** The IPv4 nameservers of this host's /etc/resolv.conf, but its loopback ones (a sandbox's 127.0.0.1 is its own). */
    public static List<String> hostNameservers() {
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 2 || !f[0].equals("nameserver") || f[1].startsWith("127.")) continue;
                try {
                    Egress.canonicalCidr("nameserver", f[1]);
                    if (!f[1].contains("/")) out.add(f[1]);
                } catch (IllegalArgumentException e) {
                    // an IPv6 nameserver: sandboxes have IPv4 only
                }
            }
        } catch (IOException e) {
            log.debug("no /etc/resolv.conf: {}", e.toString());
        }
        return List.copyOf(out);
    }

    /** Whether this host has {@code ip} and {@code nft} (installed by scripts/setup.sh). */
    public static String missingTools() {
        for (String tool : List.of("ip", "nft", "nsenter")) {
            boolean found = false;
            for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) found |= Files.isExecutable(Path.of(dir, tool));
            if (!found) return tool;
        }
        return null;
    }

    /** The names of sandbox {@code id}'s network (the hash keeps them within IFNAMSIZ and apart from other runtimes'). */
    String hash(String id) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((base + "\0" + id).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes sandbox {@code id}'s network namespace, veth and rules; on failure removes what it made. */
    public Handle create(String id, Egress egress) throws RuntimeFailure {
        String missing = missingTools();
        if (missing != null) {
            throw new RuntimeFailure(Kind.FAILED, "sandbox " + id + " has an egress policy but this host has no '" + missing
                    + "'; install iproute2 and nftables (scripts/setup.sh does)");
        }
        LOCK.lock();
        try {
            ensureTable();
            String h = hash(id);
            long slot = freeSlot();
            Handle n = new Handle(id, NETNS_PREFIX + h, EgressRules.VETH_PREFIX + h, Egress.toAddress(slot + 1), Egress.toAddress(slot + 2));
            record(n);
            try {
                ip("netns", "add", n.netns());
                ip("link", "add", n.veth(), "type", "veth", "peer", "name", "eth0", "netns", n.netns());
                sysctl(Path.of("/proc/sys/net/ipv6/conf", n.veth(), "disable_ipv6"), "1");
                ip("addr", "add", n.gateway() + "/30", "dev", n.veth());
                ip("link", "set", n.veth(), "up");
                ip("netns", "exec", n.netns(), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
                ip("-n", n.netns(), "addr", "add", n.address() + "/30", "dev", "eth0");
                ip("-n", n.netns(), "link", "set", "eth0", "up");
                ip("-n", n.netns(), "link", "set", "lo", "up");
                ip("-n", n.netns(), "route", "add", "default", "via", n.gateway());
                nft(EgressRules.sandbox(n.veth(), n.address(), egress)
                        + (egress.domains().isEmpty() ? "" : "add element " + EgressRules.TABLE + " proxied " + EgressRules.proxyElement(n.veth(), n.gateway()) + "\n"));
            } catch (RuntimeFailure e) {
                remove(n);
                throw e;
            }
            log.info("sandbox {}: network {} ({} via {}), {} egress rule(s)", id, n.netns(), n.address(), n.gateway(), egress.rules().size());
            return n;
        } finally {
            LOCK.unlock();
        }
    }

    /** The network recorded for sandbox {@code id}, if any (after a restart of agentboxd too). */
    public java.util.Optional<Handle> get(String id) {
        Path f = stateDir.resolve(id);
        if (!Files.isRegularFile(f)) return java.util.Optional.empty();
        try (var in = Files.newBufferedReader(f)) {
            Properties p = new Properties();
            p.load(in);
            return java.util.Optional.of(new Handle(id, p.getProperty("netns"), p.getProperty("veth"), p.getProperty("gateway"), p.getProperty("address")));
        } catch (IOException | IllegalArgumentException e) {
            log.warn("sandbox {}: unreadable network record {}: {}", id, f, e.toString());
            return java.util.Optional.empty();
        }
    }

    /** Removes sandbox {@code id}'s network if it has one (idempotent). */
    public void destroy(String id) {
        get(id).ifPresent(n -> {
            LOCK.lock();
            try {
                remove(n);
            } finally {
                LOCK.unlock();
            }
        });
    }

    /** Removes the network of every recorded sandbox that is {@code gone} (after a crash of agentboxd, say). */
    public void sweep(java.util.function.Predicate<String> gone) {
        List<String> ids = new ArrayList<>();
        try (var files = Files.list(stateDir)) {
            for (Path p : files.toList()) ids.add(p.getFileName().toString());
        } catch (IOException e) {
            return; // no directory: nothing recorded
        }
        for (String id : ids) {
            if (!gone.test(id)) continue;
            log.info("sandbox {}: removing its leftover network", id);
            destroy(id);
        }
    }

    private void remove(Handle n) {
        // each step on its own: a half-made network (or one half removed before a crash) is removed as far as it exists
        quietly("nft", "delete", "element", "inet", "agentbox", "egress", "{ \"" + n.veth() + "\" }");
        quietly("nft", "delete", "chain", "inet", "agentbox", EgressRules.chain(n.veth()));
        quietly("nft", "delete", "element", "inet", "agentbox", "proxied", EgressRules.proxyElement(n.veth(), n.gateway()));
        quietly("ip", "link", "del", n.veth());
        quietly("ip", "netns", "del", n.netns());
        try {
            Files.deleteIfExists(stateDir.resolve(n.id()));
        } catch (IOException e) {
            log.warn("sandbox {}: cannot delete its network record: {}", n.id(), e.toString());
        }
    }

    private void record(Handle n) throws RuntimeFailure {
        try {
            Files.createDirectories(stateDir);
            Properties p = new Properties();
            p.setProperty("netns", n.netns());
            p.setProperty("veth", n.veth());
            p.setProperty("gateway", n.gateway());
            p.setProperty("address", n.address());
            try (var out = Files.newBufferedWriter(stateDir.resolve(n.id()))) {
                p.store(out, "network of sandbox " + n.id() + " (removed with it)");
            }
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "cannot record the network of sandbox " + n.id() + " in " + stateDir + ": " + e.getMessage(), e);
        }
    }

    /** The first /30 of the pool that no agentbox veth of this host has (every runtime's, also other processes'). */
    private long freeSlot() throws RuntimeFailure {
        Set<Long> used = new HashSet<>();
        String out = ip("-o", "-4", "addr", "show");
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[1].startsWith(EgressRules.VETH_PREFIX) || !f[2].equals("inet")) continue;
            String addr = f[3].substring(0, f[3].indexOf('/'));
            used.add(Egress.toLong(addr) & ~3L);
        }
        for (long s = poolStart; s + 4 <= poolStart + poolSize; s += 4) if (!used.contains(s)) return s;
        throw new RuntimeFailure(Kind.FAILED, "runtime.networkPool is exhausted (" + (poolSize / 4) + " sandboxes with a network); give a larger pool");
    }

    private void ensureTable() throws RuntimeFailure {
        if (run(List.of("nft", "list", "table", "inet", "agentbox")).code() == 0) {
            // a table made by an agentboxd before the egress proxy: add its set and input rule
            if (run(List.of("nft", "list", "set", "inet", "agentbox", "proxied")).code() != 0) {
                nft("add set " + EgressRules.TABLE + " proxied { type ifname . ipv4_addr . inet_service; }\n"
                        + "insert rule " + EgressRules.TABLE + " input " + EgressRules.PROXY_RULE + "\n");
            }
            return;
        }
        Path fwd = Path.of("/proc/sys/net/ipv4/ip_forward");
        boolean wasOff;
        try {
            wasOff = Files.readString(fwd).strip().equals("0");
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "cannot read " + fwd + ": " + e.getMessage(), e);
        }
        nft(EgressRules.table(wasOff));
        if (wasOff) {
            sysctl(fwd, "1");
            log.info("net.ipv4.ip_forward turned on for sandbox networks; table inet agentbox drops any other forwarding");
        }
    }

    private static void sysctl(Path file, String value) throws RuntimeFailure {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "cannot write " + value + " to " + file + ": " + e.getMessage(), e);
        }
    }

    private static void nft(String script) throws RuntimeFailure {
        Path f = null;
        try {
            f = Files.createTempFile("agentbox-nft-", ".nft");
            Files.writeString(f, script);
            Runsc.Result r = run(List.of("nft", "-f", f.toString()));
            if (r.code() != 0) throw new RuntimeFailure(Kind.FAILED, "nft refused the sandbox's rules: " + r.err().strip());
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "nft: " + e.getMessage(), e);
        } finally {
            try {
                if (f != null) Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // a temporary file
            }
        }
    }

    private static String ip(String... args) throws RuntimeFailure {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Runsc.Result r = run(cmd);
        if (r.code() != 0) throw new RuntimeFailure(Kind.FAILED, String.join(" ", cmd) + " failed: " + r.err().strip());
        return r.out();
    }

    private static void quietly(String... cmd) {
        try {
            Runsc.Result r = run(List.of(cmd));
            if (r.code() != 0 && !r.err().contains("No such file") && !r.err().contains("Cannot find") && !r.err().contains("does not exist")) {
                log.debug("{}: {}", String.join(" ", cmd), r.err().strip());
            }
        } catch (RuntimeFailure e) {
            log.warn("{}", e.getMessage());
        }
    }

    private static Runsc.Result run(List<String> cmd) throws RuntimeFailure {
        try {
            return Runsc.run(cmd, TIMEOUT);
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, e.getMessage(), e);
        }
    }
}
