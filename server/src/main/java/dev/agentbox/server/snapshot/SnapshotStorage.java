package dev.agentbox.server.snapshot;

import dev.agentbox.api.InvalidException;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import dev.agentbox.server.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where snapshot images live on the host. agentboxd derives every path itself and never takes one from a client:
 * the image of PodSnapshot {@code ns/name} is {@code <root>/<ns>/<name>} ({@link #imageDir}, the one rule), where the
 * root is the {@code local.path} of the storage config of the snapshot's policy, or the daemon's own directory for a
 * snapshot without a policy (a suspend with no usable policy).
 *
 * <p>Before a delete or a restore, the image's real path (symlinks resolved) must be exactly that path beneath the
 * root's real path ({@link #checkedImage}); anything else is refused and logged. A root must be a directory owned by
 * root or by agentboxd's user and writable by no one else ({@link #checkSafe}): other users could otherwise plant an
 * image (a restore would run their memory) or swap a directory for a symlink. Directories agentboxd creates are 0700.
 */
public final class SnapshotStorage {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStorage.class);
    /** The field an unsafe or missing storage path is reported on. */
    public static final String PATH_FIELD = "spec.snapshotStorageConfig.local.path";
    static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

    private final Store store;
    private final Path defaultRoot;

    public SnapshotStorage(Store store, Path defaultRoot) {
        this.store = store;
        this.defaultRoot = defaultRoot.toAbsolutePath().normalize();
    }

    /** The daemon's own snapshot directory ({@code <state-dir>/snapshots}). */
    public Path defaultRoot() {
        return defaultRoot;
    }

    /** The image directory of snapshot {@code namespace/name} under {@code root}: the only place agentboxd writes, restores or deletes it. */
    public static Path imageDir(Path root, String namespace, String name) {
        for (String part : new String[] {namespace, name}) {
            if (part == null || !NAME.matcher(part).matches() || part.contains("..")) {
                throw new SnapshotRefusedException("'" + part + "' is not a namespace or object name agentboxd makes a directory of");
            }
        }
        return root.resolve(namespace).resolve(name);
    }

    /** The root of a policy's storage config (checked if it exists); the daemon's directory for no policy. */
    public Path root(PodSnapshotPolicy policy) {
        return policy == null ? defaultRoot : rootOfConfig(policy.getSpec().getStorageConfigName());
    }

    /** The {@code local.path} of a storage config, checked if it exists; InvalidException says what is wrong and what to do. */
    public Path rootOfConfig(String configName) {
        PodSnapshotStorageConfig sc = store.get(PodSnapshotStorageConfig.class, "", configName)
                .orElseThrow(() -> new InvalidException("spec.storageConfigName", "PodSnapshotStorageConfig " + configName
                        + " (cluster-scoped) not found; create it with snapshotStorageConfig.local.path"));
        return configuredRoot(sc);
    }

    /** A storage config's {@code local.path}, checked if it exists. */
    public static Path configuredRoot(PodSnapshotStorageConfig sc) {
        var cfg = sc.getSpec() == null ? null : sc.getSpec().getSnapshotStorageConfig();
        if (cfg == null || cfg.getLocal() == null || cfg.getLocal().getPath() == null) {
            throw new InvalidException("snapshotStorageConfig", "PodSnapshotStorageConfig " + sc.getMetadata().getName()
                    + " has no local path; agentboxd stores snapshots on this host only (snapshotStorageConfig.local.path), gcs needs the operator on GKE");
        }
        Path root = Path.of(cfg.getLocal().getPath());
        if (!root.isAbsolute()) throw new InvalidException(PATH_FIELD, root + " is not an absolute path");
        root = root.normalize();
        if (Files.exists(root)) checkSafe(root);
        return root;
    }

    /** The storage root of a snapshot: its policy's; the daemon's when it has none; when its policy is gone, the known root it was recorded under. */
    public Path rootOf(PodSnapshot ps) {
        String ns = ps.getMetadata().getNamespace();
        String policyName = ps.getSpec() == null ? null : ps.getSpec().getPolicyName();
        if (policyName == null) return defaultRoot;
        PodSnapshotPolicy policy = store.get(PodSnapshotPolicy.class, ns, policyName).orElse(null);
        if (policy != null) return root(policy);
        Path recorded = recordedImage(ps);
        for (Path root : knownRoots()) {
            if (imageDir(root, ns, ps.getMetadata().getName()).equals(recorded)) return root;
        }
        throw new SnapshotRefusedException("PodSnapshotPolicy " + ns + "/" + policyName + " of podsnapshot " + ps.getMetadata().getName()
                + " is gone and its image is under no storage root agentboxd knows");
    }

    /** The daemon's directory and the local path of every storage config that is safe to use. */
    public Set<Path> knownRoots() {
        Set<Path> roots = new LinkedHashSet<>();
        roots.add(defaultRoot);
        for (PodSnapshotStorageConfig sc : store.list(PodSnapshotStorageConfig.class, null)) {
            try {
                roots.add(configuredRoot(sc));
            } catch (RuntimeException e) {
                log.debug("storage config {} is not usable: {}", sc.getMetadata().getName(), e.getMessage());
            }
        }
        return roots;
    }

    /** The image path agentboxd recorded in the snapshot's status, or null when it wrote none. */
    public static Path recordedImage(PodSnapshot ps) {
        var s = ps.getStatus();
        if (s == null || s.getStorageStatus() == null || s.getStorageStatus().getLocal() == null) return null;
        String p = s.getStorageStatus().getLocal().getObservedPath();
        return p == null ? null : Path.of(p);
    }

    /**
     * The real path of a snapshot's image, checked: the status records the derived path, and that path, all symlinks
     * resolved, is exactly {@code <real root>/<ns>/<name>}. Null when there is no image (never written, or gone).
     */
    public Path checkedImage(PodSnapshot ps) {
        String ns = ps.getMetadata().getNamespace();
        String name = ps.getMetadata().getName();
        Path recorded = recordedImage(ps);
        if (recorded == null) return null;
        Path root = rootOf(ps);
        Path image = imageDir(root, ns, name);
        if (!recorded.equals(image)) {
            throw refused("podsnapshot " + ns + "/" + name + " records its image at " + recorded + ", but its storage puts it at " + image);
        }
        if (!Files.exists(image, LinkOption.NOFOLLOW_LINKS)) return null;
        try {
            Path real = image.toRealPath();
            Path expected = imageDir(root.toRealPath(), ns, name);
            if (!real.equals(expected)) {
                throw refused("the image of podsnapshot " + ns + "/" + name + " at " + image + " resolves to " + real
                        + ", not to " + expected + " beneath its storage root");
            }
            if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) throw refused("the image of podsnapshot " + ns + "/" + name + " at " + real + " is not a directory");
            return real;
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve " + image + ": " + e.getMessage(), e);
        }
    }

    /** Creates the root (0700) when it is missing and checks it is safe. */
    public Path prepareRoot(Path root) {
        try {
            if (!Files.exists(root)) Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PRIVATE));
        } catch (IOException e) {
            throw new InvalidException(PATH_FIELD, "cannot create " + root + " (" + e + "); create it (mkdir -m 0700) or choose another path");
        }
        checkSafe(root);
        return root;
    }

    /** {@code <root>/<ns>}, created 0700 (and set 0700 if an older agentboxd made it 0755), beneath a safe root. */
    public Path prepareNamespaceDir(Path root, String namespace) {
        prepareRoot(root);
        Path dir = root.resolve(namespace);
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE));
            Path expected = root.toRealPath().resolve(namespace);
            if (!dir.toRealPath().equals(expected) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw refused(dir + " is not a directory of its own beneath " + root + " (it resolves to " + dir.toRealPath() + ")");
            }
            Files.setPosixFilePermissions(dir, PRIVATE);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A storage path a client gives (admission): refused now if it exists and is unsafe; a missing one is created 0700 at first use. */
    public static void checkConfiguredPath(String path) {
        Path p = Path.of(path);
        if (p.isAbsolute() && Files.exists(p)) checkSafe(p.normalize());
    }

    /** A root must be a directory owned by root or agentboxd's user, writable by neither its group nor others. */
    public static void checkSafe(Path root) {
        try {
            Path real = root.toRealPath();
            String shown = real.equals(root) ? root.toString() : root + " (" + real + ")";
            if (!Files.isDirectory(real)) throw new InvalidException(PATH_FIELD, shown + " is not a directory; give a directory for the snapshot images");
            int uid = (Integer) Files.getAttribute(real, "unix:uid");
            int mode = (Integer) Files.getAttribute(real, "unix:mode") & 07777;
            if (uid != 0 && uid != DaemonUser.UID) {
                throw new InvalidException(PATH_FIELD, shown + " is owned by uid " + uid + ", not by root or agentboxd's user (uid " + DaemonUser.UID
                        + "), so its owner could plant or swap snapshot images; use a directory agentboxd owns, e.g. mkdir -m 0700 /var/lib/agentbox/snapshots");
            }
            if ((mode & 0022) != 0) {
                throw new InvalidException(PATH_FIELD, shown + " is writable by other users (mode " + String.format("%04o", mode)
                        + "), so they could plant or swap snapshot images; chmod 0700 it, or use a private directory such as /var/lib/agentbox/snapshots (mkdir -m 0700)");
            }
        } catch (IOException e) {
            throw new InvalidException(PATH_FIELD, "cannot inspect " + root + " (" + e + ")");
        }
    }

    private static SnapshotRefusedException refused(String why) {
        log.warn("refused: {}", why);
        return new SnapshotRefusedException(why + "; agentboxd only restores or deletes images at the path it derives itself");
    }

    /** agentboxd's own uid (the owner of /proc/self). */
    private static final class DaemonUser {
        static final int UID;

        static {
            try {
                UID = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            } catch (IOException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
