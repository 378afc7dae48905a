package dev.agentbox.mcp;

import dev.agentbox.testing.RealAgentboxd;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The MCP server driven by the MCP SDK's own client, over stdio (a subprocess) and streamable HTTP, on real sandboxes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentboxMcpServerTest {
    static final String PRIME_56 = """
            primes = []
            n = 2
            while len(primes) < 56:
                if all(n % p for p in primes if p * p <= n):
                    primes.append(n)
                n += 1
            print(primes[-1])
            """;

    RealAgentboxd daemon;
    AgentboxMcpServer httpServer;
    McpSyncClient http;

    @BeforeAll
    void start() {
        daemon = new RealAgentboxd("mcp-python");
        httpServer = AgentboxMcpServer.http(URI.create(daemon.endpoint()), daemon.caFile(), McpServerOptions.forPool(daemon.pool()), McpHttpOptions.loopback(0));
        String uri = httpServer.endpoint().toString();
        var transport = HttpClientStreamableHttpTransport.builder(uri.substring(0, uri.length() - AgentboxMcpServer.HTTP_PATH.length()))
                .endpoint(AgentboxMcpServer.HTTP_PATH)
                .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + daemon.token()))
                .build();
        http = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(90)).build();
        http.initialize();
    }

    @AfterAll
    void stop() {
        try {
            if (http != null) http.closeGracefully();
        } finally {
            try {
                if (httpServer != null) httpServer.close();
            } finally {
                if (daemon != null) daemon.close();
            }
        }
    }

    static String text(CallToolResult r) {
        return r.content().stream().filter(c -> c instanceof TextContent).map(c -> ((TextContent) c).text()).collect(Collectors.joining("\n"));
    }

    static CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
        return client.callTool(new CallToolRequest(tool, args));
    }

    @Test
    void stdioClientListsTheToolsAndRunCodeComputesThe56thPrimeInASandbox() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ServerParameters params = ServerParameters.builder(java)
                .args("-cp", classpath, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", McpMain.class.getName())
                .env(Map.of("AGENTBOX_URL", daemon.endpoint(), "AGENTBOX_CA_FILE", daemon.caFile().toString(), "AGENTBOX_TOKEN", daemon.token(),
                        "AGENTBOX_WARM_POOL", daemon.pool()))
                .build();
        var transport = new StdioClientTransport(params, McpJsonDefaults.getMapper());
        McpSyncClient stdio = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(90)).build();
        try {
            stdio.initialize();
            assertThat(stdio.listTools().tools()).extracting(Tool::name).containsExactlyInAnyOrderElementsOf(SandboxTools.NAMES);

            CallToolResult r = call(stdio, "run_code", Map.of("code", PRIME_56));

            assertThat(r.isError()).as(text(r)).isFalse();
            assertThat(text(r)).contains("exit_code: 0").contains("263");
            assertThat(r.structuredContent()).isInstanceOfSatisfying(Map.class, m -> assertThat(m.get("stdout")).isEqualTo("263\n"));
        } finally {
            stdio.closeGracefully();
        }
    }

    @Test
    void httpClientListsTheToolsAndRunCodeComputesThe56thPrime() {
        assertThat(http.listTools().tools()).extracting(Tool::name).containsExactlyInAnyOrderElementsOf(SandboxTools.NAMES);

        CallToolResult r = call(http, "run_code", Map.of("code", PRIME_56, "language", "python"));

        assertThat(r.isError()).as(text(r)).isFalse();
        assertThat(text(r)).contains("263");
    }

    @Test
    void runCodeKeepsPythonVariablesBetweenCallsOfASession() {
        CallToolResult set = call(http, "run_code", Map.of("code", "x = 41"));
        assertThat(set.isError()).as(text(set)).isFalse();
        CallToolResult get = call(http, "run_code", Map.of("code", "print('x is set'); x + 1"));
        assertThat(get.isError()).as(text(get)).isFalse();
        assertThat(get.structuredContent()).isInstanceOfSatisfying(Map.class, m -> assertThat(m.get("stdout")).isEqualTo("x is set\n42\n"));
        CallToolResult failing = call(http, "run_code", Map.of("code", "undefined_name"));
        assertThat(failing.isError()).isTrue();
        assertThat(text(failing)).contains("NameError").contains("exit_code: 1");
    }

    @Test
    void aScriptedModelAnswersWithTheSandboxOutput() {
        ScriptedModel model = new ScriptedModel();
        ScriptedModel.Step step = model.next("What is the 56th prime number?", null);
        assertThat(step.toolName()).isEqualTo("run_code");

        CallToolResult r = call(http, step.toolName(), step.arguments());
        String answer = model.next(null, text(r)).answer();

        assertThat(answer).isEqualTo("The 56th prime number is 263.");
    }

    @Test
    void aSyntaxErrorComesBackAsReadableData() {
        CallToolResult r = call(http, "run_code", Map.of("code", "print('unclosed'\n"));

        assertThat(r.isError()).isTrue();
        assertThat(text(r)).contains("exit_code: 1").contains("SyntaxError");
    }

    @Test
    void aNonZeroExitComesBackWithItsCodeAndStderr() {
        CallToolResult r = call(http, "run_code", Map.of("code", "import sys\nprint('partial')\nsys.exit('bad input: 42')"));

        assertThat(r.isError()).isTrue();
        assertThat(text(r)).contains("exit_code: 1").contains("partial").contains("bad input: 42");
    }

    @Test
    void aProgramThatRunsTooLongIsKilledAndSaysSo() {
        CallToolResult r = call(http, "run_code", Map.of("code", "import time\nprint('started', flush=True)\ntime.sleep(60)", "timeout_seconds", 2));

        assertThat(r.isError()).isTrue();
        assertThat(text(r)).contains("timed out").contains("started");
    }

    @Test
    void filesWrittenInOneCallAreReadAndListedAndUsedByLaterCalls() {
        assertThat(call(http, "write_file", Map.of("path", "/tmp/work/data.txt", "content", "7\n11\n")).isError()).isFalse();

        assertThat(text(call(http, "read_file", Map.of("path", "/tmp/work/data.txt")))).isEqualTo("7\n11\n");
        assertThat(text(call(http, "list_files", Map.of("path", "/tmp/work")))).contains("data.txt");
        CallToolResult sum = call(http, "run_command", Map.of("command", "python3 -c 'print(sum(int(l) for l in open(\"data.txt\")))'", "workdir", "/tmp/work"));
        assertThat(text(sum)).contains("18");
    }

    @Test
    void badArgumentsAndMissingFilesAreToolErrorsNotProtocolErrors() {
        CallToolResult missing = call(http, "read_file", Map.of("path", "/tmp/no-such-file"));
        assertThat(missing.isError()).isTrue();
        assertThat(text(missing)).startsWith("read_file failed:");

        CallToolResult language = call(http, "run_code", Map.of("code", "1", "language", "cobol"));
        assertThat(language.isError()).isTrue();
        assertThat(text(language)).contains("unknown language").contains("python");
    }

    @Test
    void snapshotWithoutAMatchingPolicyIsAToolErrorAndRestoreOfAnUnknownSnapshotToo() {
        CallToolResult snap = call(http, "snapshot", Map.of());
        assertThat(snap.isError()).as(text(snap)).isTrue();
        assertThat(text(snap)).startsWith("snapshot failed:");

        CallToolResult restore = call(http, "restore", Map.of("snapshot", "no-such-snapshot"));
        assertThat(restore.isError()).isTrue();
        assertThat(text(restore)).startsWith("restore failed:");
    }
}
