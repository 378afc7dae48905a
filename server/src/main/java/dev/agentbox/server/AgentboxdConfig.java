package dev.agentbox.server;

import dev.agentbox.server.config.DaemonSettings;
import java.nio.file.Path;

/**
 * Where agentboxd keeps its state, where it listens, and which configuration file it reads.
 *
 * @param stateDir SQLite database, tokens, runtime state and images; {@code $AGENTBOX_HOME} or {@code ~/.agentbox}
 * @param host the address to bind; 127.0.0.1 unless you know why not
 * @param port the API port (HTTPS unless {@code tls} is false); 0 picks a free one
 * @param configFile the daemon's configuration file ({@link DaemonSettings}); null: {@code <stateDir>/config.yaml}
 *        when it exists, else the defaults
 * @param stopSandboxesOnExit overrides the file's {@code stopSandboxesOnExit} when not null
 * @param tls overrides the file's {@code tls.enabled} when not null: false serves plain HTTP ({@code --insecure-http})
 */
public record AgentboxdConfig(Path stateDir, String host, int port, Path configFile, Boolean stopSandboxesOnExit, Boolean tls) {
    public static final int DEFAULT_PORT = 7878;

    public AgentboxdConfig {
        if (stateDir == null) throw new IllegalArgumentException("stateDir: required");
        if (host == null || host.isBlank()) host = "127.0.0.1";
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port: must be 0..65535, got " + port);
        stateDir = stateDir.toAbsolutePath().normalize();
        if (configFile != null) configFile = configFile.toAbsolutePath().normalize();
    }

    public AgentboxdConfig(Path stateDir, String host, int port, Path configFile, Boolean stopSandboxesOnExit) {
        this(stateDir, host, port, configFile, stopSandboxesOnExit, null);
    }

    /** Reads {@code <stateDir>/config.yaml} when it exists. */
    public AgentboxdConfig(Path stateDir, String host, int port) {
        this(stateDir, host, port, null, null);
    }

    public AgentboxdConfig(Path stateDir, String host, int port, Path configFile) {
        this(stateDir, host, port, configFile, null);
    }

    /** The same, stopping (true) or keeping (false) the sandboxes when the daemon stops. */
    public AgentboxdConfig withStopSandboxesOnExit(boolean stop) {
        return new AgentboxdConfig(stateDir, host, port, configFile, stop, tls);
    }

    /** The same, serving HTTPS (true) or plain HTTP (false, as {@code --insecure-http}) whatever the file says. */
    public AgentboxdConfig withTls(boolean enabled) {
        return new AgentboxdConfig(stateDir, host, port, configFile, stopSandboxesOnExit, enabled);
    }

    public static AgentboxdConfig defaults() {
        return new AgentboxdConfig(defaultStateDir(), "127.0.0.1", DEFAULT_PORT);
    }

    public static Path defaultStateDir() {
        String home = System.getenv("AGENTBOX_HOME");
        return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".agentbox");
    }

    public AgentboxdConfig withPort(int newPort) {
        return new AgentboxdConfig(stateDir, host, newPort, configFile, stopSandboxesOnExit, tls);
    }

    /** The configuration file in effect: the given one, else {@code <stateDir>/config.yaml} (which may not exist). */
    public Path effectiveConfigFile() {
        return configFile != null ? configFile : stateDir.resolve(DaemonSettings.FILE_NAME);
    }

    /** Reads the configuration file (see {@link #configFile}). */
    public DaemonSettings readSettings() {
        DaemonSettings s = DaemonSettings.read(stateDir, configFile);
        if (stopSandboxesOnExit != null) s = s.withStopSandboxesOnExit(stopSandboxesOnExit);
        if (tls != null) s = s.withTlsEnabled(tls);
        return s;
    }
}
