package dev.agentbox.langchain4j;

import dev.agentbox.client.CommandResult;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.langchain4j.code.CodeExecutionEngine;
import java.time.Duration;

/**
 * A LangChain4j {@link CodeExecutionEngine} that runs Python in an agentbox sandbox (gVisor, no network).
 * The same sandbox serves every call, so files written by one program are there for the next.
 *
 * <p>{@link #execute} never throws for a failing program: when the program exits 0 it returns its stdout; otherwise
 * (an exception, a non-zero exit, a timeout, a sandbox that cannot be reached) it returns a text with the exit
 * code, stdout and stderr, for the model to read.
 *
 * <pre>{@code
 * try (SandboxClient client = SandboxClient.fromEnvironment();
 *      AgentboxCodeExecutionEngine engine = new AgentboxCodeExecutionEngine(client, "python-pool")) {
 *     String out = engine.execute("print(6*7)");   // "42"
 * }
 * }</pre>
 */
public final class AgentboxCodeExecutionEngine implements CodeExecutionEngine, AutoCloseable {
    private final SandboxHolder holder;
    private final Duration timeout;

    /** Claims a sandbox from {@code warmPool} on the first call and releases it on {@link #close()}; 60 s per program. */
    public AgentboxCodeExecutionEngine(SandboxClient client, String warmPool) {
        this(client, warmPool, Duration.ofSeconds(60));
    }

    public AgentboxCodeExecutionEngine(SandboxClient client, String warmPool, Duration timeout) {
        this.holder = new SandboxHolder(client, warmPool);
        this.timeout = timeout;
    }

    /** Runs in a sandbox the caller owns ({@link #close()} leaves it running). */
    public AgentboxCodeExecutionEngine(Sandbox sandbox, Duration timeout) {
        this.holder = new SandboxHolder(sandbox);
        this.timeout = timeout;
    }

    @Override
    public String execute(String code) {
        try {
            CommandResult r = holder.runPython(code, timeout);
            if (r.succeeded()) return r.stdout().strip();
            return SandboxHolder.describe(r, timeout);
        } catch (RuntimeException e) {
            return SandboxHolder.failure("running the code", e);
        }
    }

    @Override
    public void close() {
        holder.close();
    }
}
