package dev.agentbox.client;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command to run in a sandbox: either an argv list ({@link #of}) or a shell string run by
 * {@code /bin/sh -c} ({@link #shell}), plus optional environment, working directory, stdin, timeout and
 * output cap. Unset optional values use the daemon's defaults (timeout 5 min, output cap 1 MiB).
 */
public record CommandRequest(List<String> command, String shell, Map<String, String> env, String workingDir,
                             String stdin, Duration timeout, Long maxOutputBytes) {

    public CommandRequest {
        boolean hasCommand = command != null && !command.isEmpty();
        boolean hasShell = shell != null && !shell.isEmpty();
        if (hasCommand == hasShell) {
            throw new IllegalArgumentException("give exactly one of command (an argv list) or shell (a string for /bin/sh -c)");
        }
        command = hasCommand ? List.copyOf(command) : null;
        env = env == null ? Map.of() : Map.copyOf(env);
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout: must be positive, got " + timeout);
        }
        if (maxOutputBytes != null && maxOutputBytes <= 0) {
            throw new IllegalArgumentException("maxOutputBytes: must be positive, got " + maxOutputBytes);
        }
    }

    /** An argv command, e.g. {@code CommandRequest.of("python3", "-c", "print(1)")}. */
    public static CommandRequest of(String... argv) {
        return of(List.of(argv));
    }

    public static CommandRequest of(List<String> argv) {
        return new CommandRequest(argv, null, null, null, null, null, null);
    }

    /** A shell command line, run by {@code /bin/sh -c}. */
    public static CommandRequest shell(String commandLine) {
        return new CommandRequest(null, commandLine, null, null, null, null, null);
    }

    public CommandRequest withEnv(Map<String, String> moreEnv) {
        Map<String, String> merged = new LinkedHashMap<>(env);
        merged.putAll(moreEnv);
        return new CommandRequest(command, shell, merged, workingDir, stdin, timeout, maxOutputBytes);
    }

    public CommandRequest withEnv(String name, String value) {
        return withEnv(Map.of(name, value));
    }

    public CommandRequest withWorkingDir(String dir) {
        return new CommandRequest(command, shell, env, dir, stdin, timeout, maxOutputBytes);
    }

    public CommandRequest withStdin(String input) {
        return new CommandRequest(command, shell, env, workingDir, input, timeout, maxOutputBytes);
    }

    public CommandRequest withTimeout(Duration limit) {
        return new CommandRequest(command, shell, env, workingDir, stdin, limit, maxOutputBytes);
    }

    public CommandRequest withMaxOutputBytes(long max) {
        return new CommandRequest(command, shell, env, workingDir, stdin, timeout, max);
    }
}
