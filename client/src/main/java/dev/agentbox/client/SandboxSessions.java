package dev.agentbox.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sandbox per agent session (an ADK session, an MCP session, a chat): claimed from the warm pool on the session's first tool call, kept for the
 * session's later calls (files and installed packages persist), released when the session has been idle
 * for {@code idleTimeout} or when this object is closed.
 */
public final class SandboxSessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SandboxSessions.class);

    private final SandboxClient client;
    private final String warmPool;
    private final Duration idleTimeout;
    private final Clock clock;
    private final Map<String, Entry> sessions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reaper;
    private volatile boolean closed;

    private static final class Entry {
        Sandbox sandbox;
        Instant lastUsed;
        int active;
        boolean removed;
    }

    public SandboxSessions(SandboxClient client, String warmPool, Duration idleTimeout) {
        this.client = Objects.requireNonNull(client, "client");
        this.warmPool = Objects.requireNonNull(warmPool, "warmPool");
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        this.clock = Clock.systemUTC();
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("agentbox-session-reaper").factory());
        long period = Math.max(1, Math.min(idleTimeout.toSeconds() / 4, 30));
        reaper.scheduleWithFixedDelay(this::releaseIdle, period, period, TimeUnit.SECONDS);
    }

    public String warmPool() {
        return warmPool;
    }

    public SandboxClient client() {
        return client;
    }

    /** Runs {@code work} with the session's sandbox, claiming one first when the session has none. */
    public <T> T with(String sessionId, Function<Sandbox, T> work) {
        if (closed) throw new IllegalStateException("these sandbox sessions are closed");
        Entry e;
        while (true) {
            e = sessions.computeIfAbsent(sessionId, k -> new Entry());
            synchronized (e) {
                if (!e.removed) break;
            }
        }
        synchronized (e) {
            if (e.sandbox == null) {
                e.sandbox = client.createSandbox(warmPool, CreateOptions.defaults());
                log.info("session {}: claimed sandbox {}/{} from warm pool {}", sessionId, e.sandbox.namespace(), e.sandbox.name(), warmPool);
            }
            e.active++;
            e.lastUsed = clock.instant();
        }
        try {
            return work.apply(e.sandbox);
        } finally {
            synchronized (e) {
                e.active--;
                e.lastUsed = clock.instant();
            }
        }
    }

    /** Replaces the session's sandbox (for example with one restored from a snapshot); the old one is released. */
    public void replace(String sessionId, Sandbox sandbox) {
        Entry e = sessions.computeIfAbsent(sessionId, k -> new Entry());
        Sandbox old;
        synchronized (e) {
            old = e.sandbox;
            e.sandbox = sandbox;
            e.lastUsed = clock.instant();
        }
        if (old != null) closeQuietly(sessionId, old);
    }

    /** Releases the session's sandbox now (no-op when it has none). */
    public void release(String sessionId) {
        Entry e = sessions.remove(sessionId);
        if (e == null) return;
        Sandbox s;
        synchronized (e) {
            e.removed = true;
            s = e.sandbox;
            e.sandbox = null;
        }
        if (s != null) closeQuietly(sessionId, s);
    }

    /** The sessions that hold a sandbox now. */
    public List<String> activeSessions() {
        return sessions.entrySet().stream().filter(en -> en.getValue().sandbox != null).map(Map.Entry::getKey).toList();
    }

    void releaseIdle() {
        Instant now = clock.instant();
        for (var en : sessions.entrySet()) {
            Entry e = en.getValue();
            Sandbox s = null;
            synchronized (e) {
                boolean idle = e.active == 0 && e.lastUsed != null && Duration.between(e.lastUsed, now).compareTo(idleTimeout) >= 0;
                if (idle && !e.removed) {
                    e.removed = true;
                    sessions.remove(en.getKey(), e);
                    s = e.sandbox;
                    e.sandbox = null;
                }
            }
            if (s != null) {
                log.info("session {}: idle for {}s, releasing its sandbox", en.getKey(), idleTimeout.toSeconds());
                closeQuietly(en.getKey(), s);
            }
        }
    }

    private static void closeQuietly(String sessionId, Sandbox s) {
        try {
            s.close();
            log.info("session {}: released sandbox {}/{}", sessionId, s.namespace(), s.name());
        } catch (RuntimeException ex) {
            log.warn("session {}: releasing sandbox {}/{} failed: {}", sessionId, s.namespace(), s.name(), ex.getMessage());
        }
    }

    /** Releases every session's sandbox. */
    @Override
    public void close() {
        closed = true;
        reaper.shutdownNow();
        for (String id : List.copyOf(sessions.keySet())) release(id);
    }
}
