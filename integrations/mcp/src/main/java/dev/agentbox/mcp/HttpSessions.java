package dev.agentbox.mcp;

import dev.agentbox.client.SandboxClient;
import dev.agentbox.client.SandboxSessions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP sessions of the HTTP transport. Each belongs to the token that opened it and works in one namespace, with a
 * SandboxClient that acts with that token (never the server's own). At most {@code max} are open at once; one left
 * idle for {@code idleTimeout} is dropped and its sandbox released.
 */
final class HttpSessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpSessions.class);

    private final int max;
    private final Duration idleTimeout;
    private final String warmPool;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reaper;
    private int reserved; // initialize requests under way; guarded by this

    static final class Session {
        final String id;
        final String namespace;
        final SandboxClient client;
        final SandboxSessions sandboxes;
        private final byte[] tokenHash;
        private int active; // requests in progress; guarded by this
        private Instant lastUsed;
        private boolean closed;

        private Session(String id, String token, String namespace, SandboxClient client, SandboxSessions sandboxes) {
            this.id = id;
            this.tokenHash = sha256(token);
            this.namespace = namespace;
            this.client = client;
            this.sandboxes = sandboxes;
            this.lastUsed = Instant.now();
        }

        /** Whether {@code token} is the one that opened this session. */
        boolean openedWith(String token) {
            return MessageDigest.isEqual(tokenHash, sha256(token));
        }

        /** Marks a request in progress; false when the session has just been closed. */
        synchronized boolean begin() {
            if (closed) return false;
            active++;
            lastUsed = Instant.now();
            return true;
        }

        synchronized void end() {
            active--;
            lastUsed = Instant.now();
        }

        /** Closes the session if it has had no request since {@code cutoff}; true if it did. */
        synchronized boolean closeIfIdleSince(Instant cutoff) {
            if (closed || active > 0 || !lastUsed.isBefore(cutoff)) return false;
            closed = true;
            return true;
        }

        synchronized void markClosed() {
            closed = true;
        }

        void release() {
            try {
                sandboxes.close();
            } finally {
                client.close();
            }
        }
    }

    HttpSessions(int max, Duration idleTimeout, String warmPool) {
        this.max = max;
        this.idleTimeout = idleTimeout;
        this.warmPool = warmPool;
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("agentbox-mcp-session-reaper").factory());
        long period = Math.max(1, Math.min(idleTimeout.toSeconds() / 4, 30));
        reaper.scheduleWithFixedDelay(this::dropIdle, period, period, TimeUnit.SECONDS);
    }

    int max() {
        return max;
    }

    Duration idleTimeout() {
        return idleTimeout;
    }

    /** Holds a place for a session about to be opened; false when {@code max} are open or being opened. */
    synchronized boolean reserve() {
        if (sessions.size() + reserved >= max) return false;
        reserved++;
        return true;
    }

    /** Gives back a place {@link #reserve()} held, when no session came of it. */
    synchronized void unreserve() {
        reserved--;
    }

    /** Turns a reserved place into the session the MCP transport just created. */
    synchronized Session open(String id, String token, String namespace, SandboxClient client) {
        reserved--;
        Session s = new Session(id, token, namespace, client, new SandboxSessions(client, warmPool, idleTimeout));
        sessions.put(id, s);
        log.info("MCP session {} opened in namespace {} ({} of {} open)", id, namespace, sessions.size(), max);
        return s;
    }

    /** The open session with this id, or null (never opened, closed or expired). */
    Session get(String id) {
        return sessions.get(id);
    }

    /** The sandboxes of an open session, for the tools. */
    SandboxSessions sandboxes(String id) {
        Session s = id == null ? null : sessions.get(id);
        if (s == null) throw new IllegalStateException("this MCP session is closed or expired; start a new session");
        return s.sandboxes;
    }

    void close(String id) {
        Session s = sessions.remove(id);
        if (s == null) return;
        s.markClosed();
        log.info("MCP session {} closed", id);
        s.release();
    }

    void dropIdle() {
        Instant cutoff = Instant.now().minus(idleTimeout);
        for (Session s : List.copyOf(sessions.values())) {
            if (s.closeIfIdleSince(cutoff) && sessions.remove(s.id, s)) {
                log.info("MCP session {} idle for {}s: closed, its sandbox released", s.id, idleTimeout.toSeconds());
                s.release();
            }
        }
    }

    @Override
    public void close() {
        reaper.shutdownNow();
        for (String id : List.copyOf(sessions.keySet())) close(id);
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
