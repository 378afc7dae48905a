package dev.agentbox.client.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A tiny in-test agentboxd that speaks the HTTP contract of docs/http-api.md: resources with
 * resourceVersions and watches, a claim "controller" that binds claims after a delay, exec answered by a
 * scripted function, and files in memory. Not a sandbox: nothing runs.
 */
public final class FakeAgentboxd implements AutoCloseable {
    public static final String TOKEN = "test-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Map<String, String> GROUPS = Map.of(
            "sandboxes", "agents.x-k8s.io", "sandboxtemplates", "extensions.agents.x-k8s.io",
            "sandboxclaims", "extensions.agents.x-k8s.io", "sandboxwarmpools", "extensions.agents.x-k8s.io", "events", "");
    private static final Map<String, String> KINDS = Map.of(
            "sandboxes", "Sandbox", "sandboxtemplates", "SandboxTemplate", "sandboxclaims", "SandboxClaim", "sandboxwarmpools", "SandboxWarmPool",
            "events", "Event");

    /** What the fake does with a new claim. */
    public enum ClaimMode { BIND, NEVER_READY, FAIL }

    /** A scripted exec answer: exit code, chunks of output (stdout when the boolean is true), timedOut. */
    public record ExecAnswer(int exitCode, List<Map.Entry<Boolean, String>> chunks, boolean timedOut) {
        public static ExecAnswer of(int exitCode, String stdout, String stderr) {
            List<Map.Entry<Boolean, String>> c = new ArrayList<>();
            if (!stdout.isEmpty()) c.add(Map.entry(true, stdout));
            if (!stderr.isEmpty()) c.add(Map.entry(false, stderr));
            return new ExecAnswer(exitCode, c, false);
        }
    }

    private final HttpServer server;
    private final AtomicLong revision = new AtomicLong(1);
    /** key: plural/ns/name */
    private final Map<String, ObjectNode> objects = new ConcurrentHashMap<>();
    private final List<LinkedBlockingQueue<ObjectNode>> watchers = new CopyOnWriteArrayList<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final List<String> images = new CopyOnWriteArrayList<>(List.of("builtin"));
    public final List<JsonNode> execRequests = new CopyOnWriteArrayList<>();
    public volatile ClaimMode claimMode = ClaimMode.BIND;
    public volatile Duration bindDelay = Duration.ofMillis(100);
    public volatile List<String> writeWarnings = List.of();
    public volatile Function<JsonNode, ExecAnswer> exec = FakeAgentboxd::defaultExec;

    static {
        // The JDK's own HTTP server: with jetty-http-spi on the class path (the cli's tests get it through the server
        // module) HttpServer.create would otherwise be Jetty's, which behaves differently (e.g. getAddress() for port 0).
        // agentboxd itself builds its Jetty server directly and is not affected.
        if (System.getProperty("com.sun.net.httpserver.HttpServerProvider") == null) {
            System.setProperty("com.sun.net.httpserver.HttpServerProvider", "sun.net.httpserver.DefaultHttpServerProvider");
        }
    }

    public FakeAgentboxd() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** Stores an object as if it had been created (for get/list tests). */
    public ObjectNode put(String plural, ObjectNode object) {
        ObjectNode meta = object.with("metadata");
        String ns = meta.path("namespace").asText("default");
        meta.put("namespace", ns);
        if (!meta.has("creationTimestamp")) meta.put("creationTimestamp", Instant.now().toString());
        meta.put("resourceVersion", Long.toString(revision.incrementAndGet()));
        String key = plural + "/" + ns + "/" + meta.path("name").asText();
        boolean existed = objects.put(key, object) != null;
        publish(existed ? "MODIFIED" : "ADDED", object);
        return object;
    }

    public ObjectNode get(String plural, String ns, String name) {
        return objects.get(plural + "/" + ns + "/" + name);
    }

    public Map<String, byte[]> files() {
        return files;
    }

    private static ExecAnswer defaultExec(JsonNode req) {
        String shell = req.path("shell").asText("");
        if (shell.startsWith("echo ")) return ExecAnswer.of(0, shell.substring(5) + "\n", "");
        List<String> argv = new ArrayList<>();
        req.path("command").forEach(a -> argv.add(a.asText()));
        if (!argv.isEmpty() && argv.get(0).equals("echo")) return ExecAnswer.of(0, String.join(" ", argv.subList(1, argv.size())) + "\n", "");
        if (!argv.isEmpty() && argv.get(0).equals("false")) return ExecAnswer.of(1, "", "");
        return ExecAnswer.of(127, "", "sh: not found\n");
    }

    // ---- HTTP

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/healthz")) {
                send(ex, 200, "text/plain", "ok".getBytes());
                return;
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (!("Bearer " + TOKEN).equals(auth)) {
                status(ex, 401, "Unauthorized", "missing or unknown bearer token", null);
                return;
            }
            Map<String, String> q = query(ex);
            String[] p = path.substring(1).split("/");
            if (path.equals("/api/v1/images")) {
                images(ex);
            } else if (p.length >= 5 && p.length <= 6 && p[0].equals("api") && p[1].equals("v1") && p[2].equals("namespaces") && p[4].equals("events")) {
                resource(ex, "events", p[3], p.length > 5 ? p[5] : null, q); // core/v1 Events (read them; the fake lets tests put them)
            } else if (p.length == 3 && p[0].equals("api") && p[1].equals("v1") && p[2].equals("events")) {
                resource(ex, "events", null, null, q);
            } else if (p.length >= 6 && p[0].equals("api") && p[2].equals("namespaces") && p[4].equals("sandboxes")) {
                String action = String.join("/", java.util.Arrays.copyOfRange(p, 6, p.length));
                dataPlane(ex, p[3], p[5], action, q);
            } else if (p.length >= 6 && p[0].equals("apis") && p[3].equals("namespaces")) {
                resource(ex, p[5], p[4], p.length > 6 ? p[6] : null, q);
            } else if (p.length == 4 && p[0].equals("apis")) {
                resource(ex, p[3], null, null, q);
            } else {
                status(ex, 404, "NotFound", "no route " + path, null);
            }
        } catch (RuntimeException e) {
            status(ex, 500, "InternalError", e.toString(), null);
        }
    }

    private void resource(HttpExchange ex, String plural, String ns, String name, Map<String, String> q) throws IOException {
        if (!KINDS.containsKey(plural)) {
            status(ex, 404, "NotFound", "unknown resource " + plural, null);
            return;
        }
        String method = ex.getRequestMethod();
        if (name == null && method.equals("GET") && "true".equals(q.get("watch"))) {
            watch(ex, plural, ns, q);
            return;
        }
        if (name == null && method.equals("GET")) {
            ObjectNode list = JSON.createObjectNode();
            list.put("apiVersion", GROUPS.get(plural).isEmpty() ? "v1" : GROUPS.get(plural) + "/v1beta1");
            list.put("kind", KINDS.get(plural) + "List");
            list.putObject("metadata").put("resourceVersion", Long.toString(revision.get()));
            ArrayNode items = list.putArray("items");
            matching(plural, ns, q.get("labelSelector"), null).forEach(items::add);
            json(ex, 200, list);
            return;
        }
        if (name == null && method.equals("POST")) {
            ObjectNode body = (ObjectNode) YAML.readTree(ex.getRequestBody().readAllBytes());
            String n = body.path("metadata").path("name").asText("");
            if (n.isEmpty()) {
                ObjectNode details = JSON.createObjectNode();
                details.putArray("causes").addObject().put("field", "metadata.name").put("message", "required");
                status(ex, 422, "Invalid", "metadata.name: required", details);
                return;
            }
            if (KINDS.get(plural).equals("SandboxClaim") && body.path("spec").path("warmPoolRef").path("name").asText("").isEmpty()) {
                ObjectNode details = JSON.createObjectNode();
                details.putArray("causes").addObject().put("field", "spec.warmPoolRef.name").put("message", "required");
                status(ex, 422, "Invalid", "spec.warmPoolRef.name: required", details);
                return;
            }
            if (get(plural, ns, n) != null) {
                status(ex, 409, "AlreadyExists", KINDS.get(plural) + " " + ns + "/" + n + " already exists", null);
                return;
            }
            body.with("metadata").put("namespace", ns);
            body.remove("status");
            put(plural, body);
            writeWarnings.forEach(w -> ex.getResponseHeaders().add("Warning", "299 - \"" + w + "\""));
            json(ex, 201, body);
            if (plural.equals("sandboxclaims")) startClaim(ns, n);
            return;
        }
        ObjectNode existing = get(plural, ns, name);
        if (existing == null) {
            status(ex, 404, "NotFound", KINDS.get(plural) + " " + ns + "/" + name + " not found", null);
            return;
        }
        switch (method) {
            case "GET" -> json(ex, 200, existing);
            case "DELETE" -> {
                objects.remove(plural + "/" + ns + "/" + name);
                existing.with("metadata").put("resourceVersion", Long.toString(revision.incrementAndGet()));
                publish("DELETED", existing);
                json(ex, 200, existing);
            }
            case "PUT" -> {
                ObjectNode body = (ObjectNode) YAML.readTree(ex.getRequestBody().readAllBytes());
                String rv = body.path("metadata").path("resourceVersion").asText("");
                if (!rv.isEmpty() && !rv.equals(existing.path("metadata").path("resourceVersion").asText())) {
                    status(ex, 409, "Conflict", "resourceVersion " + rv + " is stale", null);
                    return;
                }
                body.with("metadata").put("namespace", ns);
                body.with("metadata").put("creationTimestamp", existing.path("metadata").path("creationTimestamp").asText());
                if (existing.has("status")) body.set("status", existing.get("status"));
                else body.remove("status");
                put(plural, body);
                writeWarnings.forEach(w -> ex.getResponseHeaders().add("Warning", "299 - \"" + w + "\""));
                json(ex, 200, body);
            }
            default -> status(ex, 400, "BadRequest", "method not allowed", null);
        }
    }

    private List<ObjectNode> matching(String plural, String ns, String labelSelector, String name) {
        List<ObjectNode> out = new ArrayList<>();
        new TreeMap<>(objects).forEach((k, v) -> {
            if (k.startsWith(plural + "/") && (ns == null || k.startsWith(plural + "/" + ns + "/"))
                    && labelsMatch(v, labelSelector) && (name == null || name.equals(v.path("metadata").path("name").asText()))) {
                out.add(v);
            }
        });
        return out;
    }

    private static boolean labelsMatch(JsonNode o, String selector) {
        if (selector == null || selector.isBlank()) return true;
        JsonNode labels = o.path("metadata").path("labels");
        for (String term : selector.split(",")) {
            if (term.contains("!=")) {
                String[] kv = term.split("!=", 2);
                if (kv[1].equals(labels.path(kv[0]).asText(null))) return false;
            } else if (term.contains("=")) {
                String[] kv = term.split("==?", 2);
                if (!kv[1].equals(labels.path(kv[0]).asText(null))) return false;
            } else if (!labels.has(term)) {
                return false;
            }
        }
        return true;
    }

    private void publish(String type, ObjectNode object) {
        ObjectNode event = JSON.createObjectNode();
        event.put("type", type);
        event.set("object", object.deepCopy());
        for (LinkedBlockingQueue<ObjectNode> w : watchers) w.add(event);
    }

    private void watch(HttpExchange ex, String plural, String ns, Map<String, String> q) throws IOException {
        LinkedBlockingQueue<ObjectNode> queue = new LinkedBlockingQueue<>();
        watchers.add(queue);
        String name = null;
        String fs = q.get("fieldSelector");
        if (fs != null && fs.startsWith("metadata.name=")) name = fs.substring("metadata.name=".length());
        try {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            for (ObjectNode o : matching(plural, ns, q.get("labelSelector"), name)) {
                ObjectNode event = JSON.createObjectNode().put("type", "ADDED");
                event.set("object", o);
                out.write(JSON.writeValueAsBytes(event));
                out.write('\n');
            }
            out.flush();
            while (true) {
                ObjectNode e = queue.poll(1, TimeUnit.SECONDS);
                if (e == null) {
                    out.write('\n');
                    out.flush();
                    continue;
                }
                JsonNode o = e.get("object");
                String key = plural + "/" + o.path("metadata").path("namespace").asText() + "/" + o.path("metadata").path("name").asText();
                if (!KINDS.get(plural).equals(o.path("kind").asText())) continue;
                if (ns != null && !ns.equals(o.path("metadata").path("namespace").asText())) continue;
                if (name != null && !name.equals(o.path("metadata").path("name").asText())) continue;
                if (!labelsMatch(o, q.get("labelSelector")) || key.isEmpty()) continue;
                out.write(JSON.writeValueAsBytes(e));
                out.write('\n');
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // client went away
        } finally {
            watchers.remove(queue);
            ex.close();
        }
    }

    /** The fake controller: binds the claim to a new Sandbox after bindDelay, or leaves it pending, or fails it. */
    private void startClaim(String ns, String name) {
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(bindDelay.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            ObjectNode claim = get("sandboxclaims", ns, name);
            if (claim == null) return;
            claim = claim.deepCopy();
            ObjectNode status = claim.putObject("status");
            ObjectNode cond = status.putArray("conditions").addObject().put("type", "Ready");
            switch (claimMode) {
                case BIND -> {
                    String sandbox = name + "-sbx";
                    ObjectNode sbx = JSON.createObjectNode().put("apiVersion", "agents.x-k8s.io/v1beta1").put("kind", "Sandbox");
                    sbx.putObject("metadata").put("name", sandbox).put("namespace", ns);
                    sbx.putObject("status").putArray("conditions").addObject().put("type", "Ready").put("status", "True").put("reason", "DependenciesReady");
                    put("sandboxes", sbx);
                    status.putObject("sandbox").put("name", sandbox);
                    cond.put("status", "True").put("reason", "DependenciesReady").put("message", "Sandbox " + sandbox + " is ready");
                }
                case NEVER_READY -> cond.put("status", "False").put("reason", "DependenciesNotReady")
                        .put("message", "SandboxWarmPool missing-pool not found in namespace " + ns + "; create it");
                case FAIL -> cond.put("status", "False").put("reason", "PodFailed").put("message", "the sandbox's process exited with 1");
            }
            put("sandboxclaims", claim);
        });
    }

    private void images(HttpExchange ex) throws IOException {
        if (ex.getRequestMethod().equals("GET")) {
            ArrayNode arr = JSON.createArrayNode();
            images.forEach(n -> arr.addObject().put("name", n));
            json(ex, 200, arr);
        } else {
            JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
            if (body.path("pull").asBoolean()) { // a pull: the fake has every image already (agentboxd answers NDJSON)
                ObjectNode result = JSON.createObjectNode();
                result.putObject("result").put("name", body.path("name").asText()).put("pulled", false).putNull("imageId");
                byte[] line = (JSON.writeValueAsString(result) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
                ex.sendResponseHeaders(200, line.length);
                try (var out = ex.getResponseBody()) {
                    out.write(line);
                }
                return;
            }
            if (!body.path("source").asText("").startsWith("/")) {
                status(ex, 422, "Invalid", "source: must be an absolute path", null);
                return;
            }
            images.add(body.path("name").asText());
            json(ex, 200, body);
        }
    }

    private void dataPlane(HttpExchange ex, String ns, String name, String action, Map<String, String> q) throws IOException {
        if (get("sandboxes", ns, name) == null) {
            status(ex, 404, "NotFound", "sandbox " + ns + "/" + name + " not found", null);
            return;
        }
        String method = ex.getRequestMethod();
        String path = q.get("path");
        if (path != null && (path.contains("..") || path.startsWith("/proc"))) {
            ObjectNode details = JSON.createObjectNode();
            details.putArray("causes").addObject().put("field", "path").put("message", "\"..\" segments are not allowed");
            status(ex, 422, "Invalid", "path: \"..\" segments are not allowed", details);
            return;
        }
        switch (action) {
            case "exec" -> {
                JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
                execRequests.add(req);
                ExecAnswer a = exec.apply(req);
                StringBuilder out = new StringBuilder();
                StringBuilder err = new StringBuilder();
                ObjectNode result = JSON.createObjectNode().put("exitCode", a.exitCode()).put("stdoutTruncated", false)
                        .put("stderrTruncated", false).put("timedOut", a.timedOut()).put("durationMillis", 7);
                if ("true".equals(q.get("stream"))) {
                    ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
                    ex.sendResponseHeaders(200, 0);
                    OutputStream os = ex.getResponseBody();
                    for (Map.Entry<Boolean, String> c : a.chunks()) {
                        os.write(JSON.writeValueAsBytes(JSON.createObjectNode().put(c.getKey() ? "stdout" : "stderr", c.getValue())));
                        os.write('\n');
                        os.flush();
                    }
                    ObjectNode last = JSON.createObjectNode();
                    last.set("result", result);
                    os.write(JSON.writeValueAsBytes(last));
                    os.write('\n');
                    ex.close();
                } else {
                    for (Map.Entry<Boolean, String> c : a.chunks()) (c.getKey() ? out : err).append(c.getValue());
                    result.put("stdout", out.toString()).put("stderr", err.toString());
                    json(ex, 200, result);
                }
            }
            case "files" -> {
                switch (method) {
                    case "GET" -> {
                        byte[] b = files.get(path);
                        if (b == null) status(ex, 404, "NotFound", "file " + path + " not found in sandbox " + name, null);
                        else send(ex, 200, "application/octet-stream", b);
                    }
                    case "PUT" -> {
                        files.put(path, ex.getRequestBody().readAllBytes());
                        send(ex, 204, null, new byte[0]);
                    }
                    case "DELETE" -> {
                        if (files.remove(path) == null) status(ex, 404, "NotFound", "file " + path + " not found", null);
                        else send(ex, 204, null, new byte[0]);
                    }
                    default -> status(ex, 400, "BadRequest", "method", null);
                }
            }
            case "files/mkdir" -> {
                files.put(path.endsWith("/") ? path : path + "/", new byte[0]);
                send(ex, 204, null, new byte[0]);
            }
            case "files/stat", "files/list" -> {
                String dir = path.endsWith("/") ? path : path + "/";
                boolean isDir = files.containsKey(dir) || files.keySet().stream().anyMatch(k -> k.startsWith(dir));
                if (action.equals("files/stat")) {
                    if (files.containsKey(path)) json(ex, 200, entry(path, false));
                    else if (isDir) json(ex, 200, entry(path, true));
                    else status(ex, 404, "NotFound", "no file " + path + " in sandbox " + name, null);
                    return;
                }
                if (!isDir) {
                    status(ex, 404, "NotFound", "no directory " + path, null);
                    return;
                }
                ArrayNode arr = JSON.createArrayNode();
                java.util.Set<String> seen = new java.util.TreeSet<>();
                for (String k : new TreeMap<>(files).keySet()) {
                    if (!k.startsWith(dir) || k.equals(dir)) continue;
                    String rest = k.substring(dir.length());
                    int slash = rest.indexOf('/');
                    String child = slash < 0 ? rest : rest.substring(0, slash);
                    if (seen.add(child)) arr.add(entry(dir + child, slash >= 0));
                }
                json(ex, 200, arr);
            }
            default -> status(ex, 404, "NotFound", "no action " + action, null);
        }
    }

    private ObjectNode entry(String path, boolean dir) {
        String clean = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        byte[] b = files.get(clean);
        return JSON.createObjectNode().put("path", clean).put("name", clean.substring(clean.lastIndexOf('/') + 1))
                .put("type", dir ? "dir" : "file").put("size", b == null ? 0 : b.length).put("mode", dir ? 0755 : 0644)
                .put("modified", 1700000000000L);
    }

    // ---- helpers

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            out.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void json(HttpExchange ex, int code, JsonNode body) throws IOException {
        send(ex, code, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
        if (type != null) ex.getResponseHeaders().set("Content-Type", type);
        if (body.length == 0) {
            ex.sendResponseHeaders(code, -1);
        } else {
            ex.sendResponseHeaders(code, body.length);
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    private static void status(HttpExchange ex, int code, String reason, String message, ObjectNode details) throws IOException {
        ObjectNode s = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
                .put("code", code).put("reason", reason).put("message", message);
        if (details != null) s.set("details", details);
        json(ex, code, s);
    }
}
