package dev.agentbox.runtime;

import java.nio.file.Path;
import java.util.List;

/** A live gVisor sandbox with an exec channel to its init process. */
public interface RunningSandbox {

    String id();

    SandboxConfig config();

    /** Runs a command to completion; output beyond {@link ExecRequest#maxOutputBytes()} is cut and flagged. */
    ExecResult exec(ExecRequest request) throws RuntimeFailure;

    /** Runs a command, passing output chunks to the listener as they arrive. */
    ExecResult exec(ExecRequest request, OutputListener listener) throws RuntimeFailure;

    /** True while the sandbox's init process is alive and its channel works. */
    boolean isAlive();

    /** Why the sandbox is not alive (its processes exited, or its channel broke), or null while it is. */
    String failure();

    /**
     * Opens a TCP connection to {@code 127.0.0.1:port} inside the sandbox (its own network stack; the sandbox has
     * no network to the outside), carried over the agent's channel: port-forward, the proxy, httpGet and
     * tcpSocket probes. NOT_FOUND: nothing listens on that port (connection refused).
     */
    SandboxSocket connect(int port, java.time.Duration timeout) throws RuntimeFailure;

    /** A connection into the sandbox: bytes both ways, flow-controlled; close ends it. */
    interface SandboxSocket extends AutoCloseable {
        java.io.InputStream input();

        java.io.OutputStream output();

        /** No more bytes to send (the server inside sees end of input). */
        void shutdownOutput() throws java.io.IOException;

        @Override
        void close();
    }

    /** Runs {@code action} (on another thread) once the sandbox is no longer alive, or at once if it is not. */
    void whenGone(Runnable action);

    /** State of the pod's main process (the container command), if the config has one. */
    MainProcessState mainProcess();

    SandboxFiles files();

    /** Where the main process's stdout/stderr are written on the host. */
    Path logFile();

    /**
     * Checkpoints the whole sandbox (memory, processes, in-memory files) into {@code imageDir}, which must
     * not exist yet: the image is written next to it and renamed into place only when complete, so a crash
     * midway never leaves a directory at {@code imageDir}. With {@code leaveRunning} the sandbox goes on
     * serving afterwards; without, it is stopped and destroyed.
     */
    CheckpointInfo checkpoint(Path imageDir, boolean leaveRunning) throws RuntimeFailure;

    /**
     * Listener for snapshot requests made from inside the sandbox with {@code /.agentbox/init snapshot [note]}
     * (the workload trigger). The listener gets the note (may be empty) on a virtual thread.
     */
    void onSnapshotRequest(java.util.function.Consumer<String> listener);

    /** Kills all processes and deletes the container. Idempotent. */
    void destroy();

    /** Gets a command's output as it arrives, on the thread that called exec. */
    interface OutputListener {
        void onStdout(byte[] chunk);

        void onStderr(byte[] chunk);

        /** No more output is waiting right now: a good moment to flush what was written (chunks come in bursts). */
        default void flush() {}
    }

    record MainProcessState(boolean running, Integer exitCode) {}

    /** File operations inside the sandbox; paths are absolute or relative to the working directory. */
    interface SandboxFiles {
        void write(String path, byte[] content, int mode) throws RuntimeFailure;

        byte[] read(String path, long maxBytes) throws RuntimeFailure;

        List<FileEntry> list(String path) throws RuntimeFailure;

        FileEntry stat(String path) throws RuntimeFailure;

        void delete(String path, boolean recursive) throws RuntimeFailure;

        void mkdir(String path, boolean parents) throws RuntimeFailure;
    }
}
