package dev.agentbox.adk;

import dev.agentbox.client.SandboxSessions;
import com.google.adk.tools.Annotations.Schema;
import com.google.adk.tools.FunctionTool;
import com.google.adk.tools.ToolContext;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.PersistentCode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code code_exec} tool for ADK agents: Python code in; stdout, stderr, exit code out. Each ADK session runs in
 * its own sandbox ({@link SandboxSessions}), so files written by one call are there for the next.
 *
 * <pre>{@code
 * LlmAgent agent = LlmAgent.builder().name("assistant").model("gemini-2.5-flash")
 *         .tools(CodeExecTool.create(sandboxes, Duration.ofSeconds(60)))
 *         .build();
 * }</pre>
 *
 * Errors are data: a failing program returns {@code exit_code} != 0 and its {@code stderr}, a program killed at its
 * time limit returns {@code timed_out: true}, and a sandbox that cannot be claimed returns an {@code error} entry.
 * The tool never throws into the agent.
 */
public final class CodeExecTool {
    public static final String NAME = "code_exec";

    private final SandboxSessions sessions;
    private final Duration timeout;

    public CodeExecTool(SandboxSessions sessions, Duration timeout) {
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The ADK tool named {@value #NAME}. */
    public static FunctionTool create(SandboxSessions sessions, Duration timeout) {
        return FunctionTool.create(new CodeExecTool(sessions, timeout), "codeExec");
    }

    @Schema(name = NAME, description = "Runs a Python 3 program in an isolated sandbox (no network) and returns its stdout, "
            + "stderr and exit_code. Print the values you need. Files and variables persist between calls in this session; the value of the last expression is shown.")
    public Map<String, Object> codeExec(@Schema(name = "code", description = "the complete Python program") String code,
                                        ToolContext toolContext) {
        String sessionId = toolContext == null ? "default" : toolContext.sessionId();
        return run(sessionId, code);
    }

    /** Runs {@code code} in the session's sandbox; the result map is what the model sees. */
    public Map<String, Object> run(String sessionId, String code) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            CommandResult r = sessions.with(sessionId, sandbox -> PersistentCode.run(sandbox, "python", code, timeout, Programs.python(code, timeout)));
            out.put("stdout", r.stdout());
            out.put("stderr", r.stderr());
            out.put("exit_code", r.exitCode());
            if (r.timedOut()) {
                out.put("timed_out", true);
                out.put("error", "the program was killed after " + timeout.toSeconds() + " s");
            }
            if (r.stdoutTruncated() || r.stderrTruncated()) out.put("truncated", true);
        } catch (RuntimeException e) {
            out.put("error", "the sandbox could not run the code: " + Programs.message(e));
        }
        return out;
    }
}
