package dev.agentbox.server.contexts;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.LimitExceededException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.server.controller.ObjectKey;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The code contexts of every running sandbox, in memory: they end with their sandbox (stopped, suspended, deleted or
 * restarted) and with agentboxd. At most {@link #MAX_PER_SANDBOX} per sandbox.
 */
public final class CodeContexts implements AutoCloseable {
    public static final int MAX_PER_SANDBOX = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ObjectMapper mapper;
    private final Map<ObjectKey, Group> groups = new ConcurrentHashMap<>();

    public CodeContexts(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The contexts of one sandbox instance (a sandbox started again under the same name gets a new group). */
    private static final class Group {
        final RunningSandbox sandbox;
        final Map<String, CodeContext> contexts = new LinkedHashMap<>(); // guarded by this
        int starting; // guarded by this: slots taken by contexts whose kernel is starting
        boolean closed; // guarded by this

        Group(RunningSandbox sandbox) {
            this.sandbox = sandbox;
        }

        void close() {
            List<CodeContext> all;
            synchronized (this) {
                closed = true;
                all = List.copyOf(contexts.values());
                contexts.clear();
            }
            all.forEach(CodeContext::close);
        }
    }

    private Group group(ObjectKey key, RunningSandbox sandbox) {
        Group[] replaced = new Group[1];
        boolean[] created = new boolean[1];
        Group g = groups.compute(key, (k, old) -> {
            if (old != null && old.sandbox == sandbox) return old;
            replaced[0] = old;
            created[0] = true;
            return new Group(sandbox);
        });
        if (replaced[0] != null) replaced[0].close();
        if (created[0]) sandbox.whenGone(() -> {
            if (groups.remove(key, g)) g.close();
        });
        return g;
    }

    public CodeContext create(ObjectKey key, RunningSandbox sandbox, Language language) throws RuntimeFailure {
        Group g = group(key, sandbox);
        synchronized (g) {
            if (g.contexts.size() + g.starting >= MAX_PER_SANDBOX) {
                throw new LimitExceededException("sandbox " + key.namespace() + "/" + key.name() + " has " + MAX_PER_SANDBOX
                        + " code contexts, the most it may have; delete one (DELETE .../contexts/{id}) or reuse one");
            }
            g.starting++;
        }
        CodeContext c = null;
        try {
            c = new CodeContext("ctx-" + HexFormat.of().formatHex(bytes(8)), language, sandbox, mapper);
            synchronized (g) {
                if (!g.closed) {
                    g.contexts.put(c.id(), c);
                    return c;
                }
            }
            c.close();
            throw new NotFoundException("sandbox " + key.namespace() + "/" + key.name() + " stopped while the context started");
        } finally {
            synchronized (g) {
                g.starting--;
            }
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    public List<CodeContext> list(ObjectKey key, RunningSandbox sandbox) {
        Group g = group(key, sandbox);
        synchronized (g) {
            return List.copyOf(g.contexts.values());
        }
    }

    public CodeContext get(ObjectKey key, RunningSandbox sandbox, String id) {
        Group g = group(key, sandbox);
        synchronized (g) {
            CodeContext c = g.contexts.get(id);
            if (c == null) throw notFound(key, id);
            return c;
        }
    }

    public void delete(ObjectKey key, RunningSandbox sandbox, String id) {
        Group g = group(key, sandbox);
        CodeContext c;
        synchronized (g) {
            c = g.contexts.remove(id);
        }
        if (c == null) throw notFound(key, id);
        c.close();
    }

    private static NotFoundException notFound(ObjectKey key, String id) {
        return new NotFoundException("code context " + id + " not found in sandbox " + key.namespace() + "/" + key.name()
                + "; contexts end when their sandbox stops or agentboxd restarts: create a new one (POST .../contexts)");
    }

    @Override
    public void close() {
        for (ObjectKey key : List.copyOf(groups.keySet())) {
            Group g = groups.remove(key);
            if (g != null) g.close();
        }
    }
}
