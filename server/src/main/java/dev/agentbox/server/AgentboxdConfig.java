package dev.agentbox.server;

import java.nio.file.Path;

/**
 * Where agentboxd keeps its state and where it listens.
 *
 * @param stateDir SQLite database, tokens, runtime state and images; {@code $AGENTBOX_HOME} or {@code ~/.agentbox}
 * @param host the address to bind; 127.0.0.1 unless you know why not
 * @param port the HTTP port; 0 picks a free one
 */
public record AgentboxdConfig(Path stateDir, String host, int port) {
    public static final int DEFAULT_PORT = 7878;

    public AgentboxdConfig {
        if (stateDir == null) throw new IllegalArgumentException("stateDir: required");
        if (host == null || host.isBlank()) host = "127.0.0.1";
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port: must be 0..65535, got " + port);
        stateDir = stateDir.toAbsolutePath().normalize();
    }

    public static AgentboxdConfig defaults() {
        return new AgentboxdConfig(defaultStateDir(), "127.0.0.1", DEFAULT_PORT);
    }

    public static Path defaultStateDir() {
        String home = System.getenv("AGENTBOX_HOME");
        return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".agentbox");
    }

    public AgentboxdConfig withPort(int newPort) {
        return new AgentboxdConfig(stateDir, host, newPort);
    }
}
