package dev.agentbox.mcp;

import dev.agentbox.client.SandboxSessions;
import dev.agentbox.client.SandboxClient;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MCP server whose tools run code in agentbox sandboxes, over stdio or streamable HTTP.
 *
 * <pre>{@code
 * try (SandboxClient client = SandboxClient.fromEnvironment();
 *      AgentboxMcpServer server = AgentboxMcpServer.http(client, McpServerOptions.forPool("python-pool"), "127.0.0.1", 8765)) {
 *     server.awaitTermination();
 * }
 * }</pre>
 *
 * Closing the server releases every session's sandbox; the SandboxClient stays open (it is the caller's).
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

    private final SandboxSessions sessions;
    private final McpSyncServer mcp;
    private final Server jetty;
    private final URI endpoint;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean closed;

    private AgentboxMcpServer(SandboxSessions sessions, McpSyncServer mcp, Server jetty, URI endpoint) {
        this.sessions = sessions;
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
        self[0] = new AgentboxMcpServer(sessions, mcp, null, null);
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
     * Serves MCP over streamable HTTP at {@code http://host:port/mcp}. Port 0 picks a free port ({@link #endpoint()}).
     * There is no authentication on this endpoint: bind it to a loopback address unless something in front checks callers.
     */
    public static AgentboxMcpServer http(SandboxClient client, McpServerOptions options, String host, int port) {
        SandboxSessions sessions = new SandboxSessions(client, options.warmPool(), options.idleTimeout());
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(McpJsonDefaults.getMapper())
                .mcpEndpoint(HTTP_PATH)
                .build();
        McpSyncServer mcp = McpServer.sync(transport)
                .serverInfo(NAME, VERSION)
                .instructions(INSTRUCTIONS)
                .capabilities(ServerCapabilities.builder().tools(false).build())
                .tools(new SandboxTools(sessions, options).specifications())
                .build();
        Server jetty = new Server(new InetSocketAddress(host, port));
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder holder = new ServletHolder(transport);
        holder.setAsyncSupported(true);
        context.addServlet(holder, HTTP_PATH);
        jetty.setHandler(context);
        try {
            jetty.start();
        } catch (Exception e) {
            mcp.close();
            sessions.close();
            throw new IllegalStateException("cannot serve MCP on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        int actual = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
        String h = host.contains(":") ? "[" + host + "]" : host;
        URI endpoint = URI.create("http://" + h + ":" + actual + HTTP_PATH);
        log.info("MCP server on {}, sandboxes from warm pool {}", endpoint, options.warmPool());
        return new AgentboxMcpServer(sessions, mcp, jetty, endpoint);
    }

    /** The streamable HTTP endpoint, or null for stdio. */
    public URI endpoint() {
        return endpoint;
    }

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
        sessions.close();
        terminated.countDown();
    }
}
