package dev.agentbox.langchain4j;

import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import java.time.Duration;

/**
 * LangChain4j tools backed by one agentbox sandbox: {@code run_python}, {@code run_shell}, {@code write_file},
 * {@code read_file}. Give an instance to {@code AiServices.builder(...).tools(...)}.
 *
 * <p>Every tool returns text, also when something fails (a syntax error, a non-zero exit, a timeout, a missing file):
 * the model reads the exit code and stderr and can fix its code. Nothing is thrown at the AI service.
 */
public final class AgentboxTools implements AutoCloseable {
    private final SandboxHolder holder;
    private final Duration timeout;

    /** Claims a sandbox from {@code warmPool} on the first call and releases it on {@link #close()}; 60 s per program. */
    public AgentboxTools(SandboxClient client, String warmPool) {
        this(client, warmPool, Duration.ofSeconds(60));
    }

    public AgentboxTools(SandboxClient client, String warmPool, Duration timeout) {
        this.holder = new SandboxHolder(client, warmPool);
        this.timeout = timeout;
    }

    /** Tools on a sandbox the caller owns ({@link #close()} leaves it running). */
    public AgentboxTools(Sandbox sandbox, Duration timeout) {
        this.holder = new SandboxHolder(sandbox);
        this.timeout = timeout;
    }

    @Tool(name = "run_python", value = "Runs a Python 3 program in an isolated sandbox (no network) and returns its exit code, "
            + "stdout and stderr. Print the values you need. Files persist between calls.")
    public String runPython(@P("the complete Python program") String code) {
        try {
            return SandboxHolder.describe(holder.runPython(code, timeout), timeout);
        } catch (RuntimeException e) {
            return SandboxHolder.failure("run_python", e);
        }
    }

    @Tool(name = "run_shell", value = "Runs a shell command line (/bin/sh -c) in the sandbox and returns its exit code, stdout and stderr.")
    public String runShell(@P("the command line") String command) {
        try {
            return SandboxHolder.describe(holder.run(CommandRequest.shell(command).withTimeout(timeout)), timeout);
        } catch (RuntimeException e) {
            return SandboxHolder.failure("run_shell", e);
        }
    }

    @Tool(name = "write_file", value = "Creates or replaces a UTF-8 text file in the sandbox.")
    public String writeFile(@P("file path") String path, @P("the file's content") String content) {
        try {
            holder.get().files().write(path, content);
            return "wrote " + path;
        } catch (RuntimeException e) {
            return SandboxHolder.failure("write_file", e);
        }
    }

    @Tool(name = "read_file", value = "Reads a UTF-8 text file from the sandbox.")
    public String readFile(@P("file path") String path) {
        try {
            return holder.get().files().readString(path);
        } catch (RuntimeException e) {
            return SandboxHolder.failure("read_file", e);
        }
    }

    @Override
    public void close() {
        holder.close();
    }
}
