package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import dev.agentbox.runtime.SandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Host directories seen by a sandbox: where each mount of a host volume binds from, and the mount points that
 * must exist in read-only host directories before runsc starts. One rule for both: a path is walked component
 * by component with lstat and never through a symlink (the subPath attack on the kubelet, CVE-2017-1002101: a
 * volume the sandbox wrote holds a symlink to a host path, and a later mount of that subPath would bind the host
 * path). Nothing writes these directories while this runs: a sandbox's own volumes are not mounted anywhere while
 * it starts (each sandbox has its own), and image directories are written only by imports into fresh directories.
 */
public final class HostVolumes {
    private HostVolumes() {}

    /** The host path each mount of a host volume (main and init containers) binds: its volume's directory, or its subPath in it. */
    public static Map<SandboxConfig.Mount, Path> sources(SandboxConfig config) throws RuntimeFailure {
        Map<SandboxConfig.Mount, Path> out = new LinkedHashMap<>();
        List<SandboxConfig.Mount> all = new ArrayList<>(config.mounts());
        for (SandboxConfig.InitContainer i : config.initContainers()) all.addAll(i.mounts());
        for (SandboxConfig.Mount m : all) {
            SandboxConfig.Volume v = config.volume(m.volume());
            if (v.scratch()) continue;
            BasicFileAttributes a = lstat(v.hostPath());
            if (a == null || !a.isDirectory()) {
                throw new RuntimeFailure(Kind.INVALID, "volume " + v.name() + ": its host directory " + v.hostPath() + " is missing");
            }
            if (m.subPath() == null) {
                out.put(m, v.hostPath());
                continue;
            }
            try {
                out.put(m, walk(v.hostPath(), m.subPath(), v.medium() == SandboxConfig.Volume.Medium.HOST_DIR, false));
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.INVALID, "volume " + v.name() + ", subPath " + m.subPath() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Creates, for each mount of an OCI spec that lands in one of the {@code readOnly} host directories (or in the
     * root filesystem when it is one of them), its mount point there: runsc's gofer would create it, but the shim
     * makes those directories read-only for the host kernel before runsc runs (see agentbox-shim.c --ro).
     */
    @SuppressWarnings("unchecked")
    public static void createMountPoints(Map<String, Object> spec, Path rootfs, List<Path> readOnly) throws RuntimeFailure {
        List<Map<String, Object>> mounts = (List<Map<String, Object>>) spec.get("mounts");
        for (int i = 0; i < mounts.size(); i++) {
            String dest = (String) mounts.get(i).get("destination");
            // the deepest earlier mount that contains this one decides where its mount point is
            Map<String, Object> parent = null;
            for (int j = 0; j < i; j++) {
                String d = (String) mounts.get(j).get("destination");
                if (dest.startsWith(d + "/") && (parent == null || d.length() > ((String) parent.get("destination")).length())) parent = mounts.get(j);
            }
            Path host;
            String rel;
            if (parent == null) {
                host = rootfs;
                rel = dest;
            } else if ("bind".equals(parent.get("type"))) {
                host = Path.of((String) parent.get("source"));
                rel = dest.substring(((String) parent.get("destination")).length());
            } else {
                continue; // inside a tmpfs or proc: the sentry makes it
            }
            if (readOnly.stream().noneMatch(host::startsWith)) continue;
            boolean file = "bind".equals(mounts.get(i).get("type")) && Files.isRegularFile(Path.of((String) mounts.get(i).get("source")));
            try {
                walk(host, rel, true, file);
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.INVALID, "cannot make the mount point " + dest + " in " + host + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * {@code dir/rel}, every component a real directory or file (no symlink), missing ones created when {@code create}
     * (directories, or an empty file for the last when {@code file}).
     */
    static Path walk(Path dir, String rel, boolean create, boolean file) throws IOException {
        String[] parts = SafeRoot.normalise(rel).split("/");
        Path cur = dir;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty()) continue;
            boolean last = i == parts.length - 1;
            cur = cur.resolve(parts[i]);
            BasicFileAttributes a = lstat(cur);
            if (a == null) {
                if (!create) throw new NoSuchFileException(dir.relativize(cur) + " does not exist");
                if (last && file) Files.createFile(cur);
                else Files.createDirectory(cur);
            } else if (a.isSymbolicLink()) {
                throw new SafeRoot.Refused(dir.relativize(cur) + " is a symlink (never followed for a mount)");
            } else if (!last && !a.isDirectory()) {
                throw new SafeRoot.Refused(dir.relativize(cur) + " is not a directory");
            }
        }
        return cur;
    }

    private static BasicFileAttributes lstat(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }
}
