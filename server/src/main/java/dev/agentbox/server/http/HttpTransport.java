package dev.agentbox.server.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http.spi.JettyHttpServer;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * agentboxd's HTTP transport: one Jetty 12 server. The API's {@code HttpExchange} handlers run on it unchanged through
 * Jetty's implementation of the JDK's {@code com.sun.net.httpserver} SPI ({@link #http()}: contexts are created on it
 * as on {@code HttpServer.create}); the routes that need the raw connection (the sandbox proxy with WebSocket upgrades,
 * port-forward, the router listener: see {@link PortsHandler}) are Jetty handlers that see each request first.
 * <p>
 * Threads: Jetty's selectors and acceptors are a few platform threads; every request is handled on a virtual thread
 * (Jetty runs blocking handlers on the pool's virtual-threads executor), as the JDK server did with a
 * virtual-thread-per-task executor.
 * <p>
 * TLS: give an {@link SSLContext} (for example the one agentboxd builds from its CA in STATE_DIR/tls) and the API
 * listener speaks HTTPS; the {@code HttpExchange}s then are {@code HttpsExchange}s. (jetty-http-spi's own
 * {@code JettyHttpServer.setHttpsConfigurator} works as well, see HttpTransportTest; this class builds the connector
 * itself to set its backlog, timeouts and URI rules.)
 */
public final class HttpTransport implements AutoCloseable {
    /**
     * A connection with no request in progress and no byte moving is closed after this; so is a request whose body or
     * answer does not move for that long. Long streams (watches, streamed execs, followed logs) are not cut while they
     * wait for their next event: with {@link WaitingIsNotIdle} Jetty's idle timeout only fails a read or write that is
     * pending (HttpTransportTest); watches also write a keep-alive line.
     */
    static final Duration IDLE_TIMEOUT = Duration.ofMinutes(5);

    private final Server jetty;
    private final ServerConnector api;
    private final ServerConnector router;
    private final JettyHttpServer http;

    /**
     * @param address the API's address (port 0: a free one)
     * @param backlog the listen backlog
     * @param tls the API's TLS context, or null for plain HTTP
     * @param routes sees every request first (on both listeners) and answers those it takes (returns true); the
     *        others go to the {@code HttpExchange} contexts of {@link #http()}
     * @param routerAddress the router listener's address, or null for none; it must be a loopback address
     */
    public HttpTransport(InetSocketAddress address, int backlog, SSLContext tls, Handler routes, InetSocketAddress routerAddress)
            throws IOException {
        this(address, backlog, tls, routes, routerAddress, IDLE_TIMEOUT);
    }

    HttpTransport(InetSocketAddress address, int backlog, SSLContext tls, Handler routes, InetSocketAddress routerAddress,
                  Duration idleTimeout) throws IOException {
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("agentboxd-http");
        pool.setDaemon(true);
        pool.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("agentboxd-http-"));
        jetty = new Server(pool);
        jetty.setStopTimeout(0); // stop cuts open streams at once, as the JDK server's stop(0) did (a graceful wait would throw on every open watch)
        ContextHandlerCollection contexts = new ContextHandlerCollection();
        List<Handler> handlers = new ArrayList<>();
        handlers.add(new WaitingIsNotIdle());
        if (routes != null) handlers.add(routes);
        handlers.add(contexts);
        jetty.setHandler(new Handler.Sequence(handlers));
        jetty.setErrorHandler(new StatusErrors());
        // the WebSocket endpoint of port-forward (PortForwardSocket); its sessions set their own idle timeout
        ServerWebSocketContainer ws = ServerWebSocketContainer.ensure(jetty);
        ws.setMaxTextMessageSize(1024); // text messages are control words ("shutdown")

        api = connector(address, backlog, tls, idleTimeout);
        api.setName(API_CONNECTOR);
        jetty.addConnector(api);
        if (routerAddress != null) {
            if (!routerAddress.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("the router listener must be on a loopback address, not " + routerAddress.getAddress().getHostAddress()
                        + ": it reaches the servers inside sandboxes; use 127.0.0.1:PORT");
            }
            router = connector(routerAddress, backlog, null, idleTimeout);
            router.setName(ROUTER_CONNECTOR);
            jetty.addConnector(router);
        } else {
            router = null;
        }
        // bound now, before anything else starts: a port in use fails here, with nothing to clean up
        try {
            api.open();
            if (router != null) router.open();
        } catch (IOException e) {
            api.close();
            if (router != null) router.close();
            throw e;
        }
        // the JDK HttpServer API over this Jetty server: its bind() finds the API connector and adds none
        http = new JettyHttpServer(jetty, false);
        http.bind(address, backlog);
    }

    /**
     * Jetty fails a request whose connection is idle for the idle timeout even when no read or write is pending (the
     * JDK server did not): a watch or a streamed exec waiting for its next event would be cut. This keeps the idle
     * timeout for pending I/O only (a client that stops reading or sending is still cut): Jetty asks these listeners
     * only when nothing is pending.
     */
    private static final class WaitingIsNotIdle extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response, org.eclipse.jetty.util.Callback callback) {
            request.addIdleTimeoutListener(timeout -> false);
            return false;
        }
    }

    /**
     * Jetty's own answers to requests it cannot parse (a bad request line, a header too large, ...): a Kubernetes Status
     * in JSON instead of Jetty's HTML page, and a 400 for a request line with a malformed version (Jetty says 505 "HTTP/0.9
     * not supported" / "Unknown Version"; the JDK server said 400): a malformed request is the client's fault.
     */
    private static final class StatusErrors extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response, org.eclipse.jetty.util.Callback callback) {
            int status = response.getStatus();
            if (request.getAttribute(ERROR_STATUS) instanceof Integer s) status = s;
            if (status == 505) status = 400;
            String message = request.getAttribute(ERROR_MESSAGE) instanceof String m ? m : org.eclipse.jetty.http.HttpStatus.getMessage(status);
            String reason = switch (status) {
                case 400 -> "BadRequest";
                case 413 -> "RequestEntityTooLarge";
                case 414 -> "RequestURITooLong";
                case 431 -> "RequestHeaderFieldsTooLarge";
                default -> status >= 500 ? "InternalError" : "BadRequest";
            };
            String json = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\""
                    + ("malformed HTTP request: " + message).replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\x00-\\x1f]", " ")
                    + "\",\"reason\":\"" + reason + "\",\"code\":" + status + "}";
            byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            response.setStatus(status);
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, java.nio.ByteBuffer.wrap(body), callback);
            return true;
        }
    }

    /** The name of the API listener's connector. */
    static final String API_CONNECTOR = "api";
    /** The name of the router listener's connector ({@code agentbox serve --router-listen}). */
    static final String ROUTER_CONNECTOR = "router";

    private ServerConnector connector(InetSocketAddress address, int backlog, SSLContext tls, Duration idleTimeout) {
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        config.setRequestHeaderSize(64 * 1024);
        // Jetty's per-connection header cache matched values case-insensitively: after "Authorization: Bearer abx_..."
        // with a valid token, the same line in upper case on that connection came out as the cached valid one
        // (ApiFuzzTest seed 8 found it). No cache: every header is what the client sent.
        config.setHeaderCacheSize(0);
        config.setHeaderCacheCaseSensitive(true);
        // Paths are passed on as they came (the proxied part of a proxy path goes to the server inside unchanged, as
        // upstream's router does; the upstream Python client sends file paths as one %2F-encoded segment). Every route
        // of agentboxd parses the raw path and checks the namespace and name segments itself.
        config.setUriCompliance(UriCompliance.UNSAFE);
        ConnectionFactory http11 = new HttpConnectionFactory(config);
        ServerConnector c;
        if (tls != null) {
            config.addCustomizer(new SecureRequestCustomizer(false));
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setSslContext(tls);
            c = new ServerConnector(jetty, 1, -1, new SslConnectionFactory(ssl, http11.getProtocol()), http11);
        } else {
            c = new ServerConnector(jetty, 1, -1, http11);
        }
        c.setHost(address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress());
        c.setPort(address.getPort());
        c.setAcceptQueueSize(backlog);
        c.setIdleTimeout(idleTimeout.toMillis());
        c.setAcceptedTcpNoDelay(true); // watch events are small writes: no Nagle delay (see ApiServer)
        c.setReuseAddress(true);
        return c;
    }

    /** The JDK {@code HttpServer} API over this transport: create contexts on it. */
    public HttpServer http() {
        return http;
    }

    public Server jetty() {
        return jetty;
    }

    public void start() {
        http.start();
    }

    /** The API's port (the one bound when the address said 0). */
    public int port() {
        return api.getLocalPort();
    }

    /** The router listener's port, or -1 when there is none. */
    public int routerPort() {
        return router == null ? -1 : router.getLocalPort();
    }

    @Override
    public void close() {
        try {
            http.stop(0);
        } finally {
            api.close();
            if (router != null) router.close();
        }
    }
}
