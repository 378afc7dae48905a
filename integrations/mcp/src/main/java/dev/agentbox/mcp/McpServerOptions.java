package dev.agentbox.mcp;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the MCP server uses agentbox.
 *
 * @param warmPool       the SandboxWarmPool each session's sandbox is claimed from
 * @param defaultTimeout how long a program may run when the call gives no timeout_seconds
 * @param maxTimeout     the largest timeout_seconds a call may ask for
 * @param idleTimeout    a session's sandbox is released after this long without a tool call
 */
public record McpServerOptions(String warmPool, Duration defaultTimeout, Duration maxTimeout, Duration idleTimeout) {
    public static final String DEFAULT_WARM_POOL = "python-pool";

    public McpServerOptions {
        Objects.requireNonNull(warmPool, "warmPool");
        if (warmPool.isBlank()) throw new IllegalArgumentException("warmPool: required");
        defaultTimeout = defaultTimeout == null ? Duration.ofSeconds(60) : defaultTimeout;
        maxTimeout = maxTimeout == null ? Duration.ofMinutes(10) : maxTimeout;
        idleTimeout = idleTimeout == null ? Duration.ofMinutes(15) : idleTimeout;
        for (var d : new Duration[] {defaultTimeout, maxTimeout, idleTimeout}) {
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("timeouts must be positive, got " + d);
        }
    }

    /** Options for a warm pool, other values at their defaults (60 s per program, 10 min at most, 15 min idle). */
    public static McpServerOptions forPool(String warmPool) {
        return new McpServerOptions(warmPool, null, null, null);
    }

    /** The warm pool from {@code AGENTBOX_WARM_POOL}, else {@value #DEFAULT_WARM_POOL}. */
    public static McpServerOptions fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static McpServerOptions fromEnvironment(Map<String, String> env) {
        String pool = env.get("AGENTBOX_WARM_POOL");
        return forPool(pool == null || pool.isBlank() ? DEFAULT_WARM_POOL : pool.trim());
    }
}
