package dev.agentbox.runtime;

/**
 * A runtime operation failed. {@link Kind} lets callers map it to an API error
 * (NOT_FOUND: no such file or sandbox; INVALID: bad path or argument; FAILED: the sandbox or runsc failed).
 */
public class RuntimeFailure extends Exception {
    /** LIMIT: the sandbox is alive but at one of its limits (process count), so the request could not run. */
    public enum Kind { NOT_FOUND, INVALID, FAILED, LIMIT }

    private final Kind kind;

    public RuntimeFailure(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public RuntimeFailure(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
