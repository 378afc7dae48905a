package dev.agentbox.client;

/** An open watch stream; {@link #close()} stops it. */
public interface Watch extends AutoCloseable {
    @Override
    void close();
}
