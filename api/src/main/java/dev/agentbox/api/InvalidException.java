package dev.agentbox.api;

import java.util.List;
import java.util.stream.Collectors;

/** The input is malformed or breaks a rule; {@link #errors()} names every bad field. HTTP 422. */
public class InvalidException extends AgentboxException {
    private final List<FieldError> errors;

    public InvalidException(List<FieldError> errors) {
        super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public InvalidException(String field, String message) {
        this(List.of(new FieldError(field, message)));
    }

    /** An error that is not tied to one field (for example YAML that does not parse). */
    public InvalidException(String message) {
        super(message);
        this.errors = List.of();
    }

    public List<FieldError> errors() {
        return errors;
    }

    @Override
    public int httpStatus() {
        return 422;
    }

    @Override
    public String reason() {
        return "Invalid";
    }
}
