package dev.agentbox.api;

/** The sandbox or the runtime failed. HTTP 500. */
public class SandboxFailedException extends AgentboxException {
    public SandboxFailedException(String message) {
        super(message);
    }

    public SandboxFailedException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int httpStatus() {
        return 500;
    }

    @Override
    public String reason() {
        return "InternalError";
    }
}
