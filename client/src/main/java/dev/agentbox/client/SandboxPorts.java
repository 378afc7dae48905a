package dev.agentbox.client;

import java.net.URI;

/**
 * Servers listening inside a sandbox, reached without a network: agentboxd carries each connection over the sandbox's
 * agent channel (the sandbox itself may have no network at all). See docs/http-api.md, "Ports".
 */
public interface SandboxPorts {
    /**
     * Opens one TCP connection to {@code port} inside the sandbox (as {@code agentbox port-forward} does for each local
     * connection). Something must listen on that port inside, on 127.0.0.1 or 0.0.0.0.
     *
     * @throws dev.agentbox.api.AgentboxException naming the port when nothing listens on it (HTTP 502), the sandbox is
     *         not running (409) or the token may not access its namespace (403)
     */
    PortConnection connect(int port);

    /**
     * The proxy URL of {@code port}: {@code <agentboxd>/api/v1/namespaces/NS/sandboxes/NAME:PORT/proxy/}. Append the path
     * of the server inside; every request to it needs agentboxd's {@code Authorization: Bearer} header (agentboxd does
     * not pass that header on). WebSocket upgrades work through it too.
     */
    URI url(int port);
}
