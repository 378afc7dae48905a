package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.AgentboxException;
import java.util.List;

/**
 * An error answered as a Kubernetes Status with a code and reason of its own and, where Kubernetes gives them,
 * {@code details.causes} (e.g. the fields and managers of a server-side apply conflict), {@code metadata.continue} (a
 * fresh continue token with a 410) and {@code details.retryAfterSeconds}.
 */
final class StatusError extends AgentboxException {
    /** One {@code details.causes} entry: {@code reason} is Kubernetes' CauseType (FieldManagerConflict, ...). */
    record Cause(String reason, String message, String field) {}

    private final int code;
    private final String reason;
    private final List<Cause> causes;
    private final String continueToken;
    private final Integer retryAfterSeconds;

    StatusError(int code, String reason, String message, List<Cause> causes, String continueToken, Integer retryAfterSeconds) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.causes = List.copyOf(causes);
        this.continueToken = continueToken;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    StatusError(int code, String reason, String message) {
        this(code, reason, message, List.of(), null, null);
    }

    /** 415, for a PATCH whose Content-Type is not a patch type agentboxd takes. */
    static StatusError unsupportedMediaType(String contentType) {
        return new StatusError(415, "UnsupportedMediaType", "the body of the request was in an unknown format ("
                + (contentType == null || contentType.isEmpty() ? "no Content-Type" : contentType) + ") - accepted media types include: "
                + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
    }

    @Override
    public int httpStatus() {
        return code;
    }

    @Override
    public String reason() {
        return reason;
    }

    /** Adds the causes, continue token and retry hint to a Status built by {@link HttpIO#status}. */
    void addTo(ObjectNode status) {
        if (continueToken != null) status.with("metadata").put("continue", continueToken);
        ObjectNode details = status.with("details");
        if (retryAfterSeconds != null) details.put("retryAfterSeconds", retryAfterSeconds);
        if (!causes.isEmpty()) {
            ArrayNode out = details.putArray("causes");
            for (Cause c : causes) {
                ObjectNode o = out.addObject();
                if (c.reason() != null) o.put("reason", c.reason());
                if (c.message() != null) o.put("message", c.message());
                if (c.field() != null) o.put("field", c.field());
            }
        }
    }
}
