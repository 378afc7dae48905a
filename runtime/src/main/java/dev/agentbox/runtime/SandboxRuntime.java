package dev.agentbox.runtime;

import java.util.List;
import java.util.Optional;

/**
 * Starts and finds gVisor sandboxes on this host. One instance owns one private runsc state
 * directory ({@code --root}); every container under it belongs to this runtime. Sandboxes outlive the
 * runtime object (and the process): {@link #close()} detaches from them, {@link #attach} finds them
 * again, {@link #stopAll()} stops them.
 */
public interface SandboxRuntime extends AutoCloseable {

    /** Starts a sandbox and returns once its exec channel answers (not waiting for readiness). */
    RunningSandbox start(SandboxConfig config) throws RuntimeFailure;

    /**
     * Starts a sandbox from a checkpoint image made by {@link RunningSandbox#checkpoint}: processes, memory
     * and in-memory files are as they were, and the exec channel serves again. The config must describe the
     * same image and mounts as the checkpointed sandbox (its id is new).
     */
    RunningSandbox restore(SandboxConfig config, java.nio.file.Path imageDir) throws RuntimeFailure;

    /** The sandbox with this id if this runtime instance started or attached it and it is still alive. */
    Optional<RunningSandbox> get(String id);

    /**
     * Re-attaches to a sandbox that an earlier process (or this one) started and that is still running,
     * with its processes, memory and files as they were. {@code config} must be the one it was started
     * with (the caller recomputes it). NOT_FOUND: no such sandbox is running; FAILED: it exists but is gone
     * or broken (the message says why; destroy it).
     */
    RunningSandbox attach(SandboxConfig config) throws RuntimeFailure;

    /** Ids of the sandboxes that may be re-attached (running, or stopped but not yet collected). */
    List<String> listAttachable();

    /** Ids of every runsc container that exists under this runtime's state directory, alive or not. */
    List<String> listContainers();

    /** Kills and deletes the container with this id (also one left by an earlier process); no-op if absent. */
    void destroy(String id);

    /** Images known to this runtime: the built-in one and imported ones. */
    ImageStore images();

    /** Ids that have a main-process log (logs outlive their sandbox, until {@link #deleteLogs}). */
    List<String> listLogs();

    /** Deletes the main-process log of a sandbox (its rotated file too). */
    void deleteLogs(String id);

    /** Stops and deletes every sandbox of this runtime, also those this instance has not attached. */
    void stopAll();

    /** Detaches from every sandbox and leaves them running (a later {@link #attach} finds them). */
    @Override
    void close();
}
