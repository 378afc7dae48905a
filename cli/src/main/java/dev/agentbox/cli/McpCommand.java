package dev.agentbox.cli;

import dev.agentbox.mcp.AgentboxMcpServer;
import dev.agentbox.mcp.McpServerOptions;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(mixinStandardHelpOptions = true, name = "mcp", sortOptions = false,
        description = {"Serve MCP tools that run code in sandboxes: run_code, run_command, write_file, read_file,",
                "list_files, snapshot, restore. Each MCP session gets its own sandbox from the warm pool.",
                "Speaks MCP on stdin/stdout by default (logs go to stderr); --http serves streamable HTTP at /mcp."},
        footer = {"", "Examples:", "  agentbox mcp                       # for an MCP client that starts it (stdio)",
                "  agentbox mcp --http 8765 --pool python-pool   # http://127.0.0.1:8765/mcp"})
final class McpCommand extends BaseCommand {
    @Option(names = "--http", paramLabel = "PORT", description = "serve streamable HTTP on this port instead of stdio (0: any free port)")
    Integer httpPort;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to bind with --http (default: ${DEFAULT-VALUE}; the endpoint has no authentication)")
    String host;

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
        AgentboxMcpServer server = httpPort == null
                ? AgentboxMcpServer.stdio(client(), options)
                : AgentboxMcpServer.http(client(), options, host, httpPort);
        Thread hook = new Thread(server::close, "agentbox-mcp-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (httpPort != null) {
            err().println("MCP server on " + server.endpoint() + " (sandboxes from warm pool " + options.warmPool() + "); Ctrl-C stops it");
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
