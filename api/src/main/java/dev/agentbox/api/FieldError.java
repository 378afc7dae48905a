package dev.agentbox.api;

/** One problem with one field, e.g. {@code spec.warmPoolRef.name: required}. */
public record FieldError(String field, String message) {
    public FieldError {
        if (field == null || field.isBlank()) throw new IllegalArgumentException("field: required");
        if (message == null || message.isBlank()) throw new IllegalArgumentException("message: required");
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
