package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.server.store.Store;
import java.util.Base64;

/**
 * A list's {@code continue} token, in Kubernetes' shape: base64url (unpadded) of
 * {@code {"v":"meta.k8s.io/v1","rv":REVISION,"start":"NAMESPACE/NAME\u0000"}} ({@code NAME\u0000} for cluster-scoped
 * kinds): the next page is the list as of {@code rv}, starting after that key. {@code rv} -1 (handed out with a 410 when
 * {@code rv} has left the history) continues from the current state, as Kubernetes' inconsistent continue.
 */
record ContinueToken(long revision, Store.Key after) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VERSION = "meta.k8s.io/v1";

    String encode(boolean namespaced) {
        ObjectNode o = JSON.createObjectNode();
        o.put("v", VERSION);
        o.put("rv", revision);
        o.put("start", (namespaced ? after.namespace() + "/" : "") + after.name() + "\u0000");
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(o));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static ContinueToken decode(String token, boolean namespaced) {
        JsonNode o;
        try {
            o = JSON.readTree(Base64.getUrlDecoder().decode(token.replace('+', '-').replace('/', '_').replace("=", "")));
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw invalid("not the continue token of a list from this server");
        }
        if (o == null || !VERSION.equals(o.path("v").asText(null))) throw invalid("unknown version");
        if (!o.path("rv").canConvertToLong() || o.path("rv").asLong() == 0 || o.path("rv").asLong() < -1) throw invalid("no resource version");
        String start = o.path("start").asText("");
        if (start.endsWith("\u0000")) start = start.substring(0, start.length() - 1);
        if (start.isEmpty() || start.contains("\u0000")) throw invalid("no start key");
        Store.Key key;
        if (namespaced) {
            int slash = start.indexOf('/');
            if (slash < 0 || start.indexOf('/', slash + 1) >= 0) throw invalid("the start key is not NAMESPACE/NAME");
            key = new Store.Key(start.substring(0, slash), start.substring(slash + 1));
        } else {
            if (start.contains("/")) throw invalid("the start key is not a name");
            key = new Store.Key("", start);
        }
        return new ContinueToken(o.get("rv").asLong(), key);
    }

    private static HttpIO.BadRequest invalid(String why) {
        return new HttpIO.BadRequest("invalid continue token: " + why + "; start the list again without continue");
    }

}
