package dev.agentbox.client;

import java.time.Duration;

/**
 * What a command did. Output past the request's cap is cut: the flag is set and the text ends with the
 * line {@code [agentbox: output truncated at N bytes]}. A command killed at its timeout has
 * {@code timedOut} set.
 */
public record CommandResult(String stdout, String stderr, int exitCode, Duration duration,
                            boolean stdoutTruncated, boolean stderrTruncated, boolean timedOut) {
    public CommandResult {
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
        duration = duration == null ? Duration.ZERO : duration;
    }

    /** True when the command exited with 0 and was not killed at its timeout. */
    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }
}
