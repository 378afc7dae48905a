package dev.agentbox.adk;

import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import java.time.Duration;

/** How Python source runs in a sandbox, and how its result reads. */
final class Programs {
    private Programs() {}

    /** python3 reading the program from stdin: nothing is left on disk. */
    static CommandRequest python(String code, Duration timeout) {
        return CommandRequest.of("python3", "-").withStdin(code == null ? "" : code).withTimeout(timeout);
    }

    /** A failed result as text a model reads well: why it failed, the exit code, stdout and stderr. */
    static String describeFailure(CommandResult r, Duration timeout) {
        StringBuilder b = new StringBuilder();
        if (r.timedOut()) b.append("timed out: the program was killed after ").append(timeout.toSeconds()).append(" s\n");
        b.append("exit_code: ").append(r.exitCode()).append('\n');
        if (!r.stdout().isEmpty()) b.append("stdout:\n").append(r.stdout()).append(r.stdout().endsWith("\n") ? "" : "\n");
        b.append("stderr:\n").append(r.stderr());
        return b.toString();
    }

    static String message(RuntimeException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.toString() : m;
    }
}
