package dev.agentbox.langchain4j;

import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import java.time.Duration;
import java.util.Objects;

/** A sandbox claimed from a warm pool on first use (owned: released by close()), or one given by the caller (not owned). */
final class SandboxHolder implements AutoCloseable {
    private final SandboxClient client;
    private final String warmPool;
    private Sandbox sandbox;
    private final boolean owned;

    SandboxHolder(SandboxClient client, String warmPool) {
        this.client = Objects.requireNonNull(client, "client");
        this.warmPool = Objects.requireNonNull(warmPool, "warmPool");
        this.owned = true;
    }

    SandboxHolder(Sandbox sandbox) {
        this.client = null;
        this.warmPool = null;
        this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
        this.owned = false;
    }

    synchronized Sandbox get() {
        if (sandbox == null) sandbox = client.createSandbox(warmPool, CreateOptions.defaults());
        return sandbox;
    }

    CommandResult run(CommandRequest request) {
        return get().commands().run(request);
    }

    /** Runs Python in the sandbox's code context (variables persist between calls), or one-shot where none can be made. */
    CommandResult runPython(String code, Duration timeout) {
        return dev.agentbox.client.PersistentCode.run(get(), "python", code, timeout, python(code, timeout));
    }

    static CommandRequest python(String code, Duration timeout) {
        return CommandRequest.of("python3", "-").withStdin(code == null ? "" : code).withTimeout(timeout);
    }

    /** A result as text a model reads well. */
    static String describe(CommandResult r, Duration timeout) {
        StringBuilder b = new StringBuilder();
        if (r.timedOut()) b.append("timed out: the program was killed after ").append(timeout.toSeconds()).append(" s\n");
        b.append("exit_code: ").append(r.exitCode()).append('\n');
        b.append("stdout:\n").append(r.stdout());
        if (!r.stdout().isEmpty() && !r.stdout().endsWith("\n")) b.append('\n');
        b.append("stderr:\n").append(r.stderr());
        if (!r.stderr().isEmpty() && !r.stderr().endsWith("\n")) b.append('\n');
        if (r.stdoutTruncated() || r.stderrTruncated()) b.append("(output was truncated)\n");
        return b.toString();
    }

    static String failure(String what, RuntimeException e) {
        String m = e.getMessage();
        return what + " failed: " + (m == null || m.isBlank() ? e.toString() : m);
    }

    @Override
    public synchronized void close() {
        if (sandbox != null && owned) {
            sandbox.close();
            sandbox = null;
        }
    }
}
