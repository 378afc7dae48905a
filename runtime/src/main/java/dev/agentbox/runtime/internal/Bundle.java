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
     * @param volumesDir a directory of the bundle: the per-volume mount sources of scratch volumes (gVisor mount
     *                   hints make every mount of one source share one tmpfs; nothing is written there)
     * @param initRootfs the root filesystem (host directory) of each init container's image, by container name
     * @param hostSource the host path a mount of a host volume binds (its subPath resolved and checked by the caller)
     */
    public static Map<String, Object> spec(SandboxConfig c, Path rootfs, Path agentDir, Path volumesDir, Map<String, Path> initRootfs,
                                           java.util.function.Function<SandboxConfig.Mount, Path> hostSource) {
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
        List<String> agentEnv = new ArrayList<>(List.of("PATH=" + GvisorSandbox.DEFAULT_PATH));
        String disk = diskVolumePaths(c);
        // the agent's OOM handling does not count what disk volumes hold (their tmpfs is sandbox memory, but Kubernetes
        // counts an emptyDir on disk against ephemeral storage, not memory)
        if (!disk.isEmpty()) agentEnv.add("AGENTBOX_DISK_VOLUMES=" + disk);
        process.put("env", agentEnv);
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
        Map<String, String> annotations = new LinkedHashMap<>();
        for (SandboxConfig.Volume v : c.volumes()) {
            if (!v.scratch()) continue;
            List<String> opts = new ArrayList<>(List.of("rw", "nosuid", "nodev", "mode=1777"));
            long size = scratchSize(c, v);
            if (size > 0) opts.add("size=" + size);
            String hint = "dev.gvisor.spec.mount." + v.name() + ".";
            annotations.put(hint + "source", volumesDir.resolve(v.name()).toString());
            annotations.put(hint + "type", "tmpfs");
            annotations.put(hint + "share", "container");
            annotations.put(hint + "options", String.join(",", opts));
        }
        for (SandboxConfig.Mount m : c.mounts()) mounts.add(volumeMount(c, m, "", volumesDir, hostSource));
        for (SandboxConfig.InitContainer init : c.initContainers()) {
            String root = init.root();
            mounts.add(mount(root, "bind", initRootfs.get(init.name()).toString(), List.of("rbind", "ro", "nosuid", "nodev")));
            mounts.add(mount(root + "/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
            // the agent makes null, zero, full, random, urandom and tty here before the container runs
            mounts.add(mount(root + "/dev", "tmpfs", "tmpfs", List.of("nosuid", "mode=755", "size=65536k")));
            mounts.add(mount(root + "/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", "size=" + (64L << 20))));
            for (SandboxConfig.Mount m : init.mounts()) mounts.add(volumeMount(c, m, root, volumesDir, hostSource));
        }
        if (!annotations.isEmpty()) spec.put("annotations", annotations);
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
     * Gives the sandbox the network namespace {@code netns} (made by {@code SandboxNetwork}) instead of a new empty one,
     * and {@code resolvConf} (its generated resolv.conf) at /etc/resolv.conf, read-only.
     */
    @SuppressWarnings("unchecked")
    public static void addNetwork(Map<String, Object> spec, Path netns, Path resolvConf) {
        ((List<Map<String, Object>>) spec.get("mounts")).add(mount("/etc/resolv.conf", "bind", resolvConf.toString(), List.of("rbind", "ro", "nosuid", "nodev")));
        Map<String, Object> linux = (Map<String, Object>) spec.get("linux");
        List<Map<String, Object>> namespaces = new ArrayList<>();
        for (Map<String, Object> ns : (List<Map<String, Object>>) linux.get("namespaces")) {
            namespaces.add("network".equals(ns.get("type")) ? Map.of("type", "network", "path", netns.toString()) : ns);
        }
        linux.put("namespaces", namespaces);
    }

    /**
     * The host memory cgroup's limit: the sandbox's memory limit, plus its root overlay (a tmpfs of the
     * storage limit, whose pages are charged to this cgroup), plus room for gVisor's own memory. Inside,
     * RLIMIT_AS stops one process at the memory limit and the shim's watchdog stops the sum of them, so
     * this cgroup limit (which kills the whole sandbox) is only the last safety net.
     */
    public static long hostMemoryLimit(SandboxConfig c) {
        long limit = c.memoryLimitBytes();
        long disk = 0;
        for (SandboxConfig.Volume v : c.volumes()) {
            if (v.medium() == SandboxConfig.Volume.Medium.DISK) disk += scratchSize(c, v);
        }
        return limit + Math.max(64L << 20, limit / 4) + c.ephemeralStorageBytes() + disk;
    }

    /** The size of a scratch volume's tmpfs: its sizeLimit, else the storage limit (disk) or memory limit (memory); 0: unbounded. */
    public static long scratchSize(SandboxConfig c, SandboxConfig.Volume v) {
        if (v.sizeLimitBytes() > 0) return v.sizeLimitBytes();
        return v.medium() == SandboxConfig.Volume.Medium.MEMORY ? c.memoryLimitBytes() : c.ephemeralStorageBytes();
    }

    /** One path inside the sandbox per disk volume (where the agent can statfs it), newline-separated. */
    static String diskVolumePaths(SandboxConfig c) {
        List<String> out = new ArrayList<>();
        for (SandboxConfig.Volume v : c.volumes()) {
            if (v.medium() != SandboxConfig.Volume.Medium.DISK) continue;
            c.mounts().stream().filter(m -> m.volume().equals(v.name())).findFirst().map(SandboxConfig.Mount::mountPath)
                    .or(() -> c.initContainers().stream().flatMap(i -> i.mounts().stream().filter(m -> m.volume().equals(v.name()))
                            .map(m -> i.root() + m.mountPath())).findFirst())
                    .ifPresent(out::add);
        }
        return String.join("\n", out);
    }

    private static Map<String, Object> volumeMount(SandboxConfig c, SandboxConfig.Mount m, String root, Path volumesDir,
                                                   java.util.function.Function<SandboxConfig.Mount, Path> hostSource) {
        SandboxConfig.Volume v = c.volume(m.volume());
        boolean ro = m.readOnly() || v.medium() == SandboxConfig.Volume.Medium.HOST_FILES;
        List<String> opts = List.of("rbind", ro ? "ro" : "rw", "nosuid", "nodev");
        if (v.scratch()) {
            if (m.subPath() != null) throw new IllegalArgumentException("volume " + v.name() + ": subPath is not supported for emptyDir volumes");
            return mount(root + m.mountPath(), "bind", volumesDir.resolve(v.name()).toString(), opts);
        }
        return mount(root + m.mountPath(), "bind", hostSource.apply(m).toString(), opts);
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
