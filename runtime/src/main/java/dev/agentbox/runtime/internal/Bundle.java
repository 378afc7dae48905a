package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.SandboxConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the OCI runtime spec (config.json) of one sandbox. See runtime/DESIGN.md for the layout. */
public final class Bundle {
    public static final String INIT_PATH = "/.agentbox/init";

    private Bundle() {}

    /**
     * @param emptySource an empty host directory: disk emptyDirs of a sandbox with a storage limit are bind
     *                    mounts of it, with the sandbox's overlay (--overlay2=all) on top, so their writes go
     *                    to the same size-limited filestore as the root overlay's (never to this directory)
     */
    public static Map<String, Object> spec(SandboxConfig c, Path rootfs, boolean builtin, Path agentDir, Path emptySource) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("ociVersion", "1.0.2");
        int nproc = c.maxProcesses() > 0 ? c.maxProcesses() : SandboxConfig.DEFAULT_MAX_PROCESSES;
        Map<String, Object> caps = new LinkedHashMap<>();
        // the agent's own set; it gives each command its own (SandboxConfig.capabilities for root, none for others)
        for (String k : List.of("bounding", "effective", "permitted")) caps.put(k, Capabilities.oci(Capabilities.AGENT));
        Map<String, Object> process = new LinkedHashMap<>();
        process.put("terminal", false);
        // the agent starts as root and drops to a uid of its own, keeping its capabilities; it runs every command as uid/gid
        process.put("user", Map.of("uid", 0, "gid", 0));
        process.put("args", List.of(INIT_PATH));
        process.put("env", List.of("PATH=" + GvisorSandbox.DEFAULT_PATH));
        process.put("cwd", "/");
        process.put("capabilities", caps);
        List<Map<String, Object>> rlimits = new ArrayList<>(List.of(
                Map.of("type", "RLIMIT_NPROC", "hard", nproc, "soft", nproc),
                Map.of("type", "RLIMIT_NOFILE", "hard", 65536, "soft", 65536)));
        // Inside: each process's address space is capped at the memory limit, so a hog fails its own
        // allocation (MemoryError, ENOMEM) and the sandbox lives. The host memcg limit (below, with
        // headroom for gVisor's own memory) is only the safety net: hitting it kills the whole sandbox.
        if (c.memoryLimitBytes() > 0) rlimits.add(Map.of("type", "RLIMIT_AS", "hard", c.memoryLimitBytes(), "soft", c.memoryLimitBytes()));
        process.put("rlimits", rlimits);
        process.put("noNewPrivileges", true);
        spec.put("process", process);
        spec.put("root", Map.of("path", rootfs.toString(), "readonly", c.readOnlyRootFilesystem()));
        spec.put("hostname", c.hostname() == null || c.hostname().isBlank() ? c.id() : c.hostname());

        List<Map<String, Object>> mounts = new ArrayList<>();
        mounts.add(mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
        mounts.add(mount("/dev/pts", "devpts", "devpts", List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")));
        mounts.add(mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
        mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        mounts.add(mount(INIT_PATH.substring(0, INIT_PATH.lastIndexOf('/')), "bind", agentDir.toString(), List.of("rbind", "ro", "nosuid", "nodev")));
        if (builtin) mounts.add(mount("/usr", "bind", "/usr", List.of("rbind", "ro", "nosuid", "nodev")));
        for (SandboxConfig.EmptyDir e : c.emptyDirs()) {
            if (!e.memory() && c.ephemeralStorageBytes() > 0) {
                mounts.add(mount(e.mountPath(), "bind", emptySource.toString(), e.readOnly() ? List.of("rbind", "ro", "nosuid", "nodev") : List.of("rbind", "rw", "nosuid", "nodev")));
                continue;
            }
            List<String> opts = new ArrayList<>(List.of("nosuid", "nodev", "mode=1777"));
            long size = e.sizeLimitBytes() > 0 ? e.sizeLimitBytes() : e.memory() ? c.memoryLimitBytes() : 0;
            if (size > 0) opts.add("size=" + size);
            if (e.readOnly()) opts.add("ro");
            mounts.add(mount(e.mountPath(), "tmpfs", "tmpfs", opts));
        }
        spec.put("mounts", mounts);

        Map<String, Object> linux = new LinkedHashMap<>();
        linux.put("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "ipc"), Map.of("type", "uts"),
                Map.of("type", "mount"), Map.of("type", "network")));
        Map<String, Object> resources = new LinkedHashMap<>();
        if (c.memoryLimitBytes() > 0) resources.put("memory", Map.of("limit", hostMemoryLimit(c)));
        if (c.cpuMillis() > 0) {
            long period = 100_000;
            resources.put("cpu", Map.of("quota", c.cpuMillis() * period / 1000, "period", period));
        }
        linux.put("resources", resources);
        linux.put("cgroupsPath", "/agentbox/" + c.id());
        linux.put("maskedPaths", List.of("/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"));
        linux.put("readonlyPaths", List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"));
        spec.put("linux", linux);
        return spec;
    }

    /**
     * The host memory cgroup's limit: the sandbox's memory limit, plus its root overlay (a tmpfs of the
     * storage limit, whose pages are charged to this cgroup), plus room for gVisor's own memory. Inside,
     * RLIMIT_AS stops one process at the memory limit and the shim's watchdog stops the sum of them, so
     * this cgroup limit (which kills the whole sandbox) is only the last safety net.
     */
    public static long hostMemoryLimit(SandboxConfig c) {
        long limit = c.memoryLimitBytes();
        return limit + Math.max(64L << 20, limit / 4) + c.ephemeralStorageBytes();
    }

    private static Map<String, Object> mount(String dest, String type, String source, List<String> options) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("destination", dest);
        m.put("type", type);
        m.put("source", source);
        m.put("options", options);
        return m;
    }
}
