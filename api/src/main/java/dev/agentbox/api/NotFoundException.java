package dev.agentbox.api;

/** The named object, sandbox, image or file does not exist. HTTP 404. */
public class NotFoundException extends AgentboxException {
    public NotFoundException(String message) {
        super(message);
    }

    @Override
    public int httpStatus() {
        return 404;
    }

    @Override
    public String reason() {
        return "NotFound";
    }
}
