package dev.agentbox.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts: network namespaces this test makes on this machine ({@code tbh<pid><n>}), each with a veth to the root
 * namespace (root end {@code 10.241.<n>.1}, host {@code 10.241.<n>.2}) and the servers of testhost.py. Nothing else is
 * ever a destination. {@link #close} removes every namespace, veth, route and process it made.
 */
public final class TestHosts implements AutoCloseable {
    private final String prefix = "tbh" + (ProcessHandle.current().pid() % 100000);

    /** The network namespace of host {@code n}. */
    public String namespace(int n) {
        return prefix + "-" + n;
    }
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();
    private final Path dir;

    public TestHosts(Path dir) {
        this.dir = dir;
    }

    /** Host {@code n}'s address. */
    public static String address(int n) {
        return "10.241." + n + ".2";
    }

    /**
     * Makes host {@code n}; {@code extra} addresses are put on its interface too and routed to it from the root namespace
     * (how a test host stands in for, e.g., the metadata address without any packet leaving the machine).
     */
    public void add(int n, List<String> extra, String serverArgs) throws IOException, InterruptedException {
        String ns = prefix + "-" + n;
        String veth = prefix + n;
        sh("ip", "netns", "add", ns);
        namespaces.add(ns);
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        sh("ip", "addr", "add", "10.241." + n + ".1/30", "dev", veth);
        sh("ip", "link", "set", veth, "up");
        sh("ip", "-n", ns, "addr", "add", address(n) + "/30", "dev", "eth0");
        for (String a : extra) sh("ip", "-n", ns, "addr", "add", a + "/32", "dev", "eth0");
        sh("ip", "-n", ns, "link", "set", "eth0", "up");
        sh("ip", "-n", ns, "link", "set", "lo", "up");
        for (String a : extra) sh("ip", "route", "add", a + "/32", "via", address(n), "dev", veth);
        Path script = dir.resolve("testhost.py");
        if (!Files.exists(script)) {
            try (InputStream in = TestHosts.class.getResourceAsStream("/egress/testhost.py")) {
                Files.write(script, in.readAllBytes());
            }
        }
        Path out = dir.resolve("host-" + n + ".log");
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "python3", script.toString(), "name=h" + n, "ttl=600"));
        cmd.addAll(List.of(serverArgs.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        servers.add(p);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.readString(out).contains("ready")) {
            if (!p.isAlive() || System.nanoTime() > deadline) throw new IOException("test host " + n + " did not start: " + Files.readString(out));
            Thread.sleep(50);
        }
    }

    static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": timed out");
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": " + out);
        return out;
    }

    /** What {@code cmd} prints, or its error text: never throws (for checks of what is left on the host). */
    public static String output(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            return new String(p.getInputStream().readAllBytes());
        } catch (IOException | InterruptedException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        for (Process p : servers) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (int i = 0; i < namespaces.size(); i++) {
            String n = namespaces.get(i).substring(namespaces.get(i).lastIndexOf('-') + 1);
            output("ip", "link", "del", prefix + n); // takes its routes with it
            output("ip", "netns", "del", namespaces.get(i));
        }
    }
}
