package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.agentbox.runtime.internal.SandboxNetwork;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Egress by policy (issue 13, item 3) on real gVisor and real network namespaces. The only destinations are test hosts
 * this test makes in namespaces of its own (see {@link TestHosts}) and listeners it opens on this host: host 1
 * (10.241.1.2) serves TCP 8080 and 8081 and DNS; host 2 (10.241.2.2) serves TCP 8080; host 3 stands in for the metadata
 * address 169.254.169.254 (and, as a control, 169.254.10.10), both routed to it, port 80; hosts 4 and 5 stand in for public
 * hosts 203.0.113.10 ("allowed.test") and 203.0.113.20 ("other.test"), routed to them, ports 80 and 443. The names resolve
 * through the runtime's proxyHosts table (a test seam: the proxy otherwise asks DNS).
 */
class EgressTest {
    @TempDir
    static Path dir;

    static TestHosts hosts;
    static GvisorRuntime runtime;
    static ServerSocket hostListener; // on every address of this host: what a sandbox must never reach
    static RunningSandbox a; // host 1 TCP 8080, DNS to host 1, link-local 80, the pool and this host's addresses on the listener's port
    static RunningSandbox b; // host 2 TCP 8080 only (no DNS although its resolv.conf names host 1)
    static RunningSandbox none; // no policy: no network
    static RunningSandbox proxied; // only allowed.test and *.allowed.test, through its egress proxy
    static final String P = "eg-" + ProcessHandle.current().pid() + "-";
    static final List<String> hostAddresses = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        String missing = SandboxNetwork.missingTools();
        assumeThat(missing).as("egress tests need ip, nft and nsenter (scripts/setup.sh installs them); missing: " + missing).isNull();
        hosts = new TestHosts(dir);
        hosts.add(1, List.of(), "tcp=0.0.0.0:8080,0.0.0.0:8081 dns=" + TestHosts.address(1) + " dns-map=allowed.test=" + TestHosts.address(1));
        hosts.add(2, List.of(), "tcp=0.0.0.0:8080");
        hosts.add(3, List.of("169.254.169.254", "169.254.10.10"), "tcp=0.0.0.0:80");
        hosts.add(4, List.of("203.0.113.10"), "tcp=0.0.0.0:80,0.0.0.0:443");
        hosts.add(5, List.of("203.0.113.20"), "tcp=0.0.0.0:80,0.0.0.0:443");
        hostListener = new ServerSocket();
        hostListener.bind(new InetSocketAddress("0.0.0.0", 0));
        int port = hostListener.getLocalPort();
        for (NetworkInterface ni : NetworkInterface.networkInterfaces().toList()) {
            if (ni.getName().startsWith("tbh") || ni.getName().startsWith("abx") || ni.isLoopback()) continue;
            ni.inetAddresses().filter(i -> i instanceof Inet4Address).forEach(i -> hostAddresses.add(i.getHostAddress()));
        }
        runtime = new GvisorRuntime(dir.resolve("runtime"), new GvisorRuntime.Options("runsc", 0, null, null, null,
                Map.of("allowed.test", "203.0.113.10", "www.allowed.test", "203.0.113.10", "other.test", "203.0.113.20"), List.of()));
        List<Egress.Rule> rulesA = new ArrayList<>(List.of(
                rule(TestHosts.address(1) + "/32", "TCP", 8080),
                rule(TestHosts.address(1) + "/32", "UDP", 53),
                rule("169.254.0.0/16", "TCP", 80),
                rule("10.240.0.0/16", "TCP", port)));
        for (String h : hostAddresses) rulesA.add(rule(h + "/32", "TCP", port));
        a = runtime.start(config(P + "a", new Egress(rulesA, List.of(TestHosts.address(1)))));
        b = runtime.start(config(P + "b", new Egress(List.of(rule(TestHosts.address(2) + "/32", "TCP", 8080)), List.of(TestHosts.address(1)))));
        none = runtime.start(config(P + "none", null));
        proxied = runtime.start(config(P + "proxied", new Egress(List.of(), List.of(), List.of("allowed.test", "*.allowed.test"))));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (runtime != null) {
                runtime.stopAll();
                runtime.close();
            }
            if (hostListener != null) hostListener.close();
        } finally {
            if (hosts != null) hosts.close();
        }
    }

    static Egress.Rule rule(String cidr, String protocol, int port) {
        return new Egress.Rule(cidr, List.of(), List.of(new Egress.Port(protocol, port, 0)));
    }

    static SandboxConfig config(String id, Egress egress) {
        return new SandboxConfig(id, ImageStore.BUILTIN, List.of(), Map.of(), "/tmp", 256L << 20, 0, 64, 1000, 1000, false,
                List.of(), List.of(), null, 64L << 20, SandboxConfig.DEFAULT_CAPABILITIES, List.of()).withEgress(egress);
    }

    private static final String PROBE = """
            import socket, sys
            for t in sys.argv[1:]:
                h, p = t.rsplit(':', 1)
                try:
                    s = socket.create_connection((h, int(p)), 2)
                    print(t, 'open', flush=True)
                    s.settimeout(2)
                    print(t, 'said', s.recv(64).decode().strip())
                except Exception as e:
                    print(t, 'closed', type(e).__name__, e)
            """;

    /** What the sandbox sees trying each {@code host:port}: "open" (and what it said) or "closed" with the error. */
    static String reach(RunningSandbox sb, String... targets) throws RuntimeFailure {
        List<String> argv = new ArrayList<>(List.of("python3", "-c", PROBE));
        argv.addAll(List.of(targets));
        ExecResult r = sb.exec(new ExecRequest(argv, Map.of(), null, null, Duration.ofSeconds(60), 1 << 16));
        return new String(r.stdout(), StandardCharsets.UTF_8) + new String(r.stderr(), StandardCharsets.UTF_8);
    }

    static String sh(RunningSandbox sb, String script) throws RuntimeFailure {
        ExecResult r = sb.exec(new ExecRequest(List.of("/bin/sh", "-c", script), Map.of(), null, null, Duration.ofSeconds(30), 1 << 16));
        return new String(r.stdout(), StandardCharsets.UTF_8) + new String(r.stderr(), StandardCharsets.UTF_8);
    }

    @Test
    void anAllowedIpBlockAndPortIsReachable() throws Exception {
        assertThat(reach(a, TestHosts.address(1) + ":8080")).contains("said h1:8080");
        assertThat(reach(b, TestHosts.address(2) + ":8080")).contains("said h2:8080");
    }

    @Test
    void aSandboxsSocketsAreGvisorsNotTheHostKernels() throws Exception {
        // gVisor's own network stack (--network=sandbox): a socket inside is not a socket of the host kernel, not even in
        // the sandbox's network namespace (with runsc's host network mode it would be, and the host kernel would parse it)
        sh(a, "nohup python3 -c 'import socket,time; s=socket.socket(); s.bind((\"0.0.0.0\", 45680)); s.listen(); time.sleep(60)' >/dev/null 2>&1 &");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(reach(a, "127.0.0.1:45680")).contains("open"));
        String netns = runtime.network(P + "a").orElseThrow().netns();
        String kernel = TestHosts.output("ip", "netns", "exec", netns, "ss", "-ltn");
        assertThat(kernel).as("listening sockets of the host kernel in " + netns).contains("State").doesNotContain(":45680");
    }

    @Test
    void sandboxCannotReachAnotherPortOfAnAllowedHost() throws Exception {
        assertThat(reach(a, TestHosts.address(1) + ":8081")).contains("closed").doesNotContain("open");
    }

    @Test
    void sandboxCannotReachAHostItsPolicyDoesNotName() throws Exception {
        assertThat(reach(a, TestHosts.address(2) + ":8080")).contains("closed").doesNotContain("open");
        assertThat(reach(b, TestHosts.address(1) + ":8080")).contains("closed").doesNotContain("open");
    }

    @Test
    void dnsWorksOnlyWhenThePolicyAllowsIt() throws Exception {
        String resolve = "python3 -c \"import socket; print('resolved', socket.gethostbyname('allowed.test'))\" 2>&1 | tail -1";
        assertThat(sh(a, resolve)).contains("resolved " + TestHosts.address(1));
        assertThat(reach(a, "allowed.test:8080")).contains("said h1:8080");
        assertThat(sh(b, resolve)).doesNotContain("resolved").contains("gaierror");
    }

    @Test
    void sandboxCannotReachTheMetadataAddressEvenWhenItsRangeIsNamed() throws Exception {
        // the control: the same test host, on another link-local address the policy names, answers
        assertThat(reach(a, "169.254.10.10:80")).contains("said h3:80");
        assertThat(reach(a, "169.254.169.254:80")).contains("closed").doesNotContain("open");
    }

    @Test
    void sandboxCannotReachTheHostsLoopbackOrAddressesOrGateway() throws Exception {
        int port = hostListener.getLocalPort();
        String gateway = runtime.network(P + "a").orElseThrow().gateway();
        List<String> targets = new ArrayList<>(List.of(gateway + ":" + port, "127.0.0.1:" + port));
        for (String h : hostAddresses) targets.add(h + ":" + port);
        String out = reach(a, targets.toArray(String[]::new));
        assertThat(out).doesNotContain("open");
        assertThat(out.lines().filter(l -> l.contains("closed")).count()).isEqualTo(targets.size());
    }

    @Test
    void aSandboxWithoutAPolicyHasNoNetwork() throws Exception {
        assertThat(reach(none, TestHosts.address(1) + ":8080")).contains("closed").doesNotContain("open");
        assertThat(runtime.network(P + "none")).isEmpty();
    }

    @Test
    void nothingCanConnectIntoASandbox() throws Exception {
        sh(a, "setsid python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1 < /dev/null & sleep 1");
        assertThat(reach(a, "127.0.0.1:8000")).as("the listener runs").contains("open");
        String address = runtime.network(P + "a").orElseThrow().address();
        // from this host (the output path) ...
        try (Socket s = new Socket()) {
            assertThat(connects(s, address, 8000)).as("connect from the host into the sandbox").isFalse();
        }
        // ... and from a test host (the forward path)
        String fromHost = TestHosts.output("ip", "netns", "exec", "tbh" + (ProcessHandle.current().pid() % 100000) + "-1", "python3", "-c",
                "import socket\ntry:\n socket.create_connection(('" + address + "', 8000), 2); print('open')\nexcept Exception as e: print('closed', e)");
        assertThat(fromHost).contains("closed").doesNotContain("open");
    }

    private static boolean connects(Socket s, String host, int port) {
        try {
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), 2000);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** A CONNECT through the sandbox's proxy (from its HTTPS_PROXY) to {@code host}:443 with a real ClientHello naming {@code sni}. */
    static String connectVia(RunningSandbox sb, String host, String sni) throws RuntimeFailure {
        String script = """
                import os, socket, ssl, sys
                proxy = os.environ['HTTPS_PROXY'].removeprefix('http://').split(':')
                o, i = ssl.MemoryBIO(), ssl.MemoryBIO()
                tls = ssl.create_default_context().wrap_bio(i, o, server_hostname=sys.argv[2])
                try:
                    tls.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                s = socket.create_connection((proxy[0], int(proxy[1])), 3)
                s.settimeout(3)
                s.sendall(f'CONNECT {sys.argv[1]}:443 HTTP/1.1\\r\\nHost: {sys.argv[1]}:443\\r\\n\\r\\n'.encode())
                head = b''
                while b'\\r\\n\\r\\n' not in head:
                    b = s.recv(1)
                    if not b: break
                    head += b
                print('proxy said', head.split(b'\\r\\n')[0].decode())
                if b' 200 ' in head:
                    s.sendall(o.read())
                    try:
                        print('upstream said', s.recv(64).decode().strip() or 'nothing')
                    except Exception as e:
                        print('upstream closed', type(e).__name__)
                else:
                    print(s.recv(512).decode().strip())
                """;
        ExecResult r = sb.exec(new ExecRequest(List.of("python3", "-c", script, host, sni), Map.of(), null, null, Duration.ofSeconds(30), 1 << 16));
        return new String(r.stdout(), StandardCharsets.UTF_8) + new String(r.stderr(), StandardCharsets.UTF_8);
    }

    /** A plain HTTP GET through the proxy with {@code hostHeader}. */
    static String getVia(RunningSandbox sb, String url, String hostHeader) throws RuntimeFailure {
        String script = """
                import os, socket, sys
                proxy = os.environ['HTTP_PROXY'].removeprefix('http://').split(':')
                s = socket.create_connection((proxy[0], int(proxy[1])), 3)
                s.settimeout(3)
                s.sendall(f'GET {sys.argv[1]} HTTP/1.1\\r\\nHost: {sys.argv[2]}\\r\\n\\r\\n'.encode())
                out = b''
                try:
                    while True:
                        b = s.recv(4096)
                        if not b: break
                        out += b
                except Exception as e:
                    out += type(e).__name__.encode()
                print(out.decode())
                """;
        ExecResult r = sb.exec(new ExecRequest(List.of("python3", "-c", script, url, hostHeader), Map.of(), null, null, Duration.ofSeconds(30), 1 << 16));
        return new String(r.stdout(), StandardCharsets.UTF_8) + new String(r.stderr(), StandardCharsets.UTF_8);
    }

    @Test
    void theDomainAllowListLetsAnAllowedNameThrough() throws Exception {
        assertThat(connectVia(proxied, "allowed.test", "allowed.test")).contains("proxy said HTTP/1.1 200").contains("upstream said h4:443");
        assertThat(connectVia(proxied, "www.allowed.test", "www.allowed.test")).contains("upstream said h4:443");
        assertThat(getVia(proxied, "http://allowed.test/", "allowed.test")).contains("h4:80");
    }

    @Test
    void sandboxCannotUseTheProxyForANameNotOnTheList() throws Exception {
        assertThat(connectVia(proxied, "other.test", "other.test")).contains("proxy said HTTP/1.1 403").contains("not in the template's")
                .doesNotContain("h5");
        assertThat(connectVia(proxied, "203.0.113.20", "other.test")).contains("proxy said HTTP/1.1 403").doesNotContain("h5");
        assertThat(getVia(proxied, "http://other.test/", "other.test")).contains("403").doesNotContain("h5");
    }

    @Test
    void sandboxCannotSmuggleAnotherNameInTheTlsServerNameOrHostHeader() throws Exception {
        assertThat(connectVia(proxied, "allowed.test", "other.test")).contains("proxy said HTTP/1.1 200").doesNotContain("h4:443");
        assertThat(getVia(proxied, "http://allowed.test/", "other.test")).contains("403").contains("Host header").doesNotContain("h4");
    }

    @Test
    void sandboxWithADomainListReachesNothingDirectly() throws Exception {
        String out = reach(proxied, "203.0.113.10:443", "203.0.113.10:80", TestHosts.address(1) + ":8080");
        assertThat(out).doesNotContain("open");
        // nor another sandbox's proxy: a's gateway has none, and b's network is another veth
        String gatewayOfA = runtime.network(P + "a").orElseThrow().gateway();
        assertThat(reach(proxied, gatewayOfA + ":3128")).contains("closed");
    }

    @Test
    void theNetworkIsRemovedWithTheSandbox() throws Exception {
        SandboxConfig c = config(P + "gone", new Egress(List.of(rule(TestHosts.address(1) + "/32", "TCP", 8080)), List.of()));
        RunningSandbox sb = runtime.start(c);
        SandboxNetwork.Handle n = runtime.network(c.id()).orElseThrow();
        assertThat(leftovers(n)).as("while it runs").hasSize(3);
        assertThat(reach(sb, TestHosts.address(1) + ":8080")).contains("said h1:8080");
        runtime.destroy(c.id());
        assertThat(leftovers(n)).as("after destroy").isEmpty();
        assertThat(runtime.network(c.id())).isEmpty();
    }

    @Test
    void aSandboxThatOutlivesAgentboxdKeepsItsNetworkAndOneThatWentMeanwhileLosesIt() throws Exception {
        Path base = dir.resolve("restart");
        SandboxConfig c = config(P + "restart", new Egress(List.of(rule(TestHosts.address(1) + "/32", "TCP", 8080)), List.of()));
        GvisorRuntime first = new GvisorRuntime(base);
        first.start(c);
        SandboxNetwork.Handle n = first.network(c.id()).orElseThrow();
        first.close(); // what agentboxd leaves behind when it is killed: the shim and sandbox run on
        GvisorRuntime second = new GvisorRuntime(base);
        try {
            assertThat(leftovers(n)).as("kept for the live sandbox").hasSize(3);
            RunningSandbox again = second.attach(c);
            assertThat(reach(again, TestHosts.address(1) + ":8080")).contains("said h1:8080");
            second.close();
            // the sandbox goes while no agentboxd runs
            String runscRoot = base.resolve("runsc").toString();
            TestHosts.output("runsc", "--root", runscRoot, "kill", c.id(), "KILL");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (TestHosts.output("runsc", "--root", runscRoot, "list", "-quiet").contains(c.id()) && System.nanoTime() < deadline) Thread.sleep(100);
            TestHosts.output("runsc", "--root", runscRoot, "delete", "--force", c.id());
            Thread.sleep(500); // its shim exits after runsc
            GvisorRuntime third = new GvisorRuntime(base); // start-up sweep
            try {
                assertThat(leftovers(n)).as("removed at start-up").isEmpty();
            } finally {
                third.stopAll();
                third.close();
            }
        } finally {
            second.stopAll();
            second.close();
        }
    }

    /** Which of the sandbox network's namespace, veth and nft chain exist on the host. */
    static List<String> leftovers(SandboxNetwork.Handle n) {
        List<String> out = new ArrayList<>();
        if (TestHosts.output("ip", "netns", "list").contains(n.netns())) out.add("netns " + n.netns());
        if (!TestHosts.output("ip", "link", "show", n.veth()).contains("does not exist")) out.add("veth " + n.veth());
        String table = TestHosts.output("nft", "list", "table", "inet", "agentbox");
        if (table.contains("e-" + n.veth()) || table.contains("\"" + n.veth() + "\"")) out.add("nft chain e-" + n.veth());
        return out;
    }
}
