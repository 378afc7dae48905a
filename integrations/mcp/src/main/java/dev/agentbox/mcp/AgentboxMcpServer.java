package dev.agentbox.mcp;

import dev.agentbox.client.SandboxSessions;
import dev.agentbox.client.SandboxClient;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import jakarta.servlet.DispatcherType;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MCP server whose tools run code in agentbox sandboxes, over stdio or streamable HTTP.
 *
 * <pre>{@code
 * try (AgentboxMcpServer server = AgentboxMcpServer.http(URI.create("https://127.0.0.1:7878"),
 *         McpServerOptions.forPool("python-pool"), McpHttpOptions.loopback(8765))) {
 *     server.awaitTermination(); // clients send Authorization: Bearer <agentbox token>
 * }
 * }</pre>
 *
 * Closing the server releases every session's sandbox; a SandboxClient given to {@link #stdio} stays open (it is the
 * caller's).
 */
public final class AgentboxMcpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentboxMcpServer.class);

    public static final String NAME = "agentbox";
    public static final String VERSION = "0.1.0";
    /** The path of the streamable HTTP endpoint. */
    public static final String HTTP_PATH = "/mcp";

    static final String INSTRUCTIONS = "Tools that run code in an isolated sandbox (gVisor, no network). Each MCP session has its own "
            + "sandbox, claimed on the first call and kept between calls: write files, then run programs that use them. "
            + "A program that fails comes back with its exit code and stderr (isError true): read them and fix the code.";

    private final SandboxSessions sessions; // stdio
    private final HttpSessions httpSessions; // HTTP
    private final McpSyncServer mcp;
    private final Server jetty;
    private final URI endpoint;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean closed;

    private AgentboxMcpServer(SandboxSessions sessions, HttpSessions httpSessions, McpSyncServer mcp, Server jetty, URI endpoint) {
        this.sessions = sessions;
        this.httpSessions = httpSessions;
        this.mcp = mcp;
        this.jetty = jetty;
        this.endpoint = endpoint;
    }

    /** Serves MCP over the process's stdin/stdout until stdin closes ({@link #awaitTermination()}). */
    public static AgentboxMcpServer stdio(SandboxClient client, McpServerOptions options) {
        return stdio(client, options, System.in, System.out);
    }

    public static AgentboxMcpServer stdio(SandboxClient client, McpServerOptions options, InputStream in, OutputStream out) {
        SandboxSessions sessions = new SandboxSessions(client, options.warmPool(), options.idleTimeout());
        AgentboxMcpServer[] self = new AgentboxMcpServer[1];
        CountDownLatch eof = new CountDownLatch(1);
        InputStream watched = new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b < 0) eof.countDown();
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n < 0) eof.countDown();
                return n;
            }
        };
        var transport = new StdioServerTransportProvider(McpJsonDefaults.getMapper(), watched, out);
        McpSyncServer mcp = McpServer.sync(transport)
                .serverInfo(NAME, VERSION)
                .instructions(INSTRUCTIONS)
                .capabilities(ServerCapabilities.builder().tools(false).build())
                .tools(new SandboxTools(sessions, options).specifications())
                .build();
        self[0] = new AgentboxMcpServer(sessions, null, mcp, null, null);
        Thread.ofVirtual().name("agentbox-mcp-stdin-eof").start(() -> {
            try {
                eof.await();
                log.info("stdin closed: stopping the MCP server");
                self[0].close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        log.info("MCP server on stdio, sandboxes from warm pool {}", options.warmPool());
        return self[0];
    }

    /**
     * Serves MCP over streamable HTTP at {@code http://ADDRESS:PORT/mcp} ({@link #endpoint()}; port 0 picks a free one).
     * The server holds no token of its own: every request must carry {@code Authorization: Bearer <agentbox token>}, the
     * initialize request's token is checked with agentboxd, and the session then acts with that token, in the namespace
     * named by the initialize request's {@value McpHttpOptions#NAMESPACE_HEADER} header (else
     * {@link McpHttpOptions#defaultNamespace()}); later requests of the session must carry the same token. Requests whose
     * Host or Origin is not the server's own (or allowed in {@code http}) are refused with 403, which stops DNS
     * rebinding; at most {@link McpHttpOptions#maxSessions()} sessions are open at once, and one idle for
     * {@link McpServerOptions#idleTimeout()} is closed and its sandbox released. Error answers are short JSON-RPC errors,
     * never stack traces.
     *
     * @param agentboxd the agentboxd address each session's client talks to, e.g. {@code https://127.0.0.1:7878}; its
     *        certificate must chain to {@code AGENTBOX_CA_FILE}, else {@code $AGENTBOX_HOME/tls/ca.crt}
     */
    public static AgentboxMcpServer http(URI agentboxd, McpServerOptions options, McpHttpOptions http) {
        return http(agentboxd, null, options, http);
    }

    /**
     * As {@link #http(URI, McpServerOptions, McpHttpOptions)}, trusting the CA certificate in {@code caFile} (agentboxd's
     * {@code STATE_DIR/tls/ca.crt}) for an https address; null: {@code AGENTBOX_CA_FILE}, else {@code $AGENTBOX_HOME/tls/ca.crt}.
     */
    public static AgentboxMcpServer http(URI agentboxd, Path caFile, McpServerOptions options, McpHttpOptions http) {
        return http(options, http, (token, namespace) -> SandboxClient.builder().endpoint(agentboxd).caFile(caFile).token(token).namespace(namespace).build());
    }

    static AgentboxMcpServer http(McpServerOptions options, McpHttpOptions http, BiFunction<String, String, SandboxClient> callerClients) {
        HttpSessions sessions = new HttpSessions(http.maxSessions(), options.idleTimeout(), options.warmPool());
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint(HTTP_PATH)
                .sessionSweepInterval(options.idleTimeout()) // the transport forgets a session about when HttpSessions closes it
                .build();
        McpSyncServer mcp = McpServer.sync(transport)
                .serverInfo(NAME, VERSION)
                .instructions(INSTRUCTIONS)
                .capabilities(ServerCapabilities.builder().tools(false).build())
                .tools(new SandboxTools(sessions::sandboxes, options).specifications())
                .build();
        Server jetty = new Server();
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(config));
        connector.setHost(http.bindAddress());
        connector.setPort(http.port());
        jetty.addConnector(connector);
        jetty.setErrorHandler(new QuietErrorHandler());
        try {
            connector.open(); // the port is known before the guard is built: Host and Origin checks name it
            ServletContextHandler context = new ServletContextHandler();
            context.setContextPath("/");
            context.setErrorHandler(new QuietErrorHandler());
            HttpGuard guard = new HttpGuard(http, connector.getLocalPort(), sessions, options.warmPool(), callerClients, McpJsonDefaults.getMapper());
            context.addFilter(new FilterHolder(guard), "/*", EnumSet.of(DispatcherType.REQUEST));
            ServletHolder holder = new ServletHolder(transport);
            holder.setAsyncSupported(true);
            context.addServlet(holder, HTTP_PATH);
            jetty.setHandler(context);
            jetty.start();
        } catch (Exception e) {
            try {
                jetty.stop();
                connector.close(); // opened above even when the server never started
            } catch (Exception ignored) {
                // nothing more to release
            }
            mcp.close();
            sessions.close();
            throw new IllegalStateException("cannot serve MCP on " + http.bindAddress() + ":" + http.port() + ": " + e.getMessage(), e);
        }
        int actual = connector.getLocalPort();
        String h = http.bindAddress().contains(":") ? "[" + http.bindAddress() + "]" : http.bindAddress();
        URI endpoint = URI.create("http://" + h + ":" + actual + HTTP_PATH);
        if (!isLoopback(http.bindAddress())) {
            log.warn("MCP server listens on {}, not on loopback: other machines can reach it, and their bearer tokens cross the network "
                    + "in clear text (no TLS). Host names other than loopback and the bind address need --allowed-host", http.bindAddress());
        }
        log.info("MCP server on {} (at most {} sessions; sandboxes from warm pool {} in each caller's namespace)",
                endpoint, http.maxSessions(), options.warmPool());
        return new AgentboxMcpServer(null, sessions, mcp, jetty, endpoint);
    }

    private static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The streamable HTTP endpoint, or null for stdio. */
    public URI endpoint() {
        return endpoint;
    }

    /** The sessions' sandboxes of a stdio server (null over HTTP, where each session has its own caller's client). */
    public SandboxSessions sessions() {
        return sessions;
    }

    /** Blocks until the server stops (stdin closed for stdio; {@link #close()}). */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            if (jetty != null) jetty.stop();
        } catch (Exception e) {
            log.warn("stopping the HTTP server failed: {}", e.getMessage());
        }
        try {
            mcp.close();
        } catch (RuntimeException e) {
            log.warn("closing the MCP server failed: {}", e.getMessage());
        }
        if (sessions != null) sessions.close();
        if (httpSessions != null) httpSessions.close();
        terminated.countDown();
    }
}
