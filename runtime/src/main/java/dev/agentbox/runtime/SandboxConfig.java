package dev.agentbox.runtime;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the runtime needs to start one sandbox. The server resolves it from a PodSpec
 * (that translation lives in the server module, not here, and so do the daemon's default limits).
 * Limits of 0 mean "no limit"; {@code maxProcesses} 0 means {@link #DEFAULT_MAX_PROCESSES}.
 *
 * @param command the main process (container command + args); empty: only the init process runs
 * @param volumes the pod's volumes; {@code mounts} says where the main container sees them
 * @param ephemeralStorageBytes size of the writable root overlay (/tmp included); past it writes fail with
 *                              ENOSPC; disk volumes without a sizeLimit get this size too. 0: unbounded (in memory)
 * @param capabilities what commands running as root get (Kubernetes names, e.g. CHOWN); other users get none
 * @param initContainers run in order, each to completion, before the main process starts (see {@link InitContainer})
 * @param egress what the sandbox may reach on the network; null: no network at all (see {@link Egress})
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
        List<Volume> volumes,
        List<Mount> mounts,
        String hostname,
        long ephemeralStorageBytes,
        Set<String> capabilities,
        List<InitContainer> initContainers,
        Egress egress) {

    public static final int DEFAULT_MAX_PROCESSES = 256;
    /** What a root command gets when the pod says nothing: see {@code Capabilities.COMMAND_DEFAULT}. */
    public static final Set<String> DEFAULT_CAPABILITIES = dev.agentbox.runtime.internal.Capabilities.COMMAND_DEFAULT;
    /** Where init container {@code name}'s root filesystem is, inside the sandbox. */
    public static final String INIT_ROOTS = "/.agentbox/c/";

    /** The canonical (Kubernetes) name of a capability: {@code CAP_} prefix and case ignored; "ALL", or null if unknown. */
    public static String canonicalCapability(String name) {
        return dev.agentbox.runtime.internal.Capabilities.canonical(name);
    }

    /** No network. */
    public SandboxConfig(String id, String image, List<String> command, Map<String, String> env, String workingDir,
                         long memoryLimitBytes, long cpuMillis, int maxProcesses, int uid, int gid, boolean readOnlyRootFilesystem,
                         List<Volume> volumes, List<Mount> mounts, String hostname, long ephemeralStorageBytes, Set<String> capabilities,
                         List<InitContainer> initContainers) {
        this(id, image, command, env, workingDir, memoryLimitBytes, cpuMillis, maxProcesses, uid, gid, readOnlyRootFilesystem,
                volumes, mounts, hostname, ephemeralStorageBytes, capabilities, initContainers, null);
    }

    /** This config with {@code egress} as its network policy. */
    public SandboxConfig withEgress(Egress egress) {
        return new SandboxConfig(id, image, command, env, workingDir, memoryLimitBytes, cpuMillis, maxProcesses, uid, gid, readOnlyRootFilesystem,
                volumes, mounts, hostname, ephemeralStorageBytes, capabilities, initContainers, egress);
    }

    /** This config with {@code extra} added to its environment (its own variables win). */
    public SandboxConfig withEnv(Map<String, String> extra) {
        Map<String, String> merged = new java.util.HashMap<>(extra);
        merged.putAll(env);
        return new SandboxConfig(id, image, command, merged, workingDir, memoryLimitBytes, cpuMillis, maxProcesses, uid, gid, readOnlyRootFilesystem,
                volumes, mounts, hostname, ephemeralStorageBytes, capabilities, initContainers, egress);
    }

    /** No volumes, no init containers, no storage limit and the default capabilities. */
    public SandboxConfig(String id, String image, List<String> command, Map<String, String> env, String workingDir,
                         long memoryLimitBytes, long cpuMillis, int maxProcesses, int uid, int gid, boolean readOnlyRootFilesystem,
                         String hostname) {
        this(id, image, command, env, workingDir, memoryLimitBytes, cpuMillis, maxProcesses, uid, gid, readOnlyRootFilesystem,
                List.of(), List.of(), hostname, 0, DEFAULT_CAPABILITIES, List.of(), null);
    }

    public SandboxConfig {
        capabilities = checkCapabilities(capabilities);
        if (ephemeralStorageBytes < 0) throw new IllegalArgumentException("ephemeralStorageBytes: must be >= 0");
        command = List.copyOf(command == null ? List.of() : command);
        env = Map.copyOf(env == null ? Map.of() : env);
        volumes = List.copyOf(volumes == null ? List.of() : volumes);
        mounts = List.copyOf(mounts == null ? List.of() : mounts);
        initContainers = List.copyOf(initContainers == null ? List.of() : initContainers);
        if (id == null || !id.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")) throw new IllegalArgumentException("id: invalid container id " + id);
        Set<String> names = new HashSet<>();
        for (Volume v : volumes) {
            if (!names.add(v.name())) throw new IllegalArgumentException("volumes: " + v.name() + " is declared twice");
        }
        checkMounts("mounts", mounts, names);
        Set<String> inits = new HashSet<>();
        for (InitContainer i : initContainers) {
            if (!inits.add(i.name())) throw new IllegalArgumentException("initContainers: " + i.name() + " is declared twice");
            checkMounts("initContainers[" + i.name() + "].mounts", i.mounts(), names);
        }
    }

    private static Set<String> checkCapabilities(Set<String> capabilities) {
        Set<String> caps = Set.copyOf(capabilities == null ? DEFAULT_CAPABILITIES : capabilities);
        for (String cap : caps) {
            if (!cap.equals(dev.agentbox.runtime.internal.Capabilities.canonical(cap)) || !dev.agentbox.runtime.internal.Capabilities.AGENT.contains(cap)) {
                throw new IllegalArgumentException("capabilities: " + cap + " is not allowed; allowed: " + new java.util.TreeSet<>(dev.agentbox.runtime.internal.Capabilities.AGENT));
            }
        }
        return caps;
    }

    private static void checkMounts(String field, List<Mount> mounts, Set<String> volumes) {
        Set<String> paths = new HashSet<>();
        for (Mount m : mounts) {
            if (!volumes.contains(m.volume())) throw new IllegalArgumentException(field + ": no volume named " + m.volume());
            if (!paths.add(m.mountPath())) throw new IllegalArgumentException(field + ": two mounts at " + m.mountPath());
        }
    }

    /** The volume called {@code name}. */
    public Volume volume(String name) {
        return volumes.stream().filter(v -> v.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no volume named " + name));
    }

    /**
     * A volume of the pod. {@link Medium#DISK} and {@link Medium#MEMORY} are scratch space (Kubernetes'
     * emptyDir): a tmpfs inside the sandbox of {@code sizeLimitBytes} (0: the storage limit for DISK, the
     * memory limit for MEMORY), one instance shared by every mount of it, saved in checkpoints. MEMORY counts
     * against the memory limit (as in Kubernetes); DISK does not. {@link Medium#HOST_DIR}: the host directory
     * {@code hostPath}, read-write, outside checkpoints (a persistent volume). {@link Medium#HOST_FILES}: the
     * host directory {@code hostPath}, always read-only (configMap, secret, downwardAPI, projected volumes,
     * which the server writes there).
     */
    public record Volume(String name, Medium medium, long sizeLimitBytes, Path hostPath) {
        public enum Medium { DISK, MEMORY, HOST_DIR, HOST_FILES }

        public Volume {
            if (name == null || !name.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
                throw new IllegalArgumentException("volume name must be a DNS label (lower case letters, digits, '-'), got " + name);
            }
            if (medium == null) throw new IllegalArgumentException("volume " + name + ": medium is required");
            if (sizeLimitBytes < 0) throw new IllegalArgumentException("volume " + name + ": sizeLimitBytes must be >= 0");
            boolean host = medium == Medium.HOST_DIR || medium == Medium.HOST_FILES;
            if (host != (hostPath != null)) throw new IllegalArgumentException("volume " + name + ": hostPath is required for host volumes only");
            if (hostPath != null && !hostPath.isAbsolute()) throw new IllegalArgumentException("volume " + name + ": hostPath must be absolute");
        }

        public static Volume disk(String name, long sizeLimitBytes) {
            return new Volume(name, Medium.DISK, sizeLimitBytes, null);
        }

        public static Volume memory(String name, long sizeLimitBytes) {
            return new Volume(name, Medium.MEMORY, sizeLimitBytes, null);
        }

        public boolean scratch() {
            return medium == Medium.DISK || medium == Medium.MEMORY;
        }
    }

    /**
     * Volume {@code volume} seen at {@code mountPath}; {@code subPath} (relative, no "..", host volumes only): that
     * file or directory of the volume instead of its root.
     */
    public record Mount(String volume, String mountPath, String subPath, boolean readOnly) {
        public Mount {
            if (mountPath == null || !mountPath.startsWith("/") || mountPath.equals("/") || mountPath.contains("\0")
                    || List.of(mountPath.split("/")).contains("..") || mountPath.startsWith("/.agentbox")) {
                throw new IllegalArgumentException("mountPath must be an absolute path other than / and /.agentbox, without '..', got " + mountPath);
            }
            if (subPath != null && subPath.isEmpty()) subPath = null;
            if (subPath != null && (subPath.startsWith("/") || subPath.contains("\0") || List.of(subPath.split("/")).contains(".."))) {
                throw new IllegalArgumentException("subPath must be a relative path without '..', got " + subPath);
            }
        }

        public Mount(String volume, String mountPath) {
            this(volume, mountPath, null, false);
        }
    }

    /**
     * A container run to completion before the main process, as Kubernetes runs init containers: in its own
     * root filesystem (its image's, read-only, with a writable /tmp), at {@link #INIT_ROOTS}{@code name} inside the
     * sandbox, seeing the pod's volumes at its own mount paths. A non-zero exit fails the sandbox's start.
     */
    public record InitContainer(String name, String image, List<String> command, Map<String, String> env, String workingDir,
                                int uid, int gid, Set<String> capabilities, List<Mount> mounts) {
        public InitContainer {
            if (name == null || !name.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
                throw new IllegalArgumentException("init container name must be a DNS label, got " + name);
            }
            if (command == null || command.isEmpty()) throw new IllegalArgumentException("init container " + name + ": command is required");
            command = List.copyOf(command);
            env = Map.copyOf(env == null ? Map.of() : env);
            capabilities = checkCapabilities(capabilities);
            mounts = List.copyOf(mounts == null ? List.of() : mounts);
        }

        /** Its root, inside the sandbox. */
        public String root() {
            return INIT_ROOTS + name;
        }
    }
}
