package dev.agentbox.runtime;

import java.util.List;
import java.util.Map;

/**
 * Everything the runtime needs to start one sandbox. The server resolves it from a PodSpec
 * (that translation lives in the server module, not here). Limits of 0 mean "no limit";
 * {@code maxProcesses} 0 means {@link #DEFAULT_MAX_PROCESSES}.
 *
 * @param command the main process (container command + args); empty: only the init process runs
 * @param readinessProbe argv of an exec readiness probe; empty: ready once started
 */
public record SandboxConfig(
        String id,
        String image,
        List<String> command,
        Map<String, String> env,
        String workingDir,
        long memoryLimitBytes,
        long cpuMillis,
        int maxProcesses,
        int uid,
        int gid,
        boolean readOnlyRootFilesystem,
        List<EmptyDir> emptyDirs,
        List<String> readinessProbe,
        String hostname) {

    public static final int DEFAULT_MAX_PROCESSES = 256;

    public SandboxConfig {
        command = List.copyOf(command == null ? List.of() : command);
        env = Map.copyOf(env == null ? Map.of() : env);
        emptyDirs = List.copyOf(emptyDirs == null ? List.of() : emptyDirs);
        readinessProbe = List.copyOf(readinessProbe == null ? List.of() : readinessProbe);
        if (id == null || !id.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")) throw new IllegalArgumentException("id: invalid container id " + id);
    }

    /** An in-memory volume mounted at {@code mountPath}; sizeLimitBytes 0 means no limit. */
    public record EmptyDir(String name, String mountPath, long sizeLimitBytes, boolean readOnly) {}
}
