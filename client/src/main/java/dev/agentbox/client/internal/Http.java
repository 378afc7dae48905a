package dev.agentbox.client.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentbox.api.AgentboxException;
import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.SandboxTimeoutException;
import dev.agentbox.client.ServerUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

/** The HTTP transport: bearer auth, JSON, and Kubernetes Status errors turned into typed exceptions. */
public final class Http implements AutoCloseable {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

    private static final Pattern WARNING = Pattern.compile("^\\s*\\d{3}\\s+\\S+\\s+\"(.*)\"\\s*$");

    private final URI endpoint;
    private final String token;
    private final Duration requestTimeout;
    private final HttpClient client;

    private final Path caFile;

    public Http(URI endpoint, String token, Duration requestTimeout) {
        this(endpoint, token, requestTimeout, null, null);
    }

    /**
     * @param tls for an https endpoint: the context that trusts agentboxd's CA ({@code caFile}); null: the JDK's default
     * @param caFile the CA file {@code tls} was built from, named in handshake errors (null: none)
     */
    public Http(URI endpoint, String token, Duration requestTimeout, SSLContext tls, Path caFile) {
        this.endpoint = endpoint;
        this.token = token;
        this.requestTimeout = requestTimeout;
        this.caFile = caFile;
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10));
        if (tls != null) b.sslContext(tls); // hostname verification stays on: agentboxd's certificate names 127.0.0.1 and localhost
        this.client = b.build();
    }

    public URI endpoint() {
        return endpoint;
    }

    /**
     * Opens a WebSocket to agentboxd (the port-forward endpoint) with the token; a refused handshake is the typed
     * exception of its Status answer.
     */
    public java.net.http.WebSocket webSocket(String pathAndQuery, java.net.http.WebSocket.Listener listener, String target) {
        String ws = endpoint.toString().replaceFirst("^http", "ws");
        java.net.http.WebSocket.Builder b = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (token != null && !token.isEmpty()) b.header("Authorization", "Bearer " + token);
        try {
            return b.buildAsync(URI.create(ws + pathAndQuery), listener).get(requestTimeout == null ? 60_000 : requestTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException h) {
                // the JDK's WebSocket client drops the refusal's body (agentboxd's Status): say what the code means
                int status = h.getResponse().statusCode();
                Object body = h.getResponse().body();
                String why = switch (status) {
                    case 502 -> "nothing listens on " + target + " (connection refused); start a server on 127.0.0.1 or 0.0.0.0 inside";
                    case 409 -> target + ": the sandbox is not running; wait until it is Ready";
                    case 404 -> target + ": the sandbox does not exist";
                    case 403 -> "the token may not access " + target;
                    case 401 -> "missing or unknown bearer token for " + target;
                    default -> "HTTP " + status + " from agentboxd opening " + target;
                };
                throw toException(status, body instanceof byte[] bytes && bytes.length > 0 ? bytes : why.getBytes(StandardCharsets.UTF_8));
            }
            if (e.getCause() instanceof IOException io) throw transportError(io, "GET", pathAndQuery);
            throw new ServerUnavailableException("cannot open " + pathAndQuery + " on agentboxd at " + endpoint + ": " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new SandboxTimeoutException("GET " + pathAndQuery + " got no answer from " + endpoint + " in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerUnavailableException("interrupted while opening " + pathAndQuery, e);
        }
    }

    /** Stops open watches and streams and frees the connections. */
    @Override
    public void close() {
        client.shutdownNow();
    }

    /** A response whose status was below 400. */
    public record Response(int status, byte[] body, List<String> warnings) {
        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new dev.agentbox.api.SandboxFailedException("the server sent JSON that does not parse: " + e.getMessage());
            }
        }
    }

    /** Builds {@code path?k=v&...}, skipping null values. */
    public static String path(String path, Map<String, String> query) {
        StringBuilder sb = new StringBuilder(path);
        char sep = '?';
        for (Map.Entry<String, String> e : query.entrySet()) {
            if (e.getValue() == null) continue;
            sb.append(sep).append(enc(e.getKey())).append('=').append(enc(e.getValue()));
            sep = '&';
        }
        return sb.toString();
    }

    public static Map<String, String> query(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public Response send(String method, String pathAndQuery, byte[] body, String contentType) {
        return send(method, pathAndQuery, body, contentType, requestTimeout);
    }

    /** Sends a request and returns the answer, or throws the typed exception for a 4xx/5xx. timeout null: none. */
    public Response send(String method, String pathAndQuery, byte[] body, String contentType, Duration timeout) {
        HttpRequest request = request(method, pathAndQuery, body, contentType, timeout);
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw transportError(e, method, pathAndQuery);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerUnavailableException("interrupted while waiting for " + endpoint, e);
        }
        if (response.statusCode() >= 400) throw toException(response.statusCode(), response.body());
        return new Response(response.statusCode(), response.body(), warnings(response));
    }

    public Response sendJson(String method, String pathAndQuery, Object value) {
        return send(method, pathAndQuery, toJson(value), "application/json");
    }

    /** Opens a streaming answer (watch, streamed exec); the caller closes the stream. */
    public InputStream stream(String method, String pathAndQuery, byte[] body, String contentType) {
        HttpRequest request = request(method, pathAndQuery, body, contentType, null);
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw transportError(e, method, pathAndQuery);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerUnavailableException("interrupted while waiting for " + endpoint, e);
        }
        if (response.statusCode() >= 400) {
            byte[] errorBody;
            try (InputStream in = response.body()) {
                errorBody = in.readAllBytes();
            } catch (IOException e) {
                errorBody = new byte[0];
            }
            throw toException(response.statusCode(), errorBody);
        }
        return response.body();
    }

    public static byte[] toJson(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getMessage(), e);
        }
    }

    private HttpRequest request(String method, String pathAndQuery, byte[] body, String contentType, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (timeout != null) b.timeout(timeout);
        if (token != null && !token.isEmpty()) b.header("Authorization", "Bearer " + token);
        if (contentType != null) b.header("Content-Type", contentType);
        b.header("Accept", "application/json");
        return b.build();
    }

    private AgentboxException transportError(IOException e, String method, String path) {
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException || e.getCause() instanceof ConnectException) {
            return new ServerUnavailableException("cannot reach agentboxd at " + endpoint
                    + " (connection refused); start it with `agentbox serve`, or set --server / AGENTBOX_URL", e);
        }
        if (e instanceof HttpTimeoutException) {
            return new SandboxTimeoutException(method + " " + path + " got no answer from " + endpoint + " in time", e);
        }
        if (e instanceof SSLHandshakeException || e.getCause() instanceof SSLHandshakeException) {
            return new ServerUnavailableException("the TLS handshake with " + endpoint + " failed (" + e.getMessage() + "); "
                    + (caFile != null ? "its certificate must chain to the CA in " + caFile : "no CA file was given, so only the JDK's default trust store was used")
                    + ". agentboxd's CA is STATE_DIR/" + dev.agentbox.client.AgentboxTls.CA_FILE
                    + ": set AGENTBOX_HOME to its state directory, or AGENTBOX_CA_FILE (agentbox --ca-file) to the file", e);
        }
        String hint = "http".equals(endpoint.getScheme())
                ? " (agentboxd serves HTTPS unless started with --insecure-http: should the address be https://?)" : "";
        return new ServerUnavailableException("lost the connection to agentboxd at " + endpoint + " during "
                + method + " " + path + ": " + e + hint, e);
    }

    private static List<String> warnings(HttpResponse<?> response) {
        List<String> out = new ArrayList<>();
        for (String w : response.headers().allValues("Warning")) {
            Matcher m = WARNING.matcher(w);
            out.add(m.matches() ? m.group(1) : w);
        }
        return out;
    }

    /** Turns a Kubernetes Status body (or any error body) into the matching typed exception. */
    public static AgentboxException toException(int status, byte[] body) {
        String text = body == null ? "" : new String(body, StandardCharsets.UTF_8).trim();
        String reason = null;
        String message = null;
        List<FieldError> causes = new ArrayList<>();
        try {
            JsonNode n = MAPPER.readTree(text);
            if (n != null && n.isObject()) {
                reason = n.path("reason").asText(null);
                message = n.path("message").asText(null);
                for (JsonNode c : n.path("details").path("causes")) {
                    String field = c.path("field").asText("");
                    String msg = c.path("message").asText("");
                    if (!field.isBlank() && !msg.isBlank()) causes.add(new FieldError(field, msg));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not a Status object: use the text
        }
        if (message == null || message.isBlank()) {
            message = text.isEmpty() ? "HTTP " + status + " from agentboxd" : text;
        }
        if ((status == 400 || status == 422) && !causes.isEmpty()) return new InvalidException(causes);
        if (status == 413) return new InvalidException(message);
        return AgentboxException.of(status, reason, message);
    }
}
