package dev.agentbox.cli;

import dev.agentbox.client.PortConnection;
import dev.agentbox.client.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "port-forward", sortOptions = false,
        description = {"Forward local ports to ports inside a sandbox, as kubectl port-forward does for a pod.",
                "Each connection to 127.0.0.1:LOCAL becomes one TCP connection to REMOTE inside the sandbox, carried by",
                "agentboxd over the sandbox's agent channel (a WebSocket to .../sandboxes/NAME/portforward?port=REMOTE):",
                "the sandbox needs no network. The server inside must listen on 127.0.0.1 or 0.0.0.0. Local ports are",
                "opened on 127.0.0.1 only. Runs until Ctrl-C; open connections end then too."},
        footer = {"", "Examples:", "  agentbox port-forward my-sandbox 8080:8000      # localhost:8080 -> 8000 inside",
                "  agentbox port-forward my-sandbox 8888            # the same port on both sides",
                "  agentbox port-forward my-sandbox :8000 -n team-a  # a free local port (printed)",
                "  agentbox port-forward --claim my-claim 8080:8000"})
final class PortForwardCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "SANDBOX", description = "the sandbox's name (or the claim's name with --claim)")
    String target;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "[LOCAL:]REMOTE", description = "ports: LOCAL:REMOTE, REMOTE (the same locally) or :REMOTE (a free local port)")
    List<String> ports;

    @Option(names = "--claim", description = "SANDBOX names a SandboxClaim; forward to the sandbox bound to it")
    boolean claim;

    record Mapping(int local, int remote) {}

    static Mapping parse(String spec) {
        String[] parts = spec.split(":", -1);
        if (parts.length > 2) throw new IllegalArgumentException("port '" + spec + "': use LOCAL:REMOTE, REMOTE or :REMOTE, e.g. 8080:8000");
        int remote = number(spec, parts[parts.length - 1], 1);
        int local = parts.length == 1 ? remote : parts[0].isEmpty() ? 0 : number(spec, parts[0], 1);
        return new Mapping(local, remote);
    }

    private static int number(String spec, String s, int min) {
        if (!s.matches("\\d{1,5}") || Integer.parseInt(s) < min || Integer.parseInt(s) > 65535) {
            throw new IllegalArgumentException("port '" + spec + "': " + (s.isEmpty() ? "the remote port is missing" : "'" + s + "' is not a port 1..65535") + "; e.g. 8080:8000");
        }
        return Integer.parseInt(s);
    }

    @Override
    int run() throws Exception {
        List<Mapping> mappings = new ArrayList<>();
        try {
            for (String p : ports) mappings.add(parse(p));
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Sandbox sandbox = claim ? client().attachClaim(target) : client().attach(target);
        List<ServerSocket> listeners = new ArrayList<>();
        try {
            for (Mapping m : mappings) {
                ServerSocket s = new ServerSocket();
                try {
                    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), m.local()));
                } catch (IOException e) {
                    s.close();
                    throw new IOException("cannot listen on 127.0.0.1:" + m.local() + " (" + e.getMessage() + "); is another program using it? Choose another LOCAL port", e);
                }
                listeners.add(s);
                out().println("Forwarding from 127.0.0.1:" + s.getLocalPort() + " -> " + m.remote());
            }
            out().flush();
            List<Thread> acceptors = new ArrayList<>();
            for (int i = 0; i < listeners.size(); i++) {
                ServerSocket s = listeners.get(i);
                int remote = mappings.get(i).remote();
                acceptors.add(Thread.ofVirtual().name("port-forward-" + s.getLocalPort()).start(() -> accept(sandbox, s, remote)));
            }
            for (Thread t : acceptors) t.join();
        } finally {
            for (ServerSocket s : listeners) s.close(); // also on interrupt (Ctrl-C or a test): the acceptors end
        }
        return 0;
    }

    private void accept(Sandbox sandbox, ServerSocket server, int remote) {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            out().println("Handling connection for " + server.getLocalPort());
            out().flush();
            Thread.ofVirtual().start(() -> forward(sandbox, socket, remote));
        }
    }

    private void forward(Sandbox sandbox, Socket socket, int remote) {
        try (socket; PortConnection conn = sandbox.ports().connect(remote)) {
            Thread up = Thread.ofVirtual().start(() -> {
                try {
                    copy(socket.getInputStream(), conn.output());
                    conn.shutdownOutput(); // the local client half-closed: so does the connection inside
                } catch (IOException | RuntimeException e) {
                    conn.close();
                }
            });
            try {
                copy(conn.input(), socket.getOutputStream());
                socket.shutdownOutput();
            } catch (IOException e) {
                // either side went away
            }
            up.join(java.time.Duration.ofSeconds(30).toMillis());
        } catch (IOException | InterruptedException e) {
            // the local socket is gone
        } catch (RuntimeException e) {
            err().println("error: forwarding to port " + remote + " of " + sandbox.name() + ": " + e.getMessage());
            err().flush();
        }
    }

    private static void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
            out.flush();
        }
    }
}
