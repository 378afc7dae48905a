package dev.agentbox.client;

/**
 * A running sandbox. Obtained from {@link SandboxClient#createSandbox} (owned: {@link #close()} releases
 * it) or {@link SandboxClient#attach} (not owned: {@link #close()} only forgets it).
 */
public interface Sandbox extends AutoCloseable {

    /** The Sandbox object's name (the data plane address). */
    String name();

    String namespace();

    /** The SandboxClaim that holds this sandbox, or null when attached by sandbox name. */
    String claimName();

    Commands commands();

    SandboxFiles files();

    /** Stateful code contexts: persistent Python or bash interpreters whose variables survive between runs. */
    default Code code() {
        throw new UnsupportedOperationException("this backend does not support code contexts");
    }

    /** Pod snapshots of this sandbox: create, list, delete. */
    default Snapshots snapshots() {
        throw new UnsupportedOperationException("this backend does not support snapshots");
    }

    /** Snapshots the sandbox and stops it (operatingMode Suspended): no process, no memory held until {@link #resume()}. */
    default void suspend() {
        throw new UnsupportedOperationException("this backend does not support suspend");
    }

    /** Restores a suspended sandbox with its processes, memory and files (operatingMode Running). */
    default void resume() {
        throw new UnsupportedOperationException("this backend does not support resume");
    }

    /**
     * Snapshots this sandbox and starts {@code n} new sandboxes from that snapshot; returns them once Ready
     * (attached: closing one does not delete it; delete them with {@code resources().delete}).
     */
    default java.util.List<Sandbox> fork(int n) {
        throw new UnsupportedOperationException("this backend does not support fork");
    }

    /**
     * The log of the sandbox's main process (the pod's container command): its stdout and stderr, interleaved as
     * written. agentboxd keeps it while the Sandbox exists, also while agentboxd itself is down, capped at
     * {@code logs.maxBytes} (default 10 MiB) with one older file: at most twice that. A sandbox that has written nothing
     * has an empty log. On a cluster it is the Pod's log (pods/log).
     *
     * @param tailLines only the last this many lines (across the older file and the current one); null: all of it
     * @throws dev.agentbox.api.NotFoundException when the sandbox does not exist
     */
    default String logs(Integer tailLines) {
        throw new UnsupportedOperationException("this backend does not serve sandbox logs");
    }

    /**
     * The log as it grows: what {@link #logs(Integer) logs(tailLines)} returns, then output as the main process writes
     * it, until the sandbox stops or is deleted (the stream then ends). Close the stream to stop following. The bytes
     * are UTF-8 text as the process wrote it.
     */
    default java.io.InputStream followLogs(Integer tailLines) {
        throw new UnsupportedOperationException("this backend does not serve sandbox logs");
    }

    /**
     * The log of one container of the sandbox's pod: {@code container} null or the main container's name is
     * {@link #logs(Integer)}; an init container's name is that init container's output (of its last run).
     */
    default String logs(String container, Integer tailLines) {
        if (container == null) return logs(tailLines);
        throw new UnsupportedOperationException("this backend does not serve init container logs");
    }

    /** {@link #followLogs(Integer)} of one container, as {@link #logs(String, Integer)}. */
    default java.io.InputStream followLogs(String container, Integer tailLines) {
        if (container == null) return followLogs(tailLines);
        throw new UnsupportedOperationException("this backend does not serve init container logs");
    }

    /**
     * Servers listening inside the sandbox: {@code ports().connect(port)} opens a connection to one,
     * {@code ports().url(port)} is its HTTP proxy URL. No network is needed inside (see {@link SandboxPorts}).
     */
    default SandboxPorts ports() {
        throw new UnsupportedOperationException("this backend does not reach ports inside sandboxes");
    }

    /** Releases the sandbox now: deletes its claim (the daemon then deletes the sandbox per the claim's policy). Idempotent. */
    void terminate();

    /** {@link #terminate()} for an owned sandbox; nothing for an attached one. */
    @Override
    void close();
}
