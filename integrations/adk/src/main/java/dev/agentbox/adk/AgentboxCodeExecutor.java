package dev.agentbox.adk;

import dev.agentbox.client.SandboxSessions;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.google.adk.agents.InvocationContext;
import com.google.adk.codeexecutors.BaseCodeExecutor;
import com.google.adk.codeexecutors.CodeExecutionUtils.CodeExecutionInput;
import com.google.adk.codeexecutors.CodeExecutionUtils.CodeExecutionResult;
import com.google.adk.codeexecutors.CodeExecutionUtils.File;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.PersistentCode;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * An ADK {@link BaseCodeExecutor} that runs the model's Python code blocks in agentbox sandboxes (gVisor, no
 * network). It is stateful per ADK session: the session's first code block claims a sandbox from the warm pool,
 * later blocks of the same session run in that sandbox and in one persistent Python interpreter, its code context
 * (variables, imports and files persist; the value of a block's last expression is appended to stdout; an image
 * without python3 gets a new python3 process per block instead), and the sandbox is released when the session has been idle for the
 * idle timeout, when {@link SandboxSessions#release} is called for it (do that when you delete the session), or
 * on {@link #close()}.
 *
 * <pre>{@code
 * SandboxSessions sandboxes = new SandboxSessions(SandboxClient.fromEnvironment(), "python-pool", Duration.ofMinutes(15));
 * LlmAgent agent = LlmAgent.builder().name("coder").model("gemini-2.5-flash")
 *         .codeExecutor(new AgentboxCodeExecutor(sandboxes, Duration.ofSeconds(60)))
 *         .build();
 * }</pre>
 *
 * A program that fails (exception, non-zero exit, timeout) comes back in the result's stderr with its exit code and
 * output; a sandbox that cannot be claimed or reached comes back the same way. Nothing is thrown into the ADK flow.
 */
public final class AgentboxCodeExecutor extends BaseCodeExecutor implements AutoCloseable {
    @JsonIgnore
    private final SandboxSessions sessions;
    @JsonIgnore
    private final Duration timeout;

    public AgentboxCodeExecutor(SandboxSessions sessions, Duration timeout) {
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** One sandbox per ADK session. */
    @Override
    public boolean stateful() {
        return true;
    }

    @JsonIgnore
    public SandboxSessions sessions() {
        return sessions;
    }

    @Override
    public CodeExecutionResult executeCode(InvocationContext invocationContext, CodeExecutionInput input) {
        String sessionId = input.executionId().orElseGet(() -> invocationContext.session().id());
        try {
            CommandResult r = sessions.with(sessionId, sandbox -> {
                for (File f : input.inputFiles()) sandbox.files().write(f.name(), Base64.getDecoder().decode(f.content()));
                return PersistentCode.run(sandbox, "python", input.code(), timeout, Programs.python(input.code(), timeout));
            });
            if (r.succeeded()) {
                // ADK shows a non-empty stderr as a failure: warnings of a program that worked go with its stdout
                String out = r.stderr().isEmpty() ? r.stdout() : r.stdout() + "\n[stderr]\n" + r.stderr();
                return CodeExecutionResult.builder().stdout(out).stderr("").build();
            }
            return CodeExecutionResult.builder().stdout(r.stdout()).stderr(Programs.describeFailure(r, timeout)).build();
        } catch (RuntimeException e) {
            return CodeExecutionResult.builder().stdout("").stderr("the sandbox could not run the code: " + Programs.message(e)).build();
        }
    }

    /** Releases every session's sandbox. */
    @Override
    public void close() {
        sessions.close();
    }
}
