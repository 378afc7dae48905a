package dev.agentbox.api;

/** The object already exists, or changed since it was read (stale resourceVersion). HTTP 409. */
public class ConflictException extends AgentboxException {
    private final boolean alreadyExists;

    public ConflictException(String message, boolean alreadyExists) {
        super(message);
        this.alreadyExists = alreadyExists;
    }

    public boolean alreadyExists() {
        return alreadyExists;
    }

    @Override
    public int httpStatus() {
        return 409;
    }

    @Override
    public String reason() {
        return alreadyExists ? "AlreadyExists" : "Conflict";
    }
}
