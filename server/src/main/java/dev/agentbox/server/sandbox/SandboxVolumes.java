package dev.agentbox.server.sandbox;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.internal.LocalImageStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host directories of sandboxes' volumes, under {@code <state>/volumes} (0700, as every directory down to a
 * sandbox's): {@code <namespace>/<name>.<uid>/files/<volume>} holds the files of a configMap, secret, downwardAPI or
 * projected volume (read-only for the sandbox), and {@code <namespace>/<name>.<uid>/claims/<template>} is the persistent
 * directory of a volumeClaimTemplate. The paths derive from the Sandbox's namespace, name and uid only (all validated,
 * the uid the store's own), so the same object finds the same directories across suspend/resume and a daemon restart,
 * and a new object with the same name does not see an old one's data. Nothing here follows a symlink.
 */
public final class SandboxVolumes {
    private static final Logger log = LoggerFactory.getLogger(SandboxVolumes.class);
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private final Path root;

    public SandboxVolumes(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** {@code <root>/<namespace>/<name>.<uid>}. */
    Path sandboxDir(Sandbox s) {
        String ns = s.getMetadata().getNamespace();
        String name = s.getMetadata().getName();
        String uid = s.getMetadata().getUid();
        if (ns == null || name == null || uid == null || !safe(ns) || !safe(name) || !uid.matches("[0-9a-f-]{1,64}")) {
            throw new IllegalArgumentException("sandbox " + ns + "/" + name + " has no usable namespace, name or uid for a volume directory");
        }
        return root.resolve(ns).resolve(name + "." + uid);
    }

    Path filesDir(Sandbox s, String volume) {
        return sandboxDir(s).resolve("files").resolve(checked(volume));
    }

    Path claimDir(Sandbox s, String template) {
        return sandboxDir(s).resolve("claims").resolve(checked(template));
    }

    /**
     * Writes a volume's files afresh (a new directory renamed into place; the sandbox is not running, so nothing
     * mounts it): directories 0755, each file with its mode, owned by root as the kubelet writes them. Other host
     * users cannot reach them: every directory above is 0700.
     */
    void writeFiles(Sandbox s, String volume, Collection<ProjectedFiles.File> files) {
        Path dir = filesDir(s, volume);
        Path fresh = dir.resolveSibling("." + volume + ".new");
        try {
            privateDirs(dir.getParent());
            LocalImageStore.deleteTree(fresh);
            Files.createDirectory(fresh);
            Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (ProjectedFiles.File f : files) {
                Path target = fresh.resolve(f.path()).normalize();
                if (!target.startsWith(fresh) || target.equals(fresh)) throw new IllegalArgumentException("file path " + f.path() + " leaves its volume");
                if (!parents(fresh, target)) continue; // a file where a directory of this path should be: the first one written stays
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) continue; // two items at one path, or a directory there: the first stays
                Files.write(target, f.data());
                Files.setPosixFilePermissions(target, permissions(f.mode()));
            }
            LocalImageStore.deleteTree(dir);
            Files.move(fresh, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the files of volume " + volume + " under " + dir.getParent() + ": " + e.getMessage(), e);
        }
    }

    /** Creates the directories between {@code top} and {@code file} (0755); false if a file is in the way. */
    private static boolean parents(Path top, Path file) throws IOException {
        Path d = top;
        for (Path part : top.relativize(file.getParent())) {
            if (part.toString().isEmpty()) continue;
            d = d.resolve(part);
            if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) continue;
            if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) return false;
            Files.createDirectory(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return true;
    }

    /** Creates a claim's directory if it is missing (its content is kept otherwise); 0777, as hostPath provisioners make them. */
    Path ensureClaim(Sandbox s, String template) {
        Path dir = claimDir(s, template);
        try {
            privateDirs(dir.getParent());
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir);
                log.info("sandbox {}/{}: created the directory of volumeClaimTemplate {}", s.getMetadata().getNamespace(), s.getMetadata().getName(), template);
            }
            // every uid in the sandbox may write (each process's own uid decides inside); the 0700 directories above keep the host out
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of volumeClaimTemplate " + template + ": " + e.getMessage(), e);
        }
    }

    /** Deletes every volume directory of the Sandbox {@code namespace/name} except the incarnation {@code keepUid} (null: all). */
    public void deleteOf(String namespace, String name, String keepUid) {
        if (!safe(namespace) || !safe(name)) return;
        Path nsDir = root.resolve(namespace);
        if (!Files.isDirectory(nsDir, LinkOption.NOFOLLOW_LINKS)) return;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(nsDir, name + ".*")) {
            for (Path d : dirs) {
                String uid = d.getFileName().toString().substring(name.length() + 1);
                if (uid.equals(keepUid) || uid.contains(".")) continue;
                LocalImageStore.deleteTree(d);
                log.info("sandbox {}/{}: deleted its volume directories (claims and files of incarnation {})", namespace, name, uid);
            }
        } catch (IOException e) {
            log.warn("sandbox {}/{}: cannot delete its volume directories: {}", namespace, name, e.toString());
        }
    }

    /**
     * Deletes the volume directories of sandboxes that no longer exist. {@code live} is asked for each directory found
     * (by its {@link #key}) when it is found, so a Sandbox created meanwhile, whose directory is new, is seen as live.
     */
    public int sweep(java.util.function.Predicate<String> live) {
        int deleted = 0;
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) return 0;
        try (DirectoryStream<Path> namespaces = Files.newDirectoryStream(root)) {
            for (Path ns : namespaces) {
                if (!Files.isDirectory(ns, LinkOption.NOFOLLOW_LINKS)) continue;
                try (DirectoryStream<Path> dirs = Files.newDirectoryStream(ns)) {
                    for (Path d : dirs) {
                        if (d.getFileName().toString().startsWith(".") || live.test(ns.getFileName() + "/" + d.getFileName())) continue;
                        LocalImageStore.deleteTree(d);
                        deleted++;
                    }
                }
            }
        } catch (IOException e) {
            log.warn("sweeping volume directories: {}", e.toString());
        }
        return deleted;
    }

    /** The key {@link #sweep} expects for a Sandbox. */
    public static String key(Sandbox s) {
        return s.getMetadata().getNamespace() + "/" + s.getMetadata().getName() + "." + s.getMetadata().getUid();
    }

    /** Creates {@code dir} and its parents up to the root (and the root) as 0700 directories. */
    private void privateDirs(Path dir) throws IOException {
        if (!dir.startsWith(root)) throw new IllegalArgumentException(dir + " is not under " + root);
        Path d = root;
        mkPrivate(d);
        for (Path part : root.relativize(dir)) {
            d = d.resolve(part);
            mkPrivate(d);
        }
    }

    private static void mkPrivate(Path d) throws IOException {
        if (Files.isSymbolicLink(d)) throw new IOException(d + " is a symlink; refusing to use it");
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PRIVATE);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) if ((mode & (1 << i)) != 0) out.add(bits[i]);
        return out;
    }

    private static boolean safe(String part) {
        return part != null && part.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    }

    private static String checked(String volume) {
        if (!safe(volume)) throw new IllegalArgumentException("volume name " + volume + " is not a DNS label");
        return volume;
    }
}
