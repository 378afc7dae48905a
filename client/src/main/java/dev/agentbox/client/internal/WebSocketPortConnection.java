package dev.agentbox.client.internal;

import dev.agentbox.client.PortConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link PortConnection} over agentboxd's port-forward WebSocket
 * ({@code GET /api/v1/namespaces/NS/sandboxes/NAME/portforward?port=N}; docs/http-api.md): binary messages are the
 * connection's bytes, the text message {@code shutdown} is a half-close. The next message is asked for only once the
 * reader took the previous one, so at most one message is held here and a slow reader slows the server inside.
 */
final class WebSocketPortConnection implements PortConnection {
    private static final long WRITE_TIMEOUT_SECONDS = 30;
    private static final Object END = new Object();

    private final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>(); // at most 2: a chunk and END
    private final AtomicBoolean closed = new AtomicBoolean();
    private final WebSocket ws;
    private final InputStream input = new In();
    private final OutputStream output = new Out();

    WebSocketPortConnection(Http http, String pathAndQuery, String target) {
        this.ws = http.webSocket(pathAndQuery, new Listener(), target);
    }

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public OutputStream output() {
        return output;
    }

    @Override
    public void shutdownOutput() {
        await(ws.sendText("shutdown", true));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the other side is gone already
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ws.abort();
            received.offer(END);
        }
    }

    private static void await(CompletionStage<?> sent) {
        try {
            sent.toCompletableFuture().get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new java.io.UncheckedIOException(new IOException("the port-forward connection broke: " + e.getCause(), e.getCause()));
        } catch (TimeoutException e) {
            throw new java.io.UncheckedIOException(new IOException("agentboxd took no data for " + WRITE_TIMEOUT_SECONDS
                    + " s: the server inside the sandbox is not reading"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.UncheckedIOException(new InterruptedIOException("interrupted while writing"));
        }
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            received.offer(ByteBuffer.wrap(b)); // the next message is requested once this one is read (In.read)
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            webSocket.request(1); // agentboxd sends no text; ignore
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            received.offer(statusCode == WebSocket.NORMAL_CLOSURE ? END
                    : new IOException("agentboxd closed the port-forward connection (" + statusCode + (reason.isEmpty() ? "" : ": " + reason) + ")"));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            received.offer(new IOException("the port-forward connection broke: " + error, error));
        }
    }

    private final class In extends InputStream {
        private ByteBuffer current;
        private Object last;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (current == null || !current.hasRemaining()) {
                if (last != null) return end();
                Object item;
                try {
                    item = received.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading");
                }
                if (item instanceof ByteBuffer chunk) {
                    current = chunk;
                    ws.request(1);
                } else {
                    last = item;
                }
            }
            int n = Math.min(len, current.remaining());
            current.get(b, off, n);
            return n;
        }

        private int end() throws IOException {
            if (last instanceof IOException e) throw e;
            return -1;
        }

        @Override
        public void close() {
            WebSocketPortConnection.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed.get()) throw new IOException("the port-forward connection is closed");
            if (len == 0) return;
            try {
                await(ws.sendBinary(ByteBuffer.wrap(b.clone(), off, len).slice(), true));
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        }

        @Override
        public void close() {
            shutdownOutput();
        }
    }
}
