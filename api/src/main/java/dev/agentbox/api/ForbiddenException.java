package dev.agentbox.api;

/** The token may not act on this namespace or resource. HTTP 403. */
public class ForbiddenException extends AgentboxException {
    public ForbiddenException(String message) {
        super(message);
    }

    public ForbiddenException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int httpStatus() {
        return 403;
    }

    @Override
    public String reason() {
        return "Forbidden";
    }
}
