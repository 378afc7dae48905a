package dev.agentbox.mcp;

import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.PersistentCode;
import dev.agentbox.client.Sandbox;
import java.time.Duration;
import java.util.Locale;

/** Runs a program's source text in a sandbox: the source goes in on stdin, so nothing is left behind on disk. */
public final class CodeRunner {
    private CodeRunner() {}

    /** The languages {@link #request} knows. */
    public static final String LANGUAGES = "python, bash, sh";

    /**
     * The command that runs {@code code} in {@code language} (python (default), bash or sh).
     *
     * @throws IllegalArgumentException for another language (the message lists the known ones)
     */
    public static CommandRequest request(String language, String code, Duration timeout) {
        CommandRequest r = switch (language(language)) {
            case "python" -> CommandRequest.of("python3", "-");
            case "bash" -> CommandRequest.of("bash", "-s");
            default -> CommandRequest.of("sh", "-s");
        };
        r = r.withStdin(code == null ? "" : code);
        return timeout == null ? r : r.withTimeout(timeout);
    }

    /** The canonical name of a language: python, bash or sh. */
    public static String language(String language) {
        String lang = language == null || language.isBlank() ? "python" : language.trim().toLowerCase(Locale.ROOT);
        return switch (lang) {
            case "python", "python3", "py" -> "python";
            case "bash" -> "bash";
            case "sh", "shell" -> "sh";
            default -> throw new IllegalArgumentException("unknown language \"" + language + "\"; use one of: " + LANGUAGES);
        };
    }

    /**
     * Runs the code in the sandbox's code context of its language (python, bash), so variables, imports and the
     * working directory persist between calls; sh, or a sandbox that cannot hold a context, gets a one-shot process.
     */
    public static CommandResult run(Sandbox sandbox, String language, String code, Duration timeout) {
        return PersistentCode.run(sandbox, language(language), code, timeout, request(language, code, timeout));
    }

    /**
     * A result as text a model reads well: the exit code, whether it was killed at its timeout, then stdout and
     * stderr in full.
     */
    public static String describe(CommandResult r, Duration timeout) {
        StringBuilder b = new StringBuilder();
        if (r.timedOut()) {
            b.append("timed out: the program was killed after ")
                    .append(timeout == null ? "the time limit" : timeout.toSeconds() + " s").append('\n');
        }
        b.append("exit_code: ").append(r.exitCode()).append('\n');
        b.append("stdout:\n").append(r.stdout());
        if (!r.stdout().isEmpty() && !r.stdout().endsWith("\n")) b.append('\n');
        b.append("stderr:\n").append(r.stderr());
        if (!r.stderr().isEmpty() && !r.stderr().endsWith("\n")) b.append('\n');
        if (r.stdoutTruncated() || r.stderrTruncated()) b.append("(output was truncated)\n");
        return b.toString();
    }
}
