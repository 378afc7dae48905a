package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A TCP connection to a port inside a sandbox, carried over the agent's channel (see runtime/DESIGN.md,
 * "Streams"). Both directions are flow-controlled: the agent sends at most {@link Wire#WINDOW} bytes the
 * reader has not taken, and this side sends at most that much the agent has not written to the socket yet.
 */
final class StreamConnection implements RunningSandbox.SandboxSocket, AgentChannel.Handler {
    private static final byte[] EOF = new byte[0];
    private static final int CREDIT_STEP = 64 * 1024;
    private static final int MAX_DATA = 64 * 1024;

    private final AgentChannel channel;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final LinkedBlockingQueue<byte[]> incoming = new LinkedBlockingQueue<>();
    private final Object sendLock = new Object();
    private volatile int id;
    private volatile boolean closed;
    private volatile String failure;
    private long received;
    private volatile long credited;
    private long sendable = Wire.WINDOW;

    private StreamConnection(AgentChannel channel) {
        this.channel = channel;
    }

    /** Connects to 127.0.0.1:port inside the sandbox. */
    static StreamConnection open(AgentChannel channel, int port, Duration timeout, String sandbox) throws RuntimeFailure {
        if (port < 1 || port > 65535) throw new RuntimeFailure(RuntimeFailure.Kind.INVALID, "port: must be 1..65535, got " + port);
        StreamConnection c = new StreamConnection(channel);
        try {
            c.id = channel.send(Wire.T_CONNECT, new Wire.Out().u32(port).toBytes(), c);
            c.connected.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return c;
        } catch (IOException e) {
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "sandbox " + sandbox + " is not running (" + e.getMessage() + ")", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeFailure rf) throw rf;
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "sandbox " + sandbox + ": " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            c.close();
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "sandbox " + sandbox + ": no connection to port " + port + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.close();
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "interrupted while connecting to port " + port);
        }
    }

    @Override
    public boolean onFrame(int type, byte[] p) {
        switch (type) {
            case Wire.R_OK -> {
                connected.complete(null);
                return false;
            }
            case Wire.R_FAIL -> {
                Wire.In in = new Wire.In(p);
                long errno = in.u32();
                String message = in.str();
                // ECONNREFUSED (111): nothing listens there (yet): not a failure of the sandbox
                connected.completeExceptionally(new RuntimeFailure(errno == 111 ? RuntimeFailure.Kind.NOT_FOUND : RuntimeFailure.Kind.FAILED, message));
                end(message);
                return true;
            }
            case Wire.R_OUT -> {
                received += p.length;
                if (received - credited > 2L * Wire.WINDOW) {
                    throw new AgentChannel.HandlerViolation("the agent sent " + (received - credited) + " bytes of a connection past its window");
                }
                incoming.add(p);
                return false;
            }
            case Wire.R_CREDIT -> {
                long n = new Wire.In(p).u32();
                synchronized (sendLock) {
                    sendable += n;
                    sendLock.notifyAll();
                }
                return false;
            }
            case Wire.R_EXIT -> {
                end(null);
                return true;
            }
            default -> throw new AgentChannel.HandlerViolation("unexpected frame type " + type + " for a connection");
        }
    }

    @Override
    public void onClosed(String reason) {
        connected.completeExceptionally(new IOException(reason));
        end(reason);
    }

    private void end(String reason) {
        if (failure == null) failure = reason;
        closed = true;
        incoming.add(EOF);
        synchronized (sendLock) {
            sendLock.notifyAll();
        }
    }

    private final InputStream input = new InputStream() {
        private byte[] chunk;
        private int pos;
        private int owed;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (chunk == null || pos == chunk.length) {
                if (chunk == EOF) return -1;
                try {
                    chunk = incoming.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading from the sandbox");
                }
                pos = 0;
                if (chunk == EOF) {
                    incoming.add(EOF); // later reads see the end too
                    return -1;
                }
                owed += chunk.length;
                if (owed >= CREDIT_STEP || incoming.isEmpty()) {
                    credited += owed;
                    channel.credit(id, owed);
                    owed = 0;
                }
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public int available() {
            return chunk == null || chunk == EOF ? 0 : chunk.length - pos;
        }

        @Override
        public void close() {
            StreamConnection.this.close();
        }
    };

    private final OutputStream output = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n;
                synchronized (sendLock) {
                    while (sendable <= 0 && !closed) {
                        try {
                            sendLock.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("interrupted while writing to the sandbox");
                        }
                    }
                    if (closed) throw new IOException("the connection into the sandbox is closed" + (failure == null ? "" : ": " + failure));
                    n = (int) Math.min(Math.min(len, sendable), MAX_DATA);
                    sendable -= n;
                }
                byte[] part = java.util.Arrays.copyOfRange(b, off, off + n);
                channel.write(Wire.T_DATA, id, part);
                off += n;
                len -= n;
            }
        }

        @Override
        public void close() throws IOException {
            shutdownOutput();
        }
    };

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public OutputStream output() {
        return output;
    }

    @Override
    public void shutdownOutput() throws IOException {
        if (!closed) channel.write(Wire.T_SHUTDOWN, id, new byte[0]);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            channel.write(Wire.T_SIGNAL, 0, new Wire.Out().u32(id).u32(9).toBytes());
        } catch (IOException ignored) {
            // the channel is gone: so is the connection
        }
        incoming.clear(); // what was not read is dropped, as with a closed socket
        end("closed");
    }
}
