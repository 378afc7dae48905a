package dev.agentbox.cli;

import dev.agentbox.client.SandboxClient;
import dev.agentbox.mcp.AgentboxMcpServer;
import dev.agentbox.mcp.McpHttpOptions;
import dev.agentbox.mcp.McpServerOptions;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(mixinStandardHelpOptions = true, name = "mcp", sortOptions = false,
        description = {"Serve MCP tools that run code in sandboxes: run_code, run_command, write_file,",
                "read_file, list_files, snapshot, restore. Each MCP session gets its own sandbox",
                "from the warm pool.",
                "",
                "Speaks MCP on stdin/stdout by default (logs go to stderr): the process that",
                "starts it owns it, and it acts with this command's token.",
                "",
                "--http serves streamable HTTP at /mcp instead, which any local program or web",
                "page can try to reach, so:",
                "  * Every request needs 'Authorization: Bearer <agentbox token>': the admin",
                "    token, or one made with POST /api/v1/tokens. The server holds no token of",
                "    its own: each session acts with its caller's token, in the namespace named",
                "    by the initialize request's 'Agentbox-Namespace' header (default:",
                "    --namespace, else AGENTBOX_NAMESPACE, else default), which needs a warm",
                "    pool named --pool. A session is used only with the token that opened it.",
                "    No or an unknown token: 401, and nothing runs.",
                "  * Host must be 127.0.0.1:PORT, localhost:PORT or [::1]:PORT (or an",
                "    --allowed-host); an Origin, when sent, must be the server's own",
                "    (http://127.0.0.1:PORT, http://localhost:PORT) or an --allowed-origin.",
                "    Anything else is 403: a web page cannot get in by DNS rebinding.",
                "  * It listens on 127.0.0.1 only unless --host says otherwise (a warning is",
                "    logged: other machines can connect, and tokens cross the network in",
                "    clear text).",
                "  * At most --max-sessions sessions are open at once (one more: 503); a session",
                "    idle for --idle-timeout is closed and its sandbox released.",
                "  * Errors are short JSON-RPC messages, never stack traces.",
                ""},
        footer = {"", "Examples:", "  agentbox mcp                       # for an MCP client that starts it (stdio)",
                "  agentbox mcp --http 8765 --pool python-pool   # http://127.0.0.1:8765/mcp",
                "  # the MCP client then sends: Authorization: Bearer <token>",
                "  #   (and, with a token scoped to team-a: Agentbox-Namespace: team-a)"})
final class McpCommand extends BaseCommand {
    @Option(names = "--http", paramLabel = "PORT", description = "serve streamable HTTP on this port instead of stdio (0: any free port)")
    Integer httpPort;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = McpHttpOptions.LOOPBACK,
            description = "address to listen on with --http (default: ${DEFAULT-VALUE}, loopback only; another address is reachable "
                    + "from other machines and logs a warning)")
    String host;

    @Option(names = "--allowed-host", paramLabel = "NAME[:PORT]",
            description = "also accept this Host header with --http, e.g. a reverse proxy's name (repeatable)")
    List<String> allowedHosts = List.of();

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN",
            description = "also accept requests with this Origin header with --http, e.g. http://localhost:6274 (repeatable)")
    List<String> allowedOrigins = List.of();

    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "" + McpHttpOptions.DEFAULT_MAX_SESSIONS,
            description = "most MCP sessions open at once with --http (default: ${DEFAULT-VALUE})")
    int maxSessions;

    @Option(names = "--pool", paramLabel = "WARM_POOL", description = "warm pool to claim sandboxes from (default: AGENTBOX_WARM_POOL, else python-pool)")
    String pool;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class, description = "default time limit of a program (default 60s)")
    Duration timeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Durations.class, description = "release a session's sandbox after this long unused (default 15m)")
    Duration idleTimeout;

    @Override
    int run() throws InterruptedException {
        McpServerOptions env = McpServerOptions.fromEnvironment();
        McpServerOptions options = new McpServerOptions(pool != null ? pool : env.warmPool(), timeout, null, idleTimeout);
        AgentboxMcpServer server;
        if (httpPort == null) {
            server = AgentboxMcpServer.stdio(client(), options);
        } else {
            // over HTTP each session acts with its caller's token: only agentboxd's address is needed here, no token
            SandboxClient.Builder b = SandboxClient.builder();
            if (server() != null) b.endpoint(server());
            if (caFile() != null) b.caFile(caFile());
            if (maxSessions < 1) throw new IllegalArgumentException("--max-sessions: must be at least 1, got " + maxSessions);
            String namespace = namespaceOption() != null ? namespaceOption() : System.getenv("AGENTBOX_NAMESPACE");
            McpHttpOptions http = new McpHttpOptions(host, httpPort, allowedHosts, allowedOrigins, maxSessions, namespace);
            server = AgentboxMcpServer.http(b.resolveEndpoint(), b.resolveCaFile(), options, http);
        }
        Thread hook = new Thread(server::close, "agentbox-mcp-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (httpPort != null) {
            err().println("MCP server on " + server.endpoint() + " (sandboxes from warm pool " + options.warmPool()
                    + "); clients send 'Authorization: Bearer <agentbox token>'; Ctrl-C stops it");
            err().flush();
        }
        try {
            server.awaitTermination();
        } finally {
            server.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
        return 0;
    }
}
