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

    /** Releases the sandbox now: deletes its claim (the daemon then deletes the sandbox per the claim's policy). Idempotent. */
    void terminate();

    /** {@link #terminate()} for an owned sandbox; nothing for an attached one. */
    @Override
    void close();
}
