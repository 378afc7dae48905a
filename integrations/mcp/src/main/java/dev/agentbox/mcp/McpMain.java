package dev.agentbox.mcp;

import dev.agentbox.client.SandboxClient;

/**
 * Runs the MCP server on stdio with a client from the environment (AGENTBOX_URL, AGENTBOX_TOKEN, or
 * $AGENTBOX_HOME) and the warm pool from AGENTBOX_WARM_POOL (default python-pool). {@code agentbox mcp} is
 * the usual way to start it; this entry point needs only this module's class path. Logs go to stderr.
 */
public final class McpMain {
    private McpMain() {}

    public static void main(String[] args) throws InterruptedException {
        McpServerOptions options = McpServerOptions.fromEnvironment();
        if (args.length == 2 && args[0].equals("--pool")) options = McpServerOptions.forPool(args[1]);
        try (SandboxClient client = SandboxClient.fromEnvironment();
             AgentboxMcpServer server = AgentboxMcpServer.stdio(client, options)) {
            server.awaitTermination();
        }
        System.exit(0);
    }
}
