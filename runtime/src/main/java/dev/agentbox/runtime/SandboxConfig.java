package dev.agentbox.runtime;

import java.util.List;
import java.util.Map;

/**
 * Everything the runtime needs to start one sandbox. The server resolves it from a PodSpec
 * (that translation lives in the server module, not here, and so do the daemon's default limits).
 * Limits of 0 mean "no limit"; {@code maxProcesses} 0 means {@link #DEFAULT_MAX_PROCESSES}.
 *
 * @param command the main process (container command + args); empty: only the init process runs
 * @param readinessProbe argv of an exec readiness probe; empty: ready once started
 * @param ephemeralStorageBytes size of the writable root overlay (/tmp included); past it writes fail with
 *                              ENOSPC; emptyDirs without a sizeLimit get this size too. 0: unbounded (in memory)
 * @param capabilities what commands running as root get (Kubernetes names, e.g. CHOWN); other users get none
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
        String hostname,
        long ephemeralStorageBytes,
        java.util.Set<String> capabilities) {

    public static final int DEFAULT_MAX_PROCESSES = 256;
    /** What a root command gets when the pod says nothing: see {@code Capabilities.COMMAND_DEFAULT}. */
    public static final java.util.Set<String> DEFAULT_CAPABILITIES = dev.agentbox.runtime.internal.Capabilities.COMMAND_DEFAULT;

    /** The canonical (Kubernetes) name of a capability: {@code CAP_} prefix and case ignored; "ALL", or null if unknown. */
    public static String canonicalCapability(String name) {
        return dev.agentbox.runtime.internal.Capabilities.canonical(name);
    }

    /** Without a storage limit and with the default capabilities. */
    public SandboxConfig(String id, String image, List<String> command, Map<String, String> env, String workingDir,
                         long memoryLimitBytes, long cpuMillis, int maxProcesses, int uid, int gid, boolean readOnlyRootFilesystem,
                         List<EmptyDir> emptyDirs, List<String> readinessProbe, String hostname) {
        this(id, image, command, env, workingDir, memoryLimitBytes, cpuMillis, maxProcesses, uid, gid, readOnlyRootFilesystem,
                emptyDirs, readinessProbe, hostname, 0, DEFAULT_CAPABILITIES);
    }

    public SandboxConfig {
        capabilities = java.util.Set.copyOf(capabilities == null ? DEFAULT_CAPABILITIES : capabilities);
        for (String cap : capabilities) {
            if (!cap.equals(dev.agentbox.runtime.internal.Capabilities.canonical(cap)) || !dev.agentbox.runtime.internal.Capabilities.AGENT.contains(cap)) {
                throw new IllegalArgumentException("capabilities: " + cap + " is not allowed; allowed: " + new java.util.TreeSet<>(dev.agentbox.runtime.internal.Capabilities.AGENT));
            }
        }
        if (ephemeralStorageBytes < 0) throw new IllegalArgumentException("ephemeralStorageBytes: must be >= 0");
        command = List.copyOf(command == null ? List.of() : command);
        env = Map.copyOf(env == null ? Map.of() : env);
        emptyDirs = List.copyOf(emptyDirs == null ? List.of() : emptyDirs);
        readinessProbe = List.copyOf(readinessProbe == null ? List.of() : readinessProbe);
        if (id == null || !id.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")) throw new IllegalArgumentException("id: invalid container id " + id);
    }

    /**
     * A scratch volume mounted at {@code mountPath}. {@code memory} (Kubernetes' medium Memory): a tmpfs in
     * the sandbox's memory, counted against its memory limit, of {@code sizeLimitBytes} (0: the memory limit).
     * Otherwise (medium ""): part of the sandbox's ephemeral storage, sharing its limit with the root overlay
     * (when the sandbox has no storage limit: a tmpfs of {@code sizeLimitBytes}, 0 meaning unbounded).
     */
    public record EmptyDir(String name, String mountPath, long sizeLimitBytes, boolean readOnly, boolean memory) {
        public EmptyDir(String name, String mountPath, long sizeLimitBytes, boolean readOnly) {
            this(name, mountPath, sizeLimitBytes, readOnly, false);
        }
    }
}
