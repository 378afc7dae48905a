package dev.agentbox.api;

/** No or unknown bearer token. HTTP 401. */
public class UnauthorizedException extends AgentboxException {
    public UnauthorizedException(String message) {
        super(message);
    }

    public UnauthorizedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int httpStatus() {
        return 401;
    }

    @Override
    public String reason() {
        return "Unauthorized";
    }
}
