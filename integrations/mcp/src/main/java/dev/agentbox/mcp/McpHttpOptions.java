package dev.agentbox.mcp;

import java.util.List;
import java.util.Locale;

/**
 * How the MCP server serves streamable HTTP, and whom it lets in. Every request must carry
 * {@code Authorization: Bearer <agentbox token>}; each session acts with its caller's token (see {@link AgentboxMcpServer}).
 *
 * @param bindAddress      the address to listen on. Loopback ({@value #LOOPBACK}) unless the server must be reachable from
 *                         other machines: then a warning is logged (tokens travel in clear text, there is no TLS)
 * @param port             the port; 0 picks a free one
 * @param allowedHosts     Host header values accepted besides {@code 127.0.0.1}, {@code localhost} and {@code [::1]} with the
 *                         server's port (and the bind address, when it is not a wildcard): {@code NAME} (any port) or
 *                         {@code NAME:PORT}. Any other Host is refused with 403, which is what stops DNS rebinding
 * @param allowedOrigins   Origin header values accepted besides the server's own {@code http://127.0.0.1:PORT},
 *                         {@code http://localhost:PORT} and {@code http://[::1]:PORT}, e.g. {@code http://localhost:6274}.
 *                         A request with any other Origin (including {@code null}) is refused with 403; one without Origin
 *                         (not from a browser) is not
 * @param maxSessions      how many MCP sessions may be open at once; one more initialize gets 503
 * @param defaultNamespace the namespace a session works in when its initialize request has no {@value #NAMESPACE_HEADER} header
 */
public record McpHttpOptions(String bindAddress, int port, List<String> allowedHosts, List<String> allowedOrigins,
                             int maxSessions, String defaultNamespace) {
    public static final String LOOPBACK = "127.0.0.1";
    public static final int DEFAULT_MAX_SESSIONS = 16;
    /** The request header that names a session's namespace (read on initialize only). */
    public static final String NAMESPACE_HEADER = "Agentbox-Namespace";

    static final String NAME_PATTERN = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

    public McpHttpOptions {
        bindAddress = bindAddress == null || bindAddress.isBlank() ? LOOPBACK : bindAddress.trim();
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port: must be 0..65535, got " + port);
        allowedHosts = normalized(allowedHosts, "allowedHosts");
        allowedOrigins = normalized(allowedOrigins, "allowedOrigins").stream()
                .map(o -> o.endsWith("/") ? o.substring(0, o.length() - 1) : o).toList();
        if (maxSessions < 1) throw new IllegalArgumentException("maxSessions: must be at least 1, got " + maxSessions);
        defaultNamespace = defaultNamespace == null || defaultNamespace.isBlank() ? "default" : defaultNamespace.trim();
        if (!defaultNamespace.matches(NAME_PATTERN)) {
            throw new IllegalArgumentException("defaultNamespace: \"" + defaultNamespace + "\" is not a namespace name");
        }
    }

    /** Loopback only, the given port, at most {@value #DEFAULT_MAX_SESSIONS} sessions, namespace default. */
    public static McpHttpOptions loopback(int port) {
        return new McpHttpOptions(LOOPBACK, port, List.of(), List.of(), DEFAULT_MAX_SESSIONS, null);
    }

    public McpHttpOptions withMaxSessions(int max) {
        return new McpHttpOptions(bindAddress, port, allowedHosts, allowedOrigins, max, defaultNamespace);
    }

    private static List<String> normalized(List<String> values, String what) {
        if (values == null) return List.of();
        for (String v : values) {
            if (v == null || v.isBlank() || v.contains(",") || v.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException(what + ": \"" + v + "\" is not a single host or origin");
            }
        }
        return values.stream().map(v -> v.toLowerCase(Locale.ROOT)).toList();
    }
}
