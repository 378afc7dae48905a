package dev.agentbox.api;

/** An operation did not finish within its time limit. HTTP 504. */
public class SandboxTimeoutException extends AgentboxException {
    public SandboxTimeoutException(String message) {
        super(message);
    }

    public SandboxTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int httpStatus() {
        return 504;
    }

    @Override
    public String reason() {
        return "Timeout";
    }
}
