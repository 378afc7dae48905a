package dev.agentbox.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A command to run inside a sandbox. {@code argv} is run directly (no shell); use
 * {@link #shell(String)} for a shell string. {@code env} is added to the sandbox's environment.
 */
public record ExecRequest(
        List<String> argv,
        Map<String, String> env,
        String workingDir,
        byte[] stdin,
        Duration timeout,
        long maxOutputBytes) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    public static final long DEFAULT_MAX_OUTPUT = 10L * 1024 * 1024;

    public ExecRequest {
        if (argv == null || argv.isEmpty()) throw new IllegalArgumentException("argv: at least one element required");
        argv = List.copyOf(argv);
        env = env == null ? Map.of() : Map.copyOf(env);
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (maxOutputBytes <= 0) maxOutputBytes = DEFAULT_MAX_OUTPUT;
    }

    public static ExecRequest of(String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), null, null, null, 0);
    }

    public static ExecRequest shell(String script) {
        return new ExecRequest(List.of("/bin/sh", "-c", script), Map.of(), null, null, null, 0);
    }
}
