package dev.agentbox.runtime.internal;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * agentboxd's end of one sandbox's channel: a unix socket to the sandbox's shim, which relays frames
 * {@code u32 len | u8 type | u32 id | payload} to and from the agent (PID 1 inside) and adds its own
 * (types 200+). Requests are multiplexed by id.
 *
 * <p>Everything that arrives is hostile (it comes from inside the sandbox, through the shim): frames
 * over {@link #MAX_FRAME} or that do not parse break this channel (and only this one) with a reason, and
 * a payload is allocated as its bytes arrive, never at the announced size. One reader thread per
 * channel: a virtual thread blocked in {@link SocketChannel#read}, which parks (the JDK's poller serves
 * socket reads of virtual threads) and never pins a carrier. It never blocks on anything else: frames
 * are handed to handlers that only enqueue. Writers share a lock; a blocked write parks the writer only.
 */
public final class AgentChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    /** Largest payload accepted from the shim: output chunks are 64 KiB, file data 256 KiB. */
    public static final int MAX_FRAME = 1 << 20;

    /** Receives the frames of one request. Called on the reader thread: must not block. */
    public interface Handler {
        /** @return true when this frame completes the request */
        boolean onFrame(int type, byte[] payload);

        void onClosed(String reason);
    }

    /** What the shim says about the sandbox when agentboxd connects. */
    public record ShimInfo(int protocol, String version, int runscPid, boolean agentAlive, int mainId, boolean mainExited,
                           int mainStatus, int lastRequestId, Integer runscExitStatus, String broken) {}

    private final String name;
    private final SocketChannel socket;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, Handler> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<ShimInfo> hello = new CompletableFuture<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private volatile String closedReason;
    private volatile Consumer<String> eventListener;

    private AgentChannel(String name, SocketChannel socket) {
        this.name = name;
        this.socket = socket;
    }

    /** Connects to a sandbox's shim and does the versioned handshake. */
    public static AgentChannel connect(String name, Path socketPath, Duration timeout) throws IOException {
        SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            socket.connect(UnixDomainSocketAddress.of(socketPath));
        } catch (IOException e) {
            socket.close();
            throw new IOException("cannot connect to the shim of " + name + " at " + socketPath + ": " + e.getMessage(), e);
        }
        AgentChannel channel = new AgentChannel(name, socket);
        Thread.ofVirtual().name("agent-reader-" + name).start(channel::readLoop);
        Thread.ofVirtual().name("agent-writer-" + name).start(channel::writeLoop);
        try {
            channel.write(Wire.S_HELLO, 0, new Wire.Out().u32(Wire.SHIM_PROTOCOL).toBytes());
            ShimInfo info = channel.hello.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            channel.ids.set(info.lastRequestId() + 1000); // ids of an earlier daemon's requests may still answer
            return channel;
        } catch (ExecutionException e) {
            channel.close("handshake failed");
            throw new IOException("shim of " + name + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            channel.close("handshake timed out");
            throw new IOException("the shim of " + name + " did not answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close("interrupted");
            throw new IOException("interrupted while connecting to the shim of " + name);
        }
    }

    public ShimInfo shimInfo() {
        return hello.getNow(null);
    }

    /** Receives EVENT frames (request id 0) the agent sends on its own, e.g. a workload's snapshot request. */
    public void onEvent(Consumer<String> listener) {
        this.eventListener = listener;
    }

    /** The highest request id handed out so far. */
    public int lastId() {
        return ids.get();
    }

    /** Registers a handler for a request id the agent already knows (a re-attached or restored main process). */
    public void adopt(int id, Handler handler) {
        pending.put(id, handler);
    }

    /** Completes with the reason when the channel closes. */
    public CompletableFuture<String> closedFuture() {
        return closed;
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
            int id = nextId();
            pending.put(id, singleAnswer(f));
            write(Wire.T_QUIESCE, id, new byte[0]);
            Frame answer = f.get(timeoutMillis, TimeUnit.MILLISECONDS);
            if (answer.type() != Wire.R_OK) throw new IOException("agent refused to quiesce (answer " + answer.type() + ")");
            ok = true;
        } catch (ExecutionException e) {
            throw new IOException("agent did not quiesce: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
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
     * taken there; on a fresh channel to a restored agent ({@code restored}), it is the first frame sent,
     * and the agent cancels the requests that were in flight when the image was taken.
     */
    public void resume(long timeoutMillis, boolean restored) throws IOException {
        boolean held = writeLock.isHeldByCurrentThread();
        try {
            CompletableFuture<Frame> f = new CompletableFuture<>();
            int id = nextId();
            pending.put(id, singleAnswer(f));
            write(Wire.T_RESUME, id, new Wire.Out().u8(restored ? 1 : 0).toBytes());
            if (held) {
                writeLock.unlock();
                held = false;
            }
            Frame answer = f.get(timeoutMillis, TimeUnit.MILLISECONDS);
            if (answer.type() != Wire.R_OK) throw new IOException("agent did not resume (answer " + answer.type() + ")");
        } catch (ExecutionException e) {
            throw new IOException("agent did not resume: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
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

    private int nextId() {
        int id;
        do {
            id = ids.incrementAndGet() & 0x7fffffff;
        } while (id == 0);
        return id;
    }

    /** Sends a request; the handler gets its answer frames. Returns the request id. */
    public int send(int type, byte[] payload, Handler handler) throws IOException {
        int id = nextId();
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

    /** Grants the agent {@code bytes} more output for request {@code id} (the consumer took them). */
    public void credit(int id, int bytes) {
        if (bytes <= 0 || closedReason != null) return;
        try {
            write(Wire.T_CREDIT, 0, new Wire.Out().u32(id).u32(bytes).toBytes());
        } catch (IOException e) {
            log.debug("{}: credit not sent: {}", name, e.getMessage());
        }
    }

    /**
     * Sends a frame that gets no answer. The bytes are written by the channel's writer thread, never by the
     * caller: an interrupt of a thread blocked in a SocketChannel write closes the channel for everyone
     * (ClosedByInterruptException), and callers (HTTP handlers) do get interrupted.
     */
    public void write(int type, int id, byte[] payload) throws IOException {
        String reason = closedReason;
        if (reason != null) throw new IOException("agent channel closed: " + reason);
        ByteBuffer buf = ByteBuffer.allocate(9 + payload.length);
        buf.putInt(5 + payload.length).put((byte) type).putInt(id).put(payload).flip();
        Outgoing o = new Outgoing(buf, new CompletableFuture<>());
        writeLock.lock(); // keeps frames in order, and out while quiesced
        try {
            outgoing.add(o);
        } finally {
            writeLock.unlock();
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    o.done().get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the frame is queued: wait for it to be written, then keep the interrupt
                } catch (ExecutionException e) {
                    throw new IOException("agent channel closed: " + e.getCause().getMessage(), e.getCause());
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private record Outgoing(ByteBuffer bytes, CompletableFuture<Void> done) {}

    private final java.util.concurrent.LinkedBlockingQueue<Outgoing> outgoing = new java.util.concurrent.LinkedBlockingQueue<>();

    private void writeLoop() {
        try {
            while (true) {
                Outgoing o = outgoing.take();
                if (o.bytes() == null) break; // closing
                try {
                    while (o.bytes().hasRemaining()) socket.write(o.bytes());
                    o.done().complete(null);
                } catch (IOException e) {
                    o.done().completeExceptionally(e);
                    close("write to the shim failed: " + e);
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            IOException gone = new IOException(closedReason == null ? "closed" : closedReason);
            for (Outgoing o; (o = outgoing.poll()) != null; ) if (o.done() != null) o.done().completeExceptionally(gone);
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

    /**
     * Closes agentboxd's side: the shim cancels this connection's requests in flight and keeps the
     * sandbox running for the next agentboxd.
     */
    public void close(String reason) {
        if (closedReason == null) closedReason = reason;
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
        failAll();
    }

    @Override
    public void close() {
        close("closed");
    }

    /** The sandbox broke the protocol: this channel is given up for good with the reason. */
    public void breakWith(String reason) {
        log.warn("sandbox {}: {}", name, reason);
        close(reason);
    }

    private void failAll() {
        outgoing.add(new Outgoing(null, null)); // ends the writer
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
        hello.completeExceptionally(new IOException(closedReason));
        closed.complete(closedReason);
    }

    private void readLoop() {
        String reason = "agent exited";
        ByteBuffer in = ByteBuffer.allocate(65536);
        byte[] header = new byte[9];
        int headerGot = 0;
        byte[] payload = null;
        int length = 0, got = 0;
        try {
            while (true) {
                in.clear();
                int n = socket.read(in);
                if (n < 0) throw new EOFException();
                in.flip();
                while (in.hasRemaining()) {
                    if (headerGot < 9) {
                        int take = Math.min(9 - headerGot, in.remaining());
                        in.get(header, headerGot, take);
                        headerGot += take;
                        if (headerGot < 9) break;
                        long len = ((header[0] & 0xffL) << 24) | ((header[1] & 0xff) << 16) | ((header[2] & 0xff) << 8) | (header[3] & 0xff);
                        if (len < 5 || len - 5 > MAX_FRAME) {
                            throw new ProtocolViolation("frame length " + len + " is outside 5.." + (MAX_FRAME + 5));
                        }
                        length = (int) (len - 5);
                        payload = new byte[Math.min(length, 65536)]; // grows as bytes arrive
                        got = 0;
                    }
                    int take = Math.min(length - got, in.remaining());
                    if (got + take > payload.length) payload = java.util.Arrays.copyOf(payload, Math.min(length, Math.max(payload.length * 2, got + take)));
                    in.get(payload, got, take);
                    got += take;
                    if (got == length) {
                        int type = header[4] & 0xff;
                        int id = ((header[5] & 0xff) << 24) | ((header[6] & 0xff) << 16) | ((header[7] & 0xff) << 8) | (header[8] & 0xff);
                        dispatch(type, id, payload.length == length ? payload : java.util.Arrays.copyOf(payload, length));
                        headerGot = 0;
                        payload = null;
                    }
                }
            }
        } catch (ProtocolViolation e) {
            reason = "protocol violation from inside the sandbox: " + e.getMessage();
            log.warn("sandbox {}: {}", name, reason);
        } catch (EOFException e) {
            reason = closedReason != null ? closedReason : "the shim closed the channel";
        } catch (IOException e) {
            reason = closedReason != null ? closedReason : "agent channel broken: " + e.getMessage();
        } finally {
            if (closedReason == null) closedReason = reason;
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
            failAll();
        }
    }

    private static final class ProtocolViolation extends IOException {
        ProtocolViolation(String message) {
            super(message);
        }
    }

    private void dispatch(int type, int id, byte[] payload) throws ProtocolViolation {
        try {
            if (type >= 200) {
                shimFrame(type, payload);
                return;
            }
            if (id == 0 && type == Wire.R_EVENT) {
                Consumer<String> l = eventListener;
                String event = new Wire.In(payload).str();
                if (event.startsWith("oom-killed")) log.warn("sandbox {}: out of memory: {}", name, event);
                else if (l == null) log.info("{}: agent event '{}' with no listener", name, event);
                else Thread.ofVirtual().start(() -> l.accept(event));
                return;
            }
            Handler h = pending.get(id);
            if (h == null) {
                log.debug("{}: frame type {} for unknown request {}", name, type, id);
                return;
            }
            boolean done = h.onFrame(type, payload);
            if (done) pending.remove(id);
        } catch (Wire.Malformed e) {
            throw new ProtocolViolation("frame type " + type + " for request " + id + ": " + e.getMessage());
        } catch (HandlerViolation e) {
            throw new ProtocolViolation(e.getMessage());
        }
    }

    /** Thrown by a handler when the frames of its request break the protocol (e.g. more output than granted). */
    public static final class HandlerViolation extends RuntimeException {
        public HandlerViolation(String message) {
            super(message);
        }
    }

    private volatile Integer runscExit;
    private volatile String broken;

    /** runsc's exit status when the shim reported it (the sandbox is gone), else null. */
    public Integer runscExit() {
        return runscExit;
    }

    /** Why the shim gave up on the agent's channel (a protocol violation from inside), else null. */
    public String broken() {
        return broken;
    }

    private void shimFrame(int type, byte[] payload) {
        Wire.In in = new Wire.In(payload);
        switch (type) {
            case Wire.S_HELLO_OK -> {
                int protocol = (int) in.u32();
                String version = in.str();
                int pid = (int) in.u32();
                boolean alive = in.u8() != 0;
                int mainId = (int) in.u32();
                boolean mainExited = in.u8() != 0;
                int mainStatus = in.i32();
                int lastId = (int) in.u32();
                long exit = in.u32();
                String why = in.str();
                ShimInfo info = new ShimInfo(protocol, version, pid, alive, mainId, mainExited, mainStatus, lastId,
                        exit == 0xffffffffL ? null : (int) exit, why.isEmpty() ? null : why);
                if (info.runscExitStatus() != null) runscExit = info.runscExitStatus();
                if (info.broken() != null) broken = info.broken();
                hello.complete(info);
            }
            case Wire.S_EXITED -> {
                runscExit = in.i32();
                log.info("sandbox {}: runsc exited with {}", name, runscExit);
                close("runsc exited with " + runscExit);
            }
            case Wire.S_BROKEN -> {
                broken = new String(payload, java.nio.charset.StandardCharsets.UTF_8);
                hello.completeExceptionally(new IOException(broken));
                log.warn("sandbox {}: {}", name, broken);
                close(broken);
            }
            case Wire.S_OOM -> log.warn("sandbox {}: over its memory limit ({} bytes used, limit {}): the agent kills its largest process group",
                    name, in.u64(), in.u64());
            default -> log.debug("{}: unknown shim frame {}", name, type);
        }
    }
}
