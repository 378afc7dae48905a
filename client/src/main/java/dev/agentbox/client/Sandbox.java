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

    /** Releases the sandbox now: deletes its claim (the daemon then deletes the sandbox per the claim's policy). Idempotent. */
    void terminate();

    /** {@link #terminate()} for an owned sandbox; nothing for an attached one. */
    @Override
    void close();
}
