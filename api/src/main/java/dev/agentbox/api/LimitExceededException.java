package dev.agentbox.api;

/** The sandbox is alive but at one of its limits (its process count), so the request could not run. HTTP 429. */
public class LimitExceededException extends AgentboxException {
    public LimitExceededException(String message) {
        super(message);
    }

    @Override
    public int httpStatus() {
        return 429;
    }

    @Override
    public String reason() {
        return "TooManyRequests";
    }
}
