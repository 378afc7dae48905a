package dev.agentbox.runtime.internal;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host end of the agent protocol: frames {@code u32 len | u8 type | u32 id | payload} over the
 * stdin/stdout pipes of {@code runsc run}. Requests are multiplexed by id; one virtual thread reads
 * every answer and hands it to the handler registered for its id, so it never stops draining.
 */
public final class AgentChannel {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    private static final int MAX_FRAME = 512 * 1024 * 1024;

    /** Receives the frames of one request. Called on the reader thread: must not block for long. */
    public interface Handler {
        /** @return true when this frame completes the request */
        boolean onFrame(int type, byte[] payload);

        void onClosed(String reason);
    }

    private final String name;
    private final DataInputStream in;
    private final OutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, Handler> pending = new ConcurrentHashMap<>();
    private volatile String closedReason;
    private volatile java.util.function.Consumer<String> eventListener;

    public AgentChannel(String name, InputStream fromAgent, OutputStream toAgent) {
        this(name, fromAgent, toAgent, 0);
    }

    /**
     * @param firstId request ids start after this one (a restored agent may still answer ids of the
     *                checkpointed channel, e.g. the main process: new requests must not collide with them)
     */
    public AgentChannel(String name, InputStream fromAgent, OutputStream toAgent, int firstId) {
        this.name = name;
        this.ids.set(firstId);
        this.in = new DataInputStream(fromAgent);
        this.out = new BufferedOutputStream(toAgent, 65536);
        Thread.ofVirtual().name("agent-reader-" + name).start(this::readLoop);
    }

    /** Receives EVENT frames (request id 0) the agent sends on its own, e.g. a workload's snapshot request. */
    public void onEvent(java.util.function.Consumer<String> listener) {
        this.eventListener = listener;
    }

    /** The highest request id handed out so far. */
    public int lastId() {
        return ids.get();
    }

    /** Registers a handler for a request id the agent already knows (a restored sandbox's main process). */
    public void adopt(int id, Handler handler) {
        pending.put(id, handler);
    }

    /**
     * Stops the agent at a frame boundary for a checkpoint: sends QUIESCE, waits for its answer, and keeps
     * the write lock (no other request goes out) until {@link #resume} or {@link #close}. The lock is held
     * by the calling thread.
     */
    public void quiesce(long timeoutMillis) throws IOException {
        writeLock.lock();
        boolean ok = false;
        try {
            CompletableFuture<Frame> f = new CompletableFuture<>();
            int id = ids.incrementAndGet() & 0x7fffffff;
            pending.put(id, singleAnswer(f));
            write(Wire.T_QUIESCE, id, new byte[0]);
            Frame answer = f.get(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (answer.type() != Wire.R_OK) throw new IOException("agent refused to quiesce (answer " + answer.type() + ")");
            ok = true;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("agent did not quiesce: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("agent did not quiesce within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while quiescing the agent");
        } finally {
            if (!ok) writeLock.unlock();
        }
    }

    /**
     * Sends RESUME and waits for its answer. On a channel that {@link #quiesce}d, releases the write lock
     * taken there; on a fresh channel to a restored agent, it is the first frame sent.
     */
    public void resume(long timeoutMillis) throws IOException {
        boolean held = writeLock.isHeldByCurrentThread();
        try {
            CompletableFuture<Frame> f = new CompletableFuture<>();
            int id = ids.incrementAndGet() & 0x7fffffff;
            pending.put(id, singleAnswer(f));
            write(Wire.T_RESUME, id, new byte[0]);
            if (held) {
                writeLock.unlock();
                held = false;
            }
            Frame answer = f.get(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (answer.type() != Wire.R_OK) throw new IOException("agent did not resume (answer " + answer.type() + ")");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("agent did not resume: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("agent did not resume within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while resuming the agent");
        } finally {
            if (held) writeLock.unlock();
        }
    }

    /** Releases the write lock taken by {@link #quiesce} without resuming (the agent is gone or will be). */
    public void releaseQuiesce() {
        if (writeLock.isHeldByCurrentThread()) writeLock.unlock();
    }

    private static Handler singleAnswer(CompletableFuture<Frame> f) {
        return new Handler() {
            @Override
            public boolean onFrame(int t, byte[] p) {
                f.complete(new Frame(t, p));
                return true;
            }

            @Override
            public void onClosed(String reason) {
                f.completeExceptionally(new IOException("sandbox agent gone: " + reason));
            }
        };
    }

    public boolean isOpen() {
        return closedReason == null;
    }

    public String closedReason() {
        return closedReason;
    }

    /** Sends a request; the handler gets its answer frames. Returns the request id. */
    public int send(int type, byte[] payload, Handler handler) throws IOException {
        int id = ids.incrementAndGet() & 0x7fffffff;
        if (handler != null) pending.put(id, handler);
        try {
            write(type, id, payload);
        } catch (IOException e) {
            pending.remove(id);
            throw e;
        }
        // closed while we registered: make sure the handler hears about it
        String reason = closedReason;
        if (reason != null && handler != null && pending.remove(id) != null) handler.onClosed(reason);
        return id;
    }

    /** Sends a frame that gets no answer. */
    public void write(int type, int id, byte[] payload) throws IOException {
        String reason = closedReason;
        if (reason != null) throw new IOException("agent channel closed: " + reason);
        writeLock.lock();
        try {
            byte[] hdr = new byte[9];
            int len = 5 + payload.length;
            hdr[0] = (byte) (len >>> 24);
            hdr[1] = (byte) (len >>> 16);
            hdr[2] = (byte) (len >>> 8);
            hdr[3] = (byte) len;
            hdr[4] = (byte) type;
            hdr[5] = (byte) (id >>> 24);
            hdr[6] = (byte) (id >>> 16);
            hdr[7] = (byte) (id >>> 8);
            hdr[8] = (byte) id;
            out.write(hdr);
            out.write(payload);
            out.flush();
        } finally {
            writeLock.unlock();
        }
    }

    /** A request with a single answer (OK or FAIL). */
    public CompletableFuture<Frame> call(int type, byte[] payload) {
        CompletableFuture<Frame> f = new CompletableFuture<>();
        try {
            send(type, payload, singleAnswer(f));
        } catch (IOException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    public record Frame(int type, byte[] payload) {}

    public void close(String reason) {
        if (closedReason == null) closedReason = reason;
        try {
            out.close();
        } catch (IOException ignored) {
            // already gone
        }
        failAll();
    }

    private void failAll() {
        for (Integer id : pending.keySet()) {
            Handler h = pending.remove(id);
            if (h != null) {
                try {
                    h.onClosed(closedReason);
                } catch (RuntimeException e) {
                    log.warn("{}: handler failed on close", name, e);
                }
            }
        }
    }

    private void readLoop() {
        String reason = "agent exited";
        try {
            while (true) {
                int len = in.readInt();
                if (len < 5 || len > MAX_FRAME) throw new IOException("bad frame length " + len);
                int type = in.readUnsignedByte();
                int id = in.readInt();
                byte[] payload = new byte[len - 5];
                in.readFully(payload);
                if (id == 0 && type == Wire.R_EVENT) {
                    java.util.function.Consumer<String> l = eventListener;
                    String event = new Wire.In(payload).str();
                    if (l == null) log.info("{}: agent event '{}' with no listener", name, event);
                    else Thread.ofVirtual().start(() -> l.accept(event));
                    continue;
                }
                Handler h = pending.get(id);
                if (h == null) {
                    log.debug("{}: frame type {} for unknown request {}", name, type, id);
                    continue;
                }
                boolean done;
                try {
                    done = h.onFrame(type, payload);
                } catch (RuntimeException e) {
                    log.warn("{}: handler of request {} failed", name, id, e);
                    done = true;
                }
                if (done) pending.remove(id);
            }
        } catch (EOFException e) {
            reason = "agent exited (end of stream)";
        } catch (IOException e) {
            reason = "agent channel broken: " + e.getMessage();
        } finally {
            if (closedReason == null) closedReason = reason;
            failAll();
        }
    }
}
