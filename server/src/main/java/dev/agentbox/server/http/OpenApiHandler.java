package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.AgentboxException;
import dev.agentbox.api.NotFoundException;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /openapi/v2} (Swagger 2.0 as JSON, or as gnostic protobuf when asked, which is what kubectl asks for),
 * {@code /openapi/v3} (the index of group versions) and {@code /openapi/v3/apis/{group}/{version}} (OpenAPI 3.0 JSON), as
 * kube-apiserver serves them; see {@link OpenApiDocuments} for what they hold. The documents do not change while the
 * daemon runs: they are built once, on first use. As kube-apiserver, a v3 document asked for with a stale {@code hash}
 * is a redirect to the current one, and with the current hash it may be cached for good.
 */
final class OpenApiHandler {
    /** What client-go asks for (the canonical name; '@' is not valid in a media type, so Go cannot parse it as a Content-Type). */
    static final String V2_PROTOBUF_ASKED = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    /** What kube-apiserver answers it with, and also accepts. */
    static final String V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    private final ObjectMapper mapper;
    private volatile Built built;

    /** The documents as bytes, with the v3 hashes. */
    private record Built(byte[] v2Json, byte[] v2Protobuf, byte[] v3Index, Map<String, byte[]> v3, Map<String, String> v3Hash) {
    }

    OpenApiHandler(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    static boolean handles(String path) {
        return path.equals("/openapi/v2") || path.equals("/openapi/v3") || path.equals("/openapi/v3/") || path.startsWith("/openapi/v3/");
    }

    void handle(HttpExchange ex, String path) throws IOException {
        HttpIO.requireMethod(ex, "the OpenAPI document " + path, "GET");
        Built b = built();
        ex.getResponseHeaders().set("Vary", "Accept");
        if (path.equals("/openapi/v2")) {
            for (MediaTypes.MediaType t : MediaTypes.accepted(ex)) {
                if (t.type().equals(V2_PROTOBUF_ASKED) || t.type().equals(V2_PROTOBUF)) {
                    HttpIO.bytes(ex, 200, V2_PROTOBUF, b.v2Protobuf());
                    return;
                }
                if (t.isPlainJson()) break;
            }
            HttpIO.bytes(ex, 200, "application/json", b.v2Json());
            return;
        }
        if (path.equals("/openapi/v3") || path.equals("/openapi/v3/")) {
            HttpIO.bytes(ex, 200, "application/json", b.v3Index());
            return;
        }
        String groupVersion = path.substring("/openapi/v3/".length());
        if (groupVersion.endsWith("/")) groupVersion = groupVersion.substring(0, groupVersion.length() - 1);
        byte[] doc = b.v3().get(groupVersion);
        if (doc == null) throw new NotFoundException("no OpenAPI v3 document for " + groupVersion + "; see /openapi/v3 for the served group versions");
        if (!acceptsJson(ex)) throw new NotAcceptable("the OpenAPI v3 documents are served as application/json only");
        String hash = b.v3Hash().get(groupVersion);
        String asked = HttpIO.query(ex).get("hash");
        ex.getResponseHeaders().set("Etag", "\"" + hash + "\"");
        if (asked != null && !asked.isEmpty()) {
            if (!asked.equals(hash)) {
                ex.getResponseHeaders().set("Location", serverRelativeUrl(groupVersion, hash));
                HttpIO.bytes(ex, 301, "text/plain", new byte[0]);
                return;
            }
            ex.getResponseHeaders().set("Cache-Control", "public, immutable");
        } else {
            ex.getResponseHeaders().set("Cache-Control", "no-cache, private");
        }
        HttpIO.bytes(ex, 200, "application/json", doc);
    }

    private static boolean acceptsJson(HttpExchange ex) {
        var accepted = MediaTypes.accepted(ex);
        return accepted.isEmpty() || accepted.stream().anyMatch(MediaTypes.MediaType::isPlainJson);
    }

    private static String serverRelativeUrl(String groupVersion, String hash) {
        return "/openapi/v3/" + groupVersion + "?hash=" + hash;
    }

    private Built built() throws IOException {
        Built b = built;
        if (b != null) return b;
        synchronized (this) {
            if (built != null) return built;
            OpenApiDocuments documents = new OpenApiDocuments(ServedKinds.instance(), mapper);
            ObjectNode v2 = documents.v2();
            Map<String, byte[]> v3 = new LinkedHashMap<>();
            Map<String, String> hashes = new LinkedHashMap<>();
            ObjectNode index = mapper.createObjectNode();
            ObjectNode paths = index.putObject("paths");
            for (String gv : documents.v3GroupVersions()) {
                byte[] doc = mapper.writeValueAsBytes(documents.v3(gv));
                String hash = sha512(doc);
                v3.put(gv, doc);
                hashes.put(gv, hash);
                paths.putObject(gv).put("serverRelativeURL", serverRelativeUrl(gv, hash));
            }
            built = new Built(mapper.writeValueAsBytes(v2), OpenApiV2Protobuf.encode(v2), mapper.writeValueAsBytes(index), Map.copyOf(v3), Map.copyOf(hashes));
            return built;
        }
    }

    private static String sha512(byte[] bytes) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** No media type the client accepts can be served. HTTP 406. */
    static final class NotAcceptable extends AgentboxException {
        NotAcceptable(String message) {
            super(message);
        }

        @Override
        public int httpStatus() {
            return 406;
        }

        @Override
        public String reason() {
            return "NotAcceptable";
        }
    }
}
