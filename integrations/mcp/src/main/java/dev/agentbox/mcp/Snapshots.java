package dev.agentbox.mcp;

/** Snapshot support of the snapshot and restore tools. */
final class Snapshots {
    private Snapshots() {}

    static final String NOT_AVAILABLE = "snapshots are not available on this agentbox backend. The sandbox is unchanged; "
            + "keep working in it, or save important files with read_file.";
}
