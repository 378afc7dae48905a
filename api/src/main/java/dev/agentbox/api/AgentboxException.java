package dev.agentbox.api;

/**
 * Base of agentbox's typed errors. Each maps to an HTTP status and a Kubernetes Status reason,
 * so the server, the SDK and the CLI agree on what went wrong. Messages say what to do.
 */
public abstract class AgentboxException extends RuntimeException {

    protected AgentboxException(String message) {
        super(message);
    }

    protected AgentboxException(String message, Throwable cause) {
        super(message, cause);
    }

    /** HTTP status code of this error. */
    public abstract int httpStatus();

    /** Kubernetes Status reason (NotFound, AlreadyExists, Conflict, Invalid, Timeout, ...). */
    public abstract String reason();

    /** Rebuilds the typed exception from an HTTP status, reason and message (used by clients). */
    public static AgentboxException of(int status, String reason, String message) {
        return switch (status) {
            case 400, 422 -> new InvalidException(message);
            case 401 -> new UnauthorizedException(message);
            case 403 -> message != null && message.startsWith("exceeded quota: ") ? new QuotaExceededException(message) : new ForbiddenException(message);
            case 404 -> new NotFoundException(message);
            case 409 -> new ConflictException(message, "AlreadyExists".equals(reason));
            case 408, 504 -> new SandboxTimeoutException(message);
            case 429 -> new LimitExceededException(message);
            default -> new SandboxFailedException(message);
        };
    }
}
