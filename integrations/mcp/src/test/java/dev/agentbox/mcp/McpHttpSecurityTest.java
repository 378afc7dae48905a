package dev.agentbox.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.Resources;
import dev.agentbox.client.ResourceType;
import dev.agentbox.testing.RealAgentboxd;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The attacks on {@code agentbox mcp --http} (issue 8), as raw HTTP requests a web page or a local process could send:
 * no token, someone else's session, a foreign Host (DNS rebinding) or Origin, a token used outside its namespace,
 * malformed requests fishing for stack traces, and a flood of sessions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpHttpSecurityTest {
    static final int MAX_SESSIONS = 3;
    static final String NAMESPACE_HEADER = McpHttpOptions.NAMESPACE_HEADER;
    static final String INITIALIZE = """
            {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},\
            "clientInfo":{"name":"attacker","version":"1"}}}""";
    static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    static final String RUN_CODE = """
            {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_code","arguments":{"code":"print('ran-' + str(6*7))"}}}""";
    /** What RUN_CODE prints when it ran: a marker no session id or error text can contain by chance (a UUID may hold "42"). */
    static final String RAN = "ran-42";

    final ObjectMapper json = new ObjectMapper();
    /** For the MCP server (plain HTTP on loopback) and for agentboxd (HTTPS: it trusts the daemon's CA). */
    HttpClient http;
    RealAgentboxd daemon;
    String teamAToken;
    AgentboxMcpServer server;
    URI mcp;
    /** Sessions a test opened on {@link #mcp}, closed after it (the cap is small): id and the token that opened it. */
    final List<String[]> openSessions = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        daemon = new RealAgentboxd("mcp-sec");
        http = HttpClient.newBuilder().sslContext(daemon.sslContext()).build();
        for (HasMetadata r : Resources.parseAll(RealAgentboxd.manifests(daemon.pool()))) {
            daemon.client().resources().inNamespace("team-a").apply(r);
        }
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(daemon.endpoint() + "/api/v1/tokens"))
                .header("Authorization", "Bearer " + daemon.token()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"mcp-team-a\",\"namespaces\":[\"team-a\"]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        teamAToken = json.readTree(created.body()).path("token").asText();
        server = startServer(McpServerOptions.forPool(daemon.pool()));
        mcp = server.endpoint();
    }

    AgentboxMcpServer startServer(McpServerOptions options) {
        return AgentboxMcpServer.http(URI.create(daemon.endpoint()), daemon.caFile(), options, McpHttpOptions.loopback(0).withMaxSessions(MAX_SESSIONS));
    }

    @AfterEach
    void closeSessions() throws Exception {
        for (String[] s : openSessions) send(delete(mcp, s[0], s[1]));
        openSessions.clear();
    }

    @AfterAll
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            if (daemon != null) daemon.close();
        }
    }

    // ---- the attacks

    @Test
    void initializeWithoutTokenIsRefused() throws Exception {
        HttpResponse<String> none = send(post(mcp, null, null, INITIALIZE).build());
        HttpResponse<String> unknown = send(post(mcp, "abx_not-a-token", null, INITIALIZE).build());
        HttpResponse<String> notBearer = send(post(mcp, null, null, INITIALIZE).header("Authorization", "Basic YWRtaW46YWRtaW4=").build());

        for (HttpResponse<String> r : List.of(none, unknown, notBearer)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
            assertThat(r.body()).contains("token").doesNotContain("protocolVersion");
        }
    }

    @Test
    void runCodeWithoutTokenRunsNothing() throws Exception {
        Set<String> claimsBefore = claimNames();
        String session = initialize(daemon.token(), null);

        HttpResponse<String> noToken = send(post(mcp, null, session, RUN_CODE).build());
        HttpResponse<String> wrongToken = send(post(mcp, "abx_guessed", session, RUN_CODE).build());
        HttpResponse<String> madeUpSession = send(post(mcp, null, "0123456789abcdef", RUN_CODE).build());

        for (HttpResponse<String> r : List.of(noToken, wrongToken, madeUpSession)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
            assertThat(r.body()).doesNotContain(RAN);
        }
        assertThat(claimNames()).as("no sandbox was claimed").isSubsetOf(claimsBefore);
    }

    @Test
    void foreignHostHeaderIsRefused() throws Exception {
        int port = mcp.getPort();
        RawResponse evil = rawInitialize("evil.example");
        RawResponse evilWithPort = rawInitialize("evil.example:" + port);
        RawResponse otherPort = rawInitialize("127.0.0.1:1");

        for (RawResponse r : List.of(evil, evilWithPort, otherPort)) {
            assertThat(r.status()).as(r.text()).isEqualTo(403);
            assertThat(r.text()).doesNotContain("protocolVersion").doesNotContainIgnoringCase("mcp-session-id");
        }
        RawResponse own = rawInitialize("127.0.0.1:" + port);
        assertThat(own.status()).as("the same request with the server's own Host: " + own.text()).isEqualTo(200);
        openSessions.add(new String[] {own.header("mcp-session-id"), daemon.token()});
        RawResponse localhost = rawInitialize("localhost:" + port);
        assertThat(localhost.status()).as(localhost.text()).isEqualTo(200);
        openSessions.add(new String[] {localhost.header("mcp-session-id"), daemon.token()});
    }

    @Test
    void foreignOriginIsRefused() throws Exception {
        for (String origin : List.of("http://evil.example", "http://127.0.0.1.evil.example:" + mcp.getPort(), "null",
                "http://127.0.0.1:" + (mcp.getPort() + 1))) {
            HttpResponse<String> r = send(post(mcp, daemon.token(), null, INITIALIZE).header("Origin", origin).build());
            assertThat(r.statusCode()).as(origin + ": " + r.body()).isEqualTo(403);
            assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
        }
        HttpResponse<String> own = send(post(mcp, daemon.token(), null, INITIALIZE).header("Origin", "http://127.0.0.1:" + mcp.getPort()).build());
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        openSessions.add(new String[] {own.headers().firstValue("Mcp-Session-Id").orElseThrow(), daemon.token()});
    }

    @Test
    void scopedTokenActsInItsOwnNamespaceOnly() throws Exception {
        Set<String> defaultBefore = claimNames("default");
        Set<String> teamABefore = claimNames("team-a");
        String session = initialize(teamAToken, "team-a");

        HttpResponse<String> ran = send(post(mcp, teamAToken, session, RUN_CODE).build());

        assertThat(ran.statusCode()).as(ran.body()).isEqualTo(200);
        assertThat(ran.body()).contains(RAN).contains("\"isError\":false");
        assertThat(claimNames("team-a")).as("the claim is the token's, in team-a").hasSizeGreaterThan(teamABefore.size());
        assertThat(claimNames("default")).as("nothing in default").isSubsetOf(defaultBefore);

        HttpResponse<String> intoDefault = send(post(mcp, teamAToken, null, INITIALIZE).header(NAMESPACE_HEADER, "default").build());
        HttpResponse<String> noNamespace = send(post(mcp, teamAToken, null, INITIALIZE).build());
        for (HttpResponse<String> r : List.of(intoDefault, noNamespace)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            assertThat(r.body()).contains("default");
            assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
        }
        HttpResponse<String> adminSession = send(post(mcp, daemon.token(), session, RUN_CODE).build());
        assertThat(adminSession.statusCode()).as("another token cannot use team-a's session: " + adminSession.body()).isEqualTo(401);
    }

    @Test
    void errorsCarryNoStackTrace() throws Exception {
        String token = daemon.token();
        List<Answer> answers = new ArrayList<>();
        answers.add(answer("wrong Content-Type", send(post(mcp, token, null, INITIALIZE).setHeader("Content-Type", "text/plain").build())));
        answers.add(answer("malformed body", send(post(mcp, token, null, "{\"jsonrpc\": [").build())));
        answers.add(answer("not JSON-RPC", send(post(mcp, token, null, "{\"hello\":1}").build())));
        answers.add(answer("wrong Accept", send(post(mcp, token, null, INITIALIZE).setHeader("Accept", "text/html").build())));
        answers.add(answer("wrong path", send(HttpRequest.newBuilder(mcp.resolve("/nope")).header("Authorization", "Bearer " + token).build())));
        answers.add(answer("unknown session", send(post(mcp, token, "no-such-session", RUN_CODE).build())));
        answers.add(answer("GET without session", send(HttpRequest.newBuilder(mcp).header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream").build())));
        RawResponse badUri = raw("GET /mcp/%zz HTTP/1.1\r\nHost: 127.0.0.1:" + mcp.getPort() + "\r\nConnection: close\r\n\r\n");
        answers.add(new Answer("bad URI", badUri.status(), badUri.body()));
        RawResponse hugeHeader = raw("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + mcp.getPort() + "\r\nX-Padding: " + "x".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n");
        answers.add(new Answer("oversized header", hugeHeader.status(), hugeHeader.body()));
        RawResponse noHost = raw("GET /mcp HTTP/1.1\r\nConnection: close\r\n\r\n");
        answers.add(new Answer("no Host", noHost.status(), noHost.body()));

        for (Answer a : answers) {
            assertThat(a.status()).as(a.what() + ": " + a.body()).isBetween(400, 599);
            assertThat(a.body()).as(a.what())
                    .doesNotContain("at org.").doesNotContain("at java.").doesNotContain("at io.").doesNotContain("at reactor.")
                    .doesNotContain("Exception").doesNotContain("stackTrace").doesNotContain("Caused by");
            assertThat(a.body()).as(a.what() + ": a short message").contains("\"message\"").hasSizeLessThan(600);
        }
        assertThat(answers.get(0).status()).isEqualTo(415);
        assertThat(answers.get(4).status()).isEqualTo(404);

        String session = initialize(token, null);
        HttpResponse<String> unknownTool = send(post(mcp, token, session,
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"no_such_tool\"}}").build());
        assertThat(unknownTool.body()).as("a JSON-RPC error inside the session").contains("\"error\"")
                .doesNotContain("at org.").doesNotContain("at java.").doesNotContain("stackTrace");
    }

    @Test
    void sessionsAreCapped() throws Exception {
        for (int i = 0; i < MAX_SESSIONS; i++) initialize(daemon.token(), null);

        HttpResponse<String> oneTooMany = send(post(mcp, daemon.token(), null, INITIALIZE).build());

        assertThat(oneTooMany.statusCode()).as(oneTooMany.body()).isEqualTo(503);
        assertThat(oneTooMany.body()).contains("sessions").contains(String.valueOf(MAX_SESSIONS));
        assertThat(oneTooMany.headers().firstValue("Mcp-Session-Id")).isEmpty();

        HttpResponse<String> closed = send(delete(mcp, openSessions.removeFirst()[0], daemon.token()));
        assertThat(closed.statusCode()).as(closed.body()).isBetween(200, 299);
        initialize(daemon.token(), null);
    }

    @Test
    void idleSessionsExpireAndReleaseTheirSandbox() throws Exception {
        AgentboxMcpServer shortLived = startServer(new McpServerOptions(daemon.pool(), null, null, Duration.ofSeconds(2)));
        try {
            URI endpoint = shortLived.endpoint();
            Set<String> before = claimNames();
            String session = initialize(endpoint, daemon.token(), null);
            HttpResponse<String> ran = send(post(endpoint, daemon.token(), session, RUN_CODE).build());
            assertThat(ran.body()).contains(RAN);
            assertThat(claimNames()).hasSizeGreaterThan(before.size());

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(claimNames()).as("the idle session's claim is released").isSubsetOf(before));
            HttpResponse<String> expired = send(post(endpoint, daemon.token(), session, RUN_CODE).build());
            assertThat(expired.statusCode()).as(expired.body()).isEqualTo(404);
        } finally {
            shortLived.close();
        }
    }

    // ---- helpers

    record Answer(String what, int status, String body) {}

    static Answer answer(String what, HttpResponse<String> r) {
        return new Answer(what, r.statusCode(), r.body());
    }

    record RawResponse(int status, String head, String body) {
        String text() {
            return head + "\r\n\r\n" + body;
        }

        String header(String name) {
            return head.lines().filter(l -> l.toLowerCase().startsWith(name.toLowerCase() + ":"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow(() -> new AssertionError("no " + name + " in " + head));
        }
    }

    /** An initialize request over a plain socket: java.net.http will not send a Host header of our choosing. */
    RawResponse rawInitialize(String host) throws IOException {
        byte[] body = INITIALIZE.getBytes(StandardCharsets.UTF_8);
        return raw("POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + daemon.token()
                + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n" + INITIALIZE);
    }

    RawResponse raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", mcp.getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int split = all.indexOf("\r\n\r\n");
            String head = split < 0 ? all : all.substring(0, split);
            String body = split < 0 ? "" : all.substring(split + 4);
            return new RawResponse(Integer.parseInt(head.split(" ")[1]), head, body);
        }
    }

    HttpRequest.Builder post(URI endpoint, String token, String session, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (session != null) b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
        return b;
    }

    static HttpRequest delete(URI endpoint, String session, String token) {
        return HttpRequest.newBuilder(endpoint).header("Authorization", "Bearer " + token).header("Mcp-Session-Id", session).DELETE().build();
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    String initialize(String token, String namespace) throws Exception {
        String id = initialize(mcp, token, namespace);
        openSessions.add(new String[] {id, token});
        return id;
    }

    /** Opens a session the way an MCP client does (initialize, then notifications/initialized); returns its id. */
    String initialize(URI endpoint, String token, String namespace) throws Exception {
        HttpRequest.Builder init = post(endpoint, token, null, INITIALIZE);
        if (namespace != null) init.header(NAMESPACE_HEADER, namespace);
        HttpResponse<String> r = send(init.build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode result = json.readTree(r.body()).path("result");
        assertThat(result.path("serverInfo").path("name").asText()).isEqualTo(AgentboxMcpServer.NAME);
        String session = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
        HttpResponse<String> ack = send(post(endpoint, token, session, INITIALIZED).build());
        assertThat(ack.statusCode()).as(ack.body()).isEqualTo(202);
        return session;
    }

    Set<String> claimNames() {
        return daemon.client().resources().listAllNamespaces(ResourceType.SANDBOX_CLAIM, null).stream()
                .map(c -> c.getMetadata().getNamespace() + "/" + c.getMetadata().getName()).collect(Collectors.toSet());
    }

    Set<String> claimNames(String namespace) {
        return daemon.client().resources().inNamespace(namespace).list(ResourceType.SANDBOX_CLAIM, null).stream()
                .map(c -> c.getMetadata().getName()).collect(Collectors.toSet());
    }
}
