package dev.agentbox.runtime;

import java.time.Duration;

/**
 * Outcome of one command. {@code exitCode} is 128+signal when killed by a signal; {@code timedOut}
 * says the runtime killed it (and every process it started) at its timeout; {@code oomKilled} that the
 * sandbox ran out of memory and its processes were the largest. Output past the cap is cut, and the
 * truncated flag set.
 */
public record ExecResult(
        int exitCode,
        byte[] stdout,
        byte[] stderr,
        boolean stdoutTruncated,
        boolean stderrTruncated,
        boolean timedOut,
        Duration duration,
        boolean oomKilled) {

    public ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean stdoutTruncated, boolean stderrTruncated, boolean timedOut, Duration duration) {
        this(exitCode, stdout, stderr, stdoutTruncated, stderrTruncated, timedOut, duration, false);
    }
}
