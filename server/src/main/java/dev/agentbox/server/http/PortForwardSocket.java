package dev.agentbox.server.http;

import dev.agentbox.runtime.RunningSandbox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * The port-forward endpoint, {@code GET /api/v1/namespaces/{ns}/sandboxes/{name}/portforward?port=N} upgraded to a
 * WebSocket (see docs/http-api.md): one TCP connection to port N inside the sandbox, made before the upgrade (so a port
 * nothing listens on is a plain 502 that names it, not a WebSocket that closes at once).
 * <ul>
 *   <li>binary messages, both ways: the bytes of the connection (message boundaries mean nothing);</li>
 *   <li>the text message {@code shutdown} from the client: it will send no more (the server inside reads the end of
 *       its input, as after a TCP half-close); any other text message is a protocol error (close 1003);</li>
 *   <li>close from the client: the connection inside is closed; close from agentboxd: 1000 once the server inside has
 *       closed the connection (after all its bytes), 1011 when the connection into the sandbox broke, 1008 when the
 *       token was revoked.</li>
 * </ul>
 * Flow control: Jetty is asked for the next frame only once the previous one has been written into the sandbox (whose
 * stream has a 256 KiB window), and the next chunk from the sandbox is read only once the previous message has been
 * sent to the client; so a client that stops reading stops the server inside, with at most a frame and a 64 KiB buffer
 * held here.
 */
public final class PortForwardSocket implements Session.Listener {
    static final String SHUTDOWN = "shutdown";

    private final PortsHandler ports;
    private final RunningSandbox.SandboxSocket socket;
    private final String authorization;
    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>(); // holds at most one item: see demand()
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Session session;
    private volatile Object stream;
    private volatile Thread writer;
    private volatile Thread reader;

    private record Chunk(byte[] bytes, Callback done) {}

    private static final Object SHUT = new Object();

    private PortForwardSocket(PortsHandler ports, RunningSandbox.SandboxSocket socket, String authorization) {
        this.ports = ports;
        this.socket = socket;
        this.authorization = authorization;
    }

    /** Connects into the sandbox, then upgrades the request; a failure before the upgrade is an HTTP error. */
    static void upgrade(PortsHandler ports, Request request, Response response, org.eclipse.jetty.util.Callback callback,
                        RunningSandbox sandbox, PortsHandler.Target target, String authorization) {
        if (!"GET".equals(request.getMethod())) {
            throw new HttpIO.MethodNotAllowed("method " + request.getMethod() + " is not allowed on portforward; it is a WebSocket: GET with Upgrade: websocket", "GET");
        }
        String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            throw new HttpIO.BadRequest("portforward is a WebSocket: send GET with 'Connection: Upgrade' and 'Upgrade: websocket' "
                    + "(agentbox port-forward and the SDK's ports().connect do); see docs/http-api.md");
        }
        RunningSandbox.SandboxSocket socket = ports.connect(sandbox, target);
        PortForwardSocket endpoint = new PortForwardSocket(ports, socket, authorization);
        boolean upgraded = false;
        try {
            ServerWebSocketContainer container = ServerWebSocketContainer.get(request.getContext());
            upgraded = container.upgrade((rq, rs, cb) -> endpoint, request, response, callback);
        } finally {
            if (!upgraded) socket.close();
        }
        if (!upgraded) throw new HttpIO.BadRequest("not a valid WebSocket upgrade request (RFC 6455: Sec-WebSocket-Key and Sec-WebSocket-Version 13)");
        // a handshake that failed after this point never opens the endpoint: do not keep the connection inside forever
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                return;
            }
            if (endpoint.session == null) endpoint.end(StatusCode.PROTOCOL, null);
        });
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        session.setIdleTimeout(PortsHandler.STREAM_IDLE_TIMEOUT);
        stream = ports.open(authorization, () -> end(StatusCode.POLICY_VIOLATION, "the token was revoked"));
        writer = Thread.ofVirtual().name("agentboxd-portforward-in").start(this::clientToSandbox);
        reader = Thread.ofVirtual().name("agentboxd-portforward-out").start(this::sandboxToClient);
        session.demand();
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean fin, Callback callback) {
        byte[] b = new byte[payload.remaining()];
        payload.get(b);
        inbox.add(new Chunk(b, callback));
    }

    @Override
    public void onWebSocketText(String message) {
        if (SHUTDOWN.equals(message)) {
            inbox.add(SHUT);
        } else {
            end(StatusCode.BAD_DATA, "unknown control message; the only one is '" + SHUTDOWN + "'");
        }
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        Session s = session;
        if (s == null) return;
        s.sendPong(payload, Callback.NOOP);
        s.demand();
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        Session s = session;
        if (s != null) s.demand();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        end(-1, null);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        end(-1, null);
    }

    /** Writes what the client sends into the sandbox, asking for the next frame only once one is written. */
    private void clientToSandbox() {
        try {
            while (true) {
                Object item = inbox.take();
                if (item instanceof Chunk c) {
                    try {
                        if (c.bytes().length > 0) socket.output().write(c.bytes());
                        c.done().succeed();
                    } catch (IOException e) {
                        c.done().fail(e);
                        end(StatusCode.SERVER_ERROR, "the connection into the sandbox broke: " + e.getMessage());
                        return;
                    }
                } else if (item == SHUT) {
                    try {
                        socket.shutdownOutput();
                    } catch (IOException e) {
                        end(StatusCode.SERVER_ERROR, "the connection into the sandbox broke: " + e.getMessage());
                        return;
                    }
                }
                session.demand();
            }
        } catch (InterruptedException e) {
            // ended
        }
    }

    /** Sends what the server inside writes, one message at a time, each only once the previous one has gone out. */
    private void sandboxToClient() {
        byte[] buf = new byte[SandboxHttpProxy.BUFFER];
        try {
            InputStream in = socket.input();
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (n == 0) continue;
                Callback.Completable sent = new Callback.Completable();
                session.sendBinary(ByteBuffer.wrap(buf, 0, n), sent);
                sent.get();
            }
            end(StatusCode.NORMAL, "the server inside the sandbox closed the connection");
        } catch (IOException e) {
            end(StatusCode.SERVER_ERROR, "the connection into the sandbox broke: " + e.getMessage());
        } catch (ExecutionException e) {
            end(-1, null); // the client's side broke: nothing more can be said to it
        } catch (InterruptedException e) {
            // ended
        }
    }

    /** Ends both sides once; code -1: the client's side is already gone (no close frame to send). */
    private void end(int code, String reason) {
        if (!ended.compareAndSet(false, true)) return;
        socket.close();
        Object key = stream;
        if (key != null) ports.closed(key);
        Session s = session;
        if (s != null && code >= 0 && s.isOpen()) s.close(code, truncate(reason), Callback.NOOP);
        Thread w = writer;
        if (w != null && w != Thread.currentThread()) w.interrupt();
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) r.interrupt();
        for (Object item; (item = inbox.poll()) != null; ) if (item instanceof Chunk c) c.done().fail(new IOException("closed"));
    }

    /** A close reason is at most 123 bytes of UTF-8. */
    private static String truncate(String reason) {
        if (reason == null) return null;
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 123) return reason;
        return new String(b, 0, 120, StandardCharsets.UTF_8).replace("\uFFFD", "") + "...";
    }
}
