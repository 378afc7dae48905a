package dev.agentbox.client;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * One TCP connection to a port inside a sandbox ({@link SandboxPorts#connect}). Read and write from different threads
 * as with a socket; both sides are flow-controlled end to end (a reader that stops reading stops the server inside).
 */
public interface PortConnection extends AutoCloseable {
    /** The bytes the server inside sends; -1 once it has closed the connection. */
    InputStream input();

    /** Bytes to the server inside; each write returns once agentboxd took it (at most 30 s, else an IOException). */
    OutputStream output();

    /** Sends end-of-stream (a TCP half-close): the server inside reads the end, and can still answer. */
    void shutdownOutput();

    /** Closes the connection (both ways). Idempotent. */
    @Override
    void close();
}
