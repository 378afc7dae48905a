package dev.agentbox.server.store;

import dev.agentbox.api.AgentboxException;

/**
 * A resourceVersion older than the store's history of changes (see {@link Store#setHistoryLimits}): what was asked for
 * (the changes after it, or the objects as they were at it) can no longer be given. HTTP 410, reason Expired, as
 * Kubernetes answers for a compacted revision; list again to get a current resourceVersion.
 */
public final class ExpiredException extends AgentboxException {
    private final long requested;
    private final long oldest;

    public ExpiredException(long requested, long oldest) {
        super("too old resource version: " + requested + " (" + oldest + ")");
        this.requested = requested;
        this.oldest = oldest;
    }

    /** The resourceVersion that was asked for. */
    public long requested() {
        return requested;
    }

    /** The oldest resourceVersion the store can still serve (every change after it is known). */
    public long oldest() {
        return oldest;
    }

    @Override
    public int httpStatus() {
        return 410;
    }

    @Override
    public String reason() {
        return "Expired";
    }
}
