package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.AgentboxException;
import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small helpers to read requests and write JSON, bytes and Kubernetes Status errors. */
final class HttpIO {
    /** Request bodies (manifests, files) larger than this are refused with 413. */
    static final int MAX_BODY_BYTES = 64 * 1024 * 1024;

    private HttpIO() {}

    static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null || raw.isEmpty()) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    static byte[] body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > MAX_BODY_BYTES) {
                    throw new TooLarge("request body is larger than " + MAX_BODY_BYTES + " bytes; send smaller files");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
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

    /** Writes a Kubernetes Status object for the error. */
    static void error(HttpExchange ex, ObjectMapper mapper, AgentboxException e, String kind, String name) throws IOException {
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
        json(ex, e.httpStatus(), mapper, status);
    }

    /** The request body is over {@link #MAX_BODY_BYTES}. HTTP 413. */
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
}
