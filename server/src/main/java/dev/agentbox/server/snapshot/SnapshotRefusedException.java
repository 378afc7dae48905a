package dev.agentbox.server.snapshot;

/**
 * agentboxd will not delete or restore a snapshot image: it is not where agentboxd's own rule puts it (beneath its
 * storage root, {@code <root>/<namespace>/<name>}, no symlinks), it is of another namespace, or agentboxd did not
 * record it Ready. The message says which and why.
 */
public class SnapshotRefusedException extends RuntimeException {
    public SnapshotRefusedException(String message) {
        super(message);
    }
}
