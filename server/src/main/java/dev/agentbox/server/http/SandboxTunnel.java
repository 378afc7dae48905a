package dev.agentbox.server.http;

import dev.agentbox.runtime.RunningSandbox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection after a 101 Switching Protocols from the server inside the sandbox: raw bytes both ways between
 * the client's endpoint and the {@link RunningSandbox.SandboxSocket}, whatever the protocol (WebSocket, or any other
 * upgrade), as the Kubernetes API server's proxy does. One virtual thread per direction, each holding one 64 KiB
 * buffer and waiting for its write to complete before it reads again: the client's side by Jetty's endpoint
 * (non-blocking I/O, waited for on the virtual thread), the sandbox's side by the stream's window. Either side's end
 * ends the tunnel (the client's end half-closes the sandbox's side first, so the server inside reads what was sent;
 * if it does not close within {@link #LINGER_MILLIS} the stream is closed); no byte moving for
 * {@link PortsHandler#STREAM_IDLE_TIMEOUT} closes it too.
 */
final class SandboxTunnel extends AbstractConnection implements Connection.UpgradeTo {
    private static final Logger log = LoggerFactory.getLogger(SandboxTunnel.class);
    static final long LINGER_MILLIS = 30_000;

    private final RunningSandbox.SandboxSocket socket;
    private final byte[] fromSandboxFirst;
    private final Runnable onEnd;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile byte[] fromClientFirst = new byte[0];

    SandboxTunnel(EndPoint endPoint, Executor executor, RunningSandbox.SandboxSocket socket, byte[] fromSandboxFirst, Runnable onEnd) {
        super(endPoint, executor);
        this.socket = socket;
        this.fromSandboxFirst = fromSandboxFirst;
        this.onEnd = onEnd;
    }

    @Override
    public void onUpgradeTo(ByteBuffer buffer) {
        // bytes the client sent right after its request, read by the HTTP connection before the upgrade
        if (buffer != null && buffer.hasRemaining()) {
            byte[] b = new byte[buffer.remaining()];
            buffer.get(b);
            fromClientFirst = b;
        }
    }

    @Override
    public void onOpen() {
        super.onOpen();
        getEndPoint().setIdleTimeout(PortsHandler.STREAM_IDLE_TIMEOUT.toMillis());
        Thread.ofVirtual().name("agentboxd-tunnel-in").start(this::clientToSandbox);
        Thread.ofVirtual().name("agentboxd-tunnel-out").start(this::sandboxToClient);
    }

    @Override
    public void onFillable() {
        // never called: the client-to-sandbox thread asks the endpoint itself (fillInterested with its own callback)
    }

    private void clientToSandbox() {
        EndPoint ep = getEndPoint();
        ByteBuffer buf = BufferUtil.allocate(SandboxHttpProxy.BUFFER);
        try {
            if (fromClientFirst.length > 0) socket.output().write(fromClientFirst);
            while (true) {
                int n = ep.fill(buf);
                if (n > 0) {
                    socket.output().write(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
                    BufferUtil.clear(buf);
                } else if (n == 0) {
                    FutureCallback readable = new FutureCallback();
                    ep.fillInterested(readable);
                    readable.get(); // parks this virtual thread until the client sends (or the idle timeout)
                } else {
                    socket.shutdownOutput(); // the client is done: the server inside reads the end, then closes
                    Thread.sleep(LINGER_MILLIS);
                    end(null);
                    return;
                }
            }
        } catch (InterruptedException e) {
            end(null);
        } catch (IOException | ExecutionException | RuntimeException e) {
            end(e);
        }
    }

    private void sandboxToClient() {
        EndPoint ep = getEndPoint();
        byte[] buf = new byte[SandboxHttpProxy.BUFFER];
        try {
            if (fromSandboxFirst.length > 0) write(ep, ByteBuffer.wrap(fromSandboxFirst));
            InputStream in = socket.input();
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (n > 0) write(ep, ByteBuffer.wrap(buf, 0, n));
            }
            end(null); // the server inside closed the connection: everything it sent has been written
        } catch (IOException | ExecutionException | RuntimeException e) {
            end(e);
        } catch (InterruptedException e) {
            end(null);
        }
    }

    private static void write(EndPoint ep, ByteBuffer b) throws ExecutionException, InterruptedException {
        FutureCallback written = new FutureCallback();
        ep.write(written, b);
        written.get();
    }

    private void end(Throwable why) {
        if (!ended.compareAndSet(false, true)) return;
        if (why != null) log.debug("tunnel into the sandbox ended: {}", why.toString());
        socket.close();
        getEndPoint().close();
        onEnd.run();
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        end(cause);
    }

    @Override
    public boolean onIdleExpired(java.util.concurrent.TimeoutException timeout) {
        end(timeout);
        return true;
    }
}
