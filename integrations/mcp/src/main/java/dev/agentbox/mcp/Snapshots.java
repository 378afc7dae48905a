package dev.agentbox.mcp;

/** Snapshot support of the snapshot and restore tools. */
final class Snapshots {
    private Snapshots() {}

    static final String NOT_AVAILABLE = "snapshots are not available: this agentbox client has no snapshot API yet "
            + "(it arrives with the SDK's sandbox.snapshots()). The sandbox is unchanged; keep working in it, or save "
            + "important files with read_file.";
}
