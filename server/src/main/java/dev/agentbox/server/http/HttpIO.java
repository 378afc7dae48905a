package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.AgentboxException;
import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.Resources;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small helpers to read requests and write JSON, bytes and Kubernetes Status errors. */
final class HttpIO {
    /**
     * Every request body except file contents: manifests, exec requests, tokens, images. Kubernetes' API server
     * uses the same 3 MiB; it equals {@link Resources#MAX_DOCUMENT_LENGTH}, the most one manifest may hold.
     */
    static final int MAX_REQUEST_BYTES = Resources.MAX_DOCUMENT_LENGTH;
    /** File contents written ({@code PUT .../files}) or read ({@code GET .../files}). */
    static final int MAX_FILE_BYTES = 64 * 1024 * 1024;

    private HttpIO() {}

    /** The query parameters (the last of repeated ones); a malformed escape is a 400. */
    static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null || raw.isEmpty()) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.put(k, v);
            } catch (IllegalArgumentException e) {
                throw new BadRequest("malformed query parameter '" + pair + "': " + e.getMessage() + "; percent-encode it");
            }
        }
        return out;
    }

    /** A JSON/YAML request body, at most {@link #MAX_REQUEST_BYTES}. */
    static byte[] body(HttpExchange ex) throws IOException {
        return body(ex, MAX_REQUEST_BYTES, "the limit for manifests and other API requests; split the manifest, "
                + "or put large data in files (PUT .../files takes up to " + MAX_FILE_BYTES + " bytes)");
    }

    /** File contents, at most {@link #MAX_FILE_BYTES}. */
    static byte[] fileBody(HttpExchange ex) throws IOException {
        return body(ex, MAX_FILE_BYTES, "the limit for one file upload; split the file, or compress it and unpack it in the sandbox");
    }

    /**
     * Reads the body, refusing one over {@code limit} with 413 before reading it when Content-Length says so, and
     * otherwise as soon as the limit is passed: memory never holds more than about twice the limit, whatever is sent.
     */
    private static byte[] body(HttpExchange ex, int limit, String whatToDo) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null && parseLength(length) > limit) throw tooLarge(limit, whatToDo);
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes(limit + 1);
            if (body.length > limit) throw tooLarge(limit, whatToDo);
            return body;
        }
    }

    private static long parseLength(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest("Content-Length " + length + " is not a number");
        }
    }

    private static TooLarge tooLarge(int limit, String whatToDo) {
        return new TooLarge("request body is larger than " + limit + " bytes (" + (limit >> 20) + " MiB), " + whatToDo);
    }

    /**
     * The body as a JSON object, for the routes that take one (exec, tokens, images). JSON limits as for manifests
     * ({@link Resources#readJson}); anything but an object ({@code null}, a list, a string, nothing) is a 400.
     */
    static ObjectNode jsonObject(HttpExchange ex, String what) throws IOException {
        byte[] body = body(ex);
        JsonNode node = body.length == 0 ? null : Resources.readJson(body);
        if (node instanceof ObjectNode object) return object;
        String found = node == null || node.isMissingNode() ? "an empty body" : node.isNull() ? "null" : "a JSON " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        throw new BadRequest(what + " must be a JSON object ({...}), found " + found);
    }

    /** A JSON object converted to {@code type}; a value of the wrong type is a 422 naming its field. */
    static <T> T convert(ObjectMapper mapper, JsonNode node, Class<T> type) {
        try {
            return mapper.treeToValue(node, type);
        } catch (JsonMappingException e) {
            String field = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("(root)");
            String problem = e.getOriginalMessage() == null ? "invalid value" : e.getOriginalMessage().replaceAll("\\s+", " ");
            throw new InvalidException(field, "wrong type: " + problem);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidException("cannot read the body: " + e.getOriginalMessage());
        }
    }

    /** {@code true}/{@code false} (also 1/0); absent or empty is {@code dflt}; anything else is a 400. */
    static boolean booleanParam(Map<String, String> q, String name, boolean dflt) {
        String v = q.get(name);
        if (v == null || v.isEmpty()) return dflt;
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new BadRequest(name + "=" + v + " is not a boolean; use true or false");
        };
    }

    /** A non-negative integer parameter, or null when absent; anything else is a 400. */
    static Long countParam(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isEmpty()) return null;
        try {
            long n = Long.parseLong(v);
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadRequest(name + "=" + v + " is not a non-negative integer");
    }

    /** Throws a 405 (with an Allow header) unless the request's method is one of {@code allowed}. */
    static void requireMethod(HttpExchange ex, String what, String... allowed) {
        String method = ex.getRequestMethod();
        if (Arrays.asList(allowed).contains(method)) return;
        throw new MethodNotAllowed("method " + method + " is not allowed on " + what + "; use " + String.join(", ", allowed), allowed);
    }

    static void json(HttpExchange ex, int status, ObjectMapper mapper, Object value) throws IOException {
        bytes(ex, status, "application/json", mapper.writeValueAsBytes(value));
    }

    static void bytes(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        if (status == 204 || body.length == 0) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    /** A Kubernetes Status object for the error. */
    static ObjectNode status(ObjectMapper mapper, AgentboxException e, String kind, String name) {
        ObjectNode status = mapper.createObjectNode();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.putObject("metadata");
        status.put("status", "Failure");
        status.put("message", e.getMessage());
        status.put("reason", e.reason());
        status.put("code", e.httpStatus());
        ObjectNode details = status.putObject("details");
        if (name != null) details.put("name", name);
        if (kind != null) details.put("kind", kind);
        if (e instanceof InvalidException invalid && !invalid.errors().isEmpty()) {
            ArrayNode causes = details.putArray("causes");
            for (FieldError fe : invalid.errors()) {
                causes.addObject().put("field", fe.field()).put("message", fe.message()).put("reason", "FieldValueInvalid");
            }
        }
        if (e instanceof StatusError se) se.addTo(status);
        return status;
    }

    /** Writes a Kubernetes Status object for the error. */
    static void error(HttpExchange ex, ObjectMapper mapper, AgentboxException e, String kind, String name) throws IOException {
        if (e instanceof MethodNotAllowed m) ex.getResponseHeaders().set("Allow", String.join(", ", m.allowed));
        json(ex, e.httpStatus(), mapper, status(mapper, e, kind, name));
    }

    /** The request body is over its limit. HTTP 413. */
    static final class TooLarge extends AgentboxException {
        TooLarge(String message) {
            super(message);
        }

        @Override
        public int httpStatus() {
            return 413;
        }

        @Override
        public String reason() {
            return "RequestEntityTooLarge";
        }
    }

    /** A malformed request: a query parameter, a header or a body of the wrong shape. HTTP 400. */
    static final class BadRequest extends AgentboxException {
        BadRequest(String message) {
            super(message);
        }

        @Override
        public int httpStatus() {
            return 400;
        }

        @Override
        public String reason() {
            return "BadRequest";
        }
    }

    /** The route does not take this method. HTTP 405, with the methods it takes in an Allow header. */
    static final class MethodNotAllowed extends AgentboxException {
        private final String[] allowed;

        MethodNotAllowed(String message, String... allowed) {
            super(message);
            this.allowed = allowed.clone();
        }

        @Override
        public int httpStatus() {
            return 405;
        }

        @Override
        public String reason() {
            return "MethodNotAllowed";
        }
    }
}
