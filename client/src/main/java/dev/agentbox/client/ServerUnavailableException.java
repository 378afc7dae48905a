package dev.agentbox.client;

import dev.agentbox.api.AgentboxException;

/** agentboxd could not be reached (not running, wrong address, connection dropped). */
public class ServerUnavailableException extends AgentboxException {
    public ServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int httpStatus() {
        return 503;
    }

    @Override
    public String reason() {
        return "ServiceUnavailable";
    }
}
