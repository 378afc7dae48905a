package dev.agentbox.mcp;

import dev.agentbox.api.ForbiddenException;
import dev.agentbox.api.UnauthorizedException;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.SandboxClient;
import io.modelcontextprotocol.json.McpJsonMapper;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in front of the MCP transport on every request: the Host and Origin must be the server's own (or explicitly
 * allowed), the path must be {@value AgentboxMcpServer#HTTP_PATH}, a bearer token is required, a session is used only
 * with the token that opened it, and the number of sessions is capped. It also rewrites every error answer to a short
 * JSON-RPC error: the transport serialises its McpError exceptions, stack trace included, into error bodies.
 */
final class HttpGuard implements Filter {
    private static final Logger log = LoggerFactory.getLogger(HttpGuard.class);
    static final String SESSION_HEADER = "Mcp-Session-Id";
    private static final int MAX_MESSAGE = 200;

    private final int port;
    private final Set<String> hostsWithPort = new HashSet<>();
    private final Set<String> hostsAnyPort = new HashSet<>();
    private final Set<String> origins = new HashSet<>();
    private final HttpSessions sessions;
    private final String warmPool;
    private final String defaultNamespace;
    private final BiFunction<String, String, SandboxClient> callerClients;
    private final McpJsonMapper json;

    /**
     * @param port          the port the server listens on (Host and the default Origins must name it)
     * @param callerClients builds the client a session acts with, from the caller's token and the session's namespace
     */
    HttpGuard(McpHttpOptions options, int port, HttpSessions sessions, String warmPool,
              BiFunction<String, String, SandboxClient> callerClients, McpJsonMapper json) {
        this.port = port;
        this.sessions = sessions;
        this.warmPool = warmPool;
        this.defaultNamespace = options.defaultNamespace();
        this.callerClients = callerClients;
        this.json = json;
        for (String loopback : new String[] {"127.0.0.1", "localhost", "[::1]"}) {
            hostsWithPort.add(loopback + ":" + port);
            origins.add("http://" + loopback + ":" + port);
        }
        String bind = options.bindAddress().toLowerCase(Locale.ROOT);
        if (!bind.equals("0.0.0.0") && !bind.equals("::") && !bind.equals("[::]")) {
            hostsWithPort.add((bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind) + ":" + port);
        }
        for (String h : options.allowedHosts()) {
            if (hasPort(h)) hostsWithPort.add(h);
            else hostsAnyPort.add(h);
        }
        origins.addAll(options.allowedOrigins());
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        try {
            guard(request, response, chain);
        } catch (IOException | ServletException | RuntimeException e) {
            log.warn("MCP request {} {} failed", request.getMethod(), request.getRequestURI(), e);
            if (!response.isCommitted()) refuse(response, 500, "internal error; see the MCP server's log");
        }
    }

    private void guard(HttpServletRequest request, HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        // DNS rebinding: a page on evil.example that resolves its name to 127.0.0.1 still sends Host: evil.example
        if (!hostAllowed(request.getHeader("Host"))) {
            refuse(response, 403, "Host " + quoted(request.getHeader("Host")) + " is not this server's; it answers as 127.0.0.1:" + port
                    + " or localhost:" + port + " (add a name with --allowed-host)");
            return;
        }
        String origin = request.getHeader("Origin");
        if (origin != null && !origins.contains(origin.toLowerCase(Locale.ROOT))) {
            refuse(response, 403, "Origin " + quoted(origin) + " is not allowed (add it with --allowed-origin)");
            return;
        }
        if (!AgentboxMcpServer.HTTP_PATH.equals(request.getRequestURI())) {
            refuse(response, 404, "nothing here; the MCP endpoint is " + AgentboxMcpServer.HTTP_PATH);
            return;
        }
        String token = bearerToken(request.getHeader("Authorization"));
        if (token == null) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"agentbox\"");
            refuse(response, 401, "send 'Authorization: Bearer <agentbox token>' (the admin token or one made with POST /api/v1/tokens)");
            return;
        }
        String sessionId = request.getHeader(SESSION_HEADER);
        if (sessionId == null || sessionId.isBlank()) {
            if ("POST".equals(request.getMethod())) {
                openSession(request, response, chain, token);
            } else {
                passOn(request, response, chain, null); // the transport answers 400: a session id is required
            }
            return;
        }
        HttpSessions.Session session = sessions.get(sessionId);
        if (session != null && !session.openedWith(token)) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"agentbox\", error=\"invalid_token\"");
            refuse(response, 401, "this token did not open session " + quoted(sessionId) + "; a session is used with the token that opened it");
            return;
        }
        String namespace = request.getHeader(McpHttpOptions.NAMESPACE_HEADER);
        if (session != null && namespace != null && !namespace.equals(session.namespace)) {
            refuse(response, 400, "session " + sessionId + " works in namespace " + session.namespace + "; start a new session for namespace "
                    + quoted(namespace));
            return;
        }
        if (session == null || !session.begin()) {
            refuse(response, 404, "no open session " + quoted(sessionId) + " (closed, or idle for more than "
                    + sessions.idleTimeout().toSeconds() + " s); initialize a new session");
            return;
        }
        int status;
        try {
            status = passOn(request, response, chain, null);
        } finally {
            session.end();
        }
        if ("DELETE".equals(request.getMethod()) && status < 400) sessions.close(sessionId);
    }

    /** An initialize request: checks the token with agentboxd in the session's namespace before the transport sees it. */
    private void openSession(HttpServletRequest request, HttpServletResponse response, FilterChain chain, String token)
            throws IOException, ServletException {
        String header = request.getHeader(McpHttpOptions.NAMESPACE_HEADER);
        String namespace = header == null || header.isBlank() ? defaultNamespace : header.trim();
        if (!namespace.matches(McpHttpOptions.NAME_PATTERN)) {
            refuse(response, 400, McpHttpOptions.NAMESPACE_HEADER + ": " + quoted(namespace) + " is not a namespace name");
            return;
        }
        if (!sessions.reserve()) {
            response.setHeader("Retry-After", "60");
            refuse(response, 503, "too many MCP sessions: " + sessions.max() + " are open, the most this server allows (--max-sessions); "
                    + "close one (DELETE " + AgentboxMcpServer.HTTP_PATH + " with its Mcp-Session-Id) or wait until one is idle for "
                    + sessions.idleTimeout().toSeconds() + " s");
            return;
        }
        SandboxClient client = null;
        boolean opened = false;
        try {
            client = callerClients.apply(token, namespace);
            try {
                // found or not, an answer means agentboxd knows the token and lets it use the namespace
                client.resources().find(ResourceType.SANDBOX_WARM_POOL, warmPool);
            } catch (UnauthorizedException e) {
                response.setHeader("WWW-Authenticate", "Bearer realm=\"agentbox\", error=\"invalid_token\"");
                refuse(response, 401, "agentboxd does not know this token");
                return;
            } catch (ForbiddenException e) {
                refuse(response, 403, "this token may not use namespace " + namespace + "; name one of its namespaces in the "
                        + McpHttpOptions.NAMESPACE_HEADER + " header of the initialize request");
                return;
            } catch (RuntimeException e) {
                log.warn("checking a token with agentboxd failed: {}", e.toString());
                refuse(response, 502, "cannot check the token with agentboxd; see the MCP server's log");
                return;
            }
            SandboxClient c = client;
            boolean[] registered = new boolean[1];
            // registered when the transport names the session, before the answer goes out: the client may use it at once
            passOn(request, response, chain, id -> {
                sessions.open(id, token, namespace, c);
                registered[0] = true;
            });
            opened = registered[0];
        } finally {
            if (!opened) {
                sessions.unreserve();
                if (client != null) client.close();
            }
        }
    }

    /** Lets the transport answer, with its error answers replaced by short ones; returns the status it chose. */
    private int passOn(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
                       Consumer<String> onSessionId) throws IOException, ServletException {
        ErrorCatchingResponse wrapped = new ErrorCatchingResponse(response, onSessionId);
        chain.doFilter(request, wrapped);
        if (wrapped.errorStatus == 0) return response.getStatus();
        if (!response.isCommitted()) {
            response.reset();
            refuse(response, wrapped.errorStatus, wrapped.message(json));
        }
        return wrapped.errorStatus;
    }

    private boolean hostAllowed(String host) {
        if (host == null || host.isBlank()) return false;
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (hostsWithPort.contains(h) || (port == 80 && hostsWithPort.contains(h + ":80"))) return true;
        String name = hasPort(h) ? h.substring(0, h.lastIndexOf(':')) : h;
        return hostsAnyPort.contains(name);
    }

    private static boolean hasPort(String host) {
        int colon = host.lastIndexOf(':');
        return colon > 0 && colon > host.lastIndexOf(']') && (host.startsWith("[") || host.indexOf(':') == colon)
                && host.substring(colon + 1).matches("[0-9]{1,5}");
    }

    private static String bearerToken(String authorization) {
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private static String quoted(String s) {
        if (s == null) return "(none)";
        String clean = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return "\"" + clean.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
    }

    /** Answers with a JSON-RPC error object and nothing else. */
    void refuse(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getOutputStream().write(errorBody(json, message));
    }

    static byte[] errorBody(McpJsonMapper json, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", -32000);
        error.put("message", message);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jsonrpc", "2.0");
        body.put("id", null);
        body.put("error", error);
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            return "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"error\"}}".getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * Keeps the transport's error answers from the client: the status and message are kept, the body (an McpError
     * serialised with its stack trace, or Jetty's error page) is swallowed and {@link #passOn} writes a short one.
     */
    private static final class ErrorCatchingResponse extends HttpServletResponseWrapper {
        private final Consumer<String> onSessionId;
        int errorStatus;
        String errorMessage;
        private final ByteArrayOutputStream swallowed = new ByteArrayOutputStream();

        ErrorCatchingResponse(HttpServletResponse response, Consumer<String> onSessionId) {
            super(response);
            this.onSessionId = onSessionId;
        }

        @Override
        public void setStatus(int sc) {
            if (sc >= 400) errorStatus = sc;
            else super.setStatus(sc);
        }

        @Override
        public void sendError(int sc, String msg) {
            errorStatus = sc;
            errorMessage = msg;
        }

        @Override
        public void sendError(int sc) {
            errorStatus = sc;
        }

        @Override
        public void setHeader(String name, String value) {
            super.setHeader(name, value);
            if (onSessionId != null && SESSION_HEADER.equalsIgnoreCase(name) && value != null) onSessionId.accept(value);
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            if (errorStatus == 0) return super.getOutputStream();
            return new ServletOutputStream() {
                @Override
                public void write(int b) {
                    if (swallowed.size() < 65536) swallowed.write(b);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    throw new UnsupportedOperationException();
                }
            };
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            if (errorStatus == 0) return super.getWriter();
            return new PrintWriter(new OutputStreamWriter(getOutputStream(), StandardCharsets.UTF_8), true);
        }

        /** The transport's own message (from sendError, or the "message" of the McpError it wrote), cut short; else the reason. */
        String message(McpJsonMapper json) {
            String m = errorMessage;
            if (m == null && swallowed.size() > 0) {
                try {
                    if (json.readValue(swallowed.toByteArray(), Map.class).get("message") instanceof String s) m = s;
                } catch (IOException | RuntimeException notJson) {
                    // no message to keep
                }
            }
            if (m == null || m.isBlank()) m = reason(errorStatus);
            m = m.lines().findFirst().orElse("").strip();
            return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "..." : m;
        }
    }

    static String reason(int status) {
        return switch (status) {
            case 400 -> "bad request: a malformed HTTP request, or not an MCP (JSON-RPC) message";
            case 404 -> "not found: no such path, or no such session (initialize a new session)";
            case 405 -> "method not allowed; use POST, GET or DELETE on " + AgentboxMcpServer.HTTP_PATH;
            case 413 -> "request body too large";
            case 415 -> "Content-Type must be application/json";
            case 503 -> "the MCP server is shutting down";
            default -> status >= 500 ? "internal error; see the MCP server's log" : "request refused (HTTP " + status + ")";
        };
    }
}
