package dev.agentbox.runtime;

import java.time.Duration;

/**
 * Outcome of one command. {@code exitCode} is 128+signal when killed by a signal; {@code timedOut}
 * says the runtime killed it at its timeout. Output past the cap is cut, and the truncated flag set.
 */
public record ExecResult(
        int exitCode,
        byte[] stdout,
        byte[] stderr,
        boolean stdoutTruncated,
        boolean stderrTruncated,
        boolean timedOut,
        Duration duration) {}
