package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ports without a network (issue 12): the proxy path, port-forward and the router listener reach servers inside a real
 * gVisor sandbox over the agent channel. The sandbox's main process is a standard-library Python stand-in for
 * upstream's python-runtime-sandbox (HTTP on 8888, a WebSocket echo on 8765), Ready only through its httpGet probe.
 */
class PortsTest {
    static Daemon daemon;
    static String sandbox;
    /** Trusts agentboxd's CA (the API and proxy are HTTPS; the router listener is plain HTTP on loopback). */
    static HttpClient http;

    static String resource(String name) {
        try (InputStream in = PortsTest.class.getResourceAsStream("/ports/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void start() {
        daemon = new Daemon(new AgentboxdConfig.RouterListener("127.0.0.1", 0, true));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(dev.agentbox.client.AgentboxTls.trusting(daemon.agentboxd.caFile())).build();
        daemon.createOk("default", """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: runtime
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: runtime
                        image: agentbox/builtin
                        command: ["python3", "-c", %s]
                        workingDir: /app
                        volumeMounts:
                        - {name: app, mountPath: /app}
                        ports:
                        - {name: http, containerPort: 8888}
                        - {name: ws, containerPort: 8765}
                        readinessProbe:
                          httpGet: {path: /, port: http}
                          periodSeconds: 1
                        resources:
                          limits: {memory: 512Mi, cpu: "1"}
                      volumes:
                      - {name: app, emptyDir: {medium: Memory}}
                """.formatted(Daemon.JSON.valueToTree(resource("runtime_server.py")).toString()));
        daemon.createOk("default", """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: runtime
                spec:
                  replicas: 1
                  sandboxTemplateRef:
                    name: runtime
                """);
        daemon.createOk("default", Daemon.claim("web", "runtime"));
        try {
            sandbox = daemon.awaitClaimReady("default", "web");
        } catch (RuntimeException e) {
            for (JsonNode sb : daemon.list("default", "sandboxes")) { // what the server inside said, to see why
                String name = sb.path("metadata").path("name").asText();
                System.err.println("log of " + name + ":\n" + daemon.call("GET", "/api/v1/namespaces/default/sandboxes/" + name + "/log", null).body());
            }
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        if (daemon == null) return;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(daemon.agentboxd.openStreams()).as("streams left open").isZero());
        daemon.close();
    }

    static String proxy(String nameAndPort, String path) {
        return daemon.agentboxd.endpoint() + "/api/v1/namespaces/default/sandboxes/" + nameAndPort + "/proxy" + path;
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theTemplatesHttpServerIsReadyThroughItsProbeAndAnswersThroughTheProxyPath() throws Exception {
        JsonNode sb = daemon.get("default", "sandboxes", sandbox);
        assertThat(Daemon.ready(sb)).isTrue();
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":8888", "/?a=1"))).header("Authorization", "Bearer " + daemon.token));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Daemon.JSON.readTree(r.body());
        assertThat(body.path("message").asText()).isEqualTo("Sandbox Runtime is active.");
        JsonNode seen = body.path("seen");
        assertThat(seen.has("authorization")).as("agentboxd's token is not passed to the server inside").isFalse();
        assertThat(seen.path("x-forwarded-prefix").asText()).isEqualTo("/api/v1/namespaces/default/sandboxes/" + sandbox + ":8888/proxy");

        // by port name, a POST with a body, and the server's own status codes come back as they are
        HttpResponse<String> exec = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":http", "/execute")))
                .header("Authorization", "Bearer " + daemon.token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\": \"echo proxied; exit 4\"}")));
        assertThat(exec.statusCode()).as(exec.body()).isEqualTo(200);
        assertThat(Daemon.JSON.readTree(exec.body()).path("stdout").asText()).isEqualTo("proxied\n");
        assertThat(Daemon.JSON.readTree(exec.body()).path("exit_code").asInt()).isEqualTo(4);
        HttpResponse<String> missing = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":8888", "/download/nope")))
                .header("Authorization", "Bearer " + daemon.token));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("File not found");
        // the first declared containerPort without a port in the path
        assertThat(send(HttpRequest.newBuilder(URI.create(proxy(sandbox, "/"))).header("Authorization", "Bearer " + daemon.token)).statusCode()).isEqualTo(200);
    }

    @Test
    void aPortNothingListensOnIsABadGatewayThatNamesThePort() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":9999", "/"))).header("Authorization", "Bearer " + daemon.token));
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(Daemon.JSON.readTree(r.body()).path("message").asText()).contains("nothing listens on port 9999 of sandbox default/" + sandbox);
        HttpResponse<String> bad = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":99999", "/"))).header("Authorization", "Bearer " + daemon.token));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("invalid port \\\"99999\\\"");
    }

    /** Collects a WebSocket's messages; {@code demand} false: asks for nothing (a client that stops reading). */
    static final class Collector implements WebSocket.Listener {
        final ByteArrayOutputStream binary = new ByteArrayOutputStream();
        final List<String> texts = new ArrayList<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final boolean demand;

        Collector(boolean demand) {
            this.demand = demand;
        }

        @Override
        public void onOpen(WebSocket ws) {
            if (demand) ws.request(1);
        }

        @Override
        public synchronized CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            ws.request(1);
            return null;
        }

        @Override
        public synchronized CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            texts.add(data.toString());
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }

        synchronized byte[] bytes() {
            return binary.toByteArray();
        }

        synchronized List<String> textsSoFar() {
            return List.copyOf(texts);
        }
    }

    static WebSocket ws(String url, String token, WebSocket.Listener listener) {
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b.buildAsync(URI.create(url.replaceFirst("^http", "ws")), listener).orTimeout(60, TimeUnit.SECONDS).join();
    }

    static String portForward(String namespace, String name, String port) {
        return daemon.agentboxd.endpoint() + "/api/v1/namespaces/" + namespace + "/sandboxes/" + name + "/portforward?port=" + port;
    }

    @Test
    void portForwardCarriesOneTcpConnectionBothWaysAndEndsWhenTheServerInsideCloses() throws Exception {
        Collector c = new Collector(true);
        WebSocket ws = ws(portForward("default", sandbox, "8888"), daemon.token, c);
        ws.sendBinary(ByteBuffer.wrap("GET /exists/app HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), true).join();
        ws.sendText("shutdown", true).join(); // half-close: the server reads the end of the request and still answers
        assertThat(c.closed.get(30, TimeUnit.SECONDS)).as("closed normally once the server inside closed the connection").isEqualTo(1000);
        String answer = new String(c.bytes(), StandardCharsets.ISO_8859_1);
        assertThat(answer).startsWith("HTTP/1.1 200").contains("\"exists\": false");
    }

    @Test
    void aWebSocketEchoServerInsideTheSandboxAnswersThroughTheProxy() throws Exception {
        Collector c = new Collector(true);
        WebSocket ws = ws(proxy(sandbox + ":ws", "/echo"), daemon.token, c);
        ws.sendText("hello", true).join();
        byte[] big = new byte[300_000]; // bigger than one 64 KiB buffer each way
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
        ws.sendBinary(ByteBuffer.wrap(big), true).join();
        await().atMost(Duration.ofSeconds(30)).until(() -> c.bytes().length >= big.length);
        assertThat(c.textsSoFar()).containsExactly("echo: hello");
        assertThat(c.bytes()).isEqualTo(big);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        assertThat(c.closed.get(30, TimeUnit.SECONDS)).isEqualTo(1000);
    }

    @Test
    void aClientThatStopsReadingDoesNotStallTheSandboxsOtherTraffic() throws Exception {
        // made by the server's own user (the main process's), which owns /app
        HttpResponse<String> made = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":8888", "/execute"))).header("Authorization", "Bearer " + daemon.token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\": \"head -c 30000000 /dev/zero > big && echo ok\"}")));
        assertThat(Daemon.JSON.readTree(made.body()).path("stdout").asText()).as(made.body()).isEqualTo("ok\n");
        Collector stalled = new Collector(false); // takes no message: the download stops in the flow control
        WebSocket ws = ws(portForward("default", sandbox, "8888"), daemon.token, stalled);
        ws.sendBinary(ByteBuffer.wrap("GET /download/big HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), true).join();
        Thread.sleep(1000);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":8888", "/exists/big"))).header("Authorization", "Bearer " + daemon.token));
            assertThat(r.body()).contains("\"exists\": true");
        }
        assertThat(daemon.exec("default", sandbox, "echo alive").json().path("stdout").asText()).isEqualTo("alive\n");
        ws.abort();
        send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":8888", "/execute"))).header("Authorization", "Bearer " + daemon.token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\": \"rm big\"}")));
    }

    @Test
    void theUpstreamPythonClientReachesTheRuntimeServerThroughTheRouterHeaders() throws Exception {
        java.nio.file.Path client = java.nio.file.Files.createTempFile("router_client", ".py");
        try {
            java.nio.file.Files.writeString(client, resource("router_client.py"));
            Process p = new ProcessBuilder("python3", client.toString(), daemon.agentboxd.routerEndpoint().toString(), sandbox, daemon.token)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            System.err.println("router client: " + out);
            JsonNode r = Daemon.JSON.readTree(out);
            assertThat(r.path("status").get(0).asInt()).as(out).isEqualTo(200);
            assertThat(r.path("status").get(1).path("seen").path("x-sandbox-id").asText()).isEqualTo(sandbox);
            assertThat(r.path("execute").path("stdout").asText()).isEqualTo("hello from /app\n");
            assertThat(r.path("execute").path("stderr").asText()).isEqualTo("oops\n");
            assertThat(r.path("execute").path("exit_code").asInt()).isEqualTo(3);
            assertThat(r.path("upload").get(0).asInt()).as(() -> mainLog()).isEqualTo(200);
            assertThat(r.path("download_ok").asBoolean()).as("the uploaded bytes came back unchanged").isTrue();
            JsonNode list = r.path("list").get(1);
            assertThat(list).hasSize(1);
            assertThat(list.get(0).path("name").asText()).isEqualTo("dir");
            assertThat(list.get(0).path("type").asText()).isEqualTo("directory");
            assertThat(list.get(0).path("mod_time").asDouble()).isPositive();
            assertThat(r.path("exists").get(0).path("exists").asBoolean()).isTrue();
            assertThat(r.path("exists").get(0).path("path").asText()).isEqualTo("sub/dir/f.txt");
            assertThat(r.path("exists").get(1).path("exists").asBoolean()).isFalse();
            assertThat(r.path("missing").asInt()).isEqualTo(404);
        } finally {
            java.nio.file.Files.deleteIfExists(client);
        }
    }

    /** The server's own log (its tracebacks), for a failure's description. */
    static String mainLog() {
        return daemon.call("GET", "/api/v1/namespaces/default/sandboxes/" + sandbox + "/log", null).body();
    }

    static HttpResponse<String> router(Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.agentboxd.routerEndpoint() + "/"));
        headers.forEach(b::header);
        return send(b);
    }

    @Test
    void theRouterAsksForItsHeadersAndABearerToken() throws Exception {
        HttpResponse<String> noId = router(Map.of("Authorization", "Bearer " + daemon.token));
        assertThat(noId.statusCode()).isEqualTo(400);
        assertThat(noId.body()).contains("X-Sandbox-ID header is required.");
        HttpResponse<String> noToken = router(Map.of("X-Sandbox-ID", sandbox));
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.body()).contains("bearer token");
        HttpResponse<String> badPort = router(Map.of("X-Sandbox-ID", sandbox, "X-Sandbox-Port", "http", "Authorization", "Bearer " + daemon.token));
        assertThat(badPort.statusCode()).isEqualTo(400);
        HttpResponse<String> unknown = router(Map.of("X-Sandbox-ID", "nosuch", "Authorization", "Bearer " + daemon.token));
        assertThat(unknown.statusCode()).isEqualTo(502);
        assertThat(unknown.body()).contains("nosuch");
    }

    @Test
    void aTokenScopedToAnotherNamespaceCannotReachTheSandboxThroughTheProxyPortForwardOrRouter() throws Exception {
        Daemon.Response created = daemon.call("POST", "/api/v1/tokens", "{\"name\":\"intruder\",\"namespaces\":[\"team-a\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String scoped = created.json().path("token").asText();

        HttpResponse<String> viaProxy = send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":8888", "/execute")))
                .header("Authorization", "Bearer " + scoped).POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"touch /app/pwned\"}")));
        assertThat(viaProxy.statusCode()).isEqualTo(403);
        assertThat(viaProxy.body()).contains("may not access namespace default");
        assertThat(send(HttpRequest.newBuilder(URI.create(proxy(sandbox + ":8888", "/"))).header("Authorization", "Bearer nope")).statusCode()).isEqualTo(401);

        for (String url : List.of(portForward("default", sandbox, "8888"), proxy(sandbox + ":8765", "/echo"))) {
            assertThatThrownBy(() -> ws(url, scoped, new Collector(true)))
                    .isInstanceOf(CompletionException.class).cause().isInstanceOf(WebSocketHandshakeException.class)
                    .satisfies(e -> assertThat(((WebSocketHandshakeException) e).getResponse().statusCode()).isEqualTo(403));
        }
        HttpResponse<String> viaRouter = router(Map.of("X-Sandbox-ID", sandbox, "X-Sandbox-Namespace", "default", "Authorization", "Bearer " + scoped));
        assertThat(viaRouter.statusCode()).isEqualTo(403);
        // its own namespace has no such sandbox: the router does not look elsewhere
        HttpResponse<String> own = router(Map.of("X-Sandbox-ID", sandbox, "X-Sandbox-Namespace", "team-a", "Authorization", "Bearer " + scoped));
        assertThat(own.statusCode()).isEqualTo(502);
        // a path that climbs out of its namespace segment is no route of the proxy (and no sandbox of the API)
        HttpResponse<String> climb = send(HttpRequest.newBuilder(URI.create(daemon.agentboxd.endpoint()
                + "/api/v1/namespaces/team-a/sandboxes/..%2F..%2Fdefault%2Fsandboxes%2F" + sandbox + ":8888/proxy/")).header("Authorization", "Bearer " + scoped));
        assertThat(climb.statusCode()).isIn(400, 404);
        assertThat(daemon.exec("default", sandbox, "test -e /app/pwned && echo yes || echo no").json().path("stdout").asText()).isEqualTo("no\n");
        daemon.call("DELETE", "/api/v1/tokens?name=intruder", null);
    }

    @Test
    void revokingItsTokenEndsAnOpenPortForward() throws Exception {
        String scoped = daemon.call("POST", "/api/v1/tokens", "{\"name\":\"short\",\"namespaces\":[\"default\"]}").json().path("token").asText();
        Collector c = new Collector(true);
        ws(portForward("default", sandbox, "8765"), scoped, c);
        assertThat(c.closed).isNotDone();
        assertThat(daemon.call("DELETE", "/api/v1/tokens?name=short", null).status()).isEqualTo(204);
        assertThat(c.closed.get(10, TimeUnit.SECONDS)).as("closed with policy violation").isEqualTo(1008);
    }
}
