package dev.agentbox.runtime.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The one rule for writing an image: an entry name is resolved beneath the root without following any
 * symlink, as openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) would. A leading "/" or "./" is dropped,
 * "." and empty components are ignored, and a ".." component is refused. Every component before the last
 * must be a real directory inside the root (missing ones are created); the last one is never followed
 * either: a symlink there is replaced or deleted, never written through, chmodded or hard-linked to.
 * Symlinks are stored as written (an absolute one stays valid inside the sandbox).
 *
 * <p>Java has no openat2, mkdirat or symlinkat, so this walks component by component with lstat and then
 * acts on the checked path. That is the same as openat2 only because the root is private to one import
 * (a fresh directory under agentboxd's state, written by nothing else while the import runs): every write
 * to it comes through here, one at a time, so nothing can swap a checked directory for a symlink.
 */
final class SafeRoot {
    /** An entry that would leave the root or go through a symlink. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    private final Path root;

    SafeRoot(Path root) {
        this.root = root;
    }

    /** The entry name beneath the root ("" for the root itself); ".." is refused. */
    static String normalise(String name) throws Refused {
        List<String> parts = new ArrayList<>();
        for (String seg : name.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) continue;
            if (seg.equals("..")) throw new Refused("'..' in " + name);
            if (seg.indexOf('\0') >= 0) throw new Refused("NUL in an entry name");
            parts.add(seg);
        }
        return String.join("/", parts);
    }

    /**
     * The path of an entry whose parents are real directories beneath the root; null when a parent is
     * missing and create is false. The entry itself may be anything, or not exist.
     */
    private Path walk(String name, boolean create) throws IOException {
        String rel = normalise(name);
        if (rel.isEmpty()) return root;
        String[] parts = rel.split("/");
        Path cur = root;
        for (int i = 0; i < parts.length - 1; i++) {
            cur = cur.resolve(parts[i]);
            BasicFileAttributes a = lstat(cur);
            if (a == null) {
                if (!create) return null;
                Files.createDirectory(cur);
            } else if (a.isSymbolicLink()) {
                throw new Refused(root.relativize(cur) + " is a symlink (never followed while importing)");
            } else if (!a.isDirectory()) {
                throw new Refused(root.relativize(cur) + " is not a directory");
            }
        }
        return cur.resolve(parts[parts.length - 1]);
    }

    /** Like {@link #walk} with parents created, for an entry that is not the root. */
    private Path entry(String name) throws IOException {
        Path p = walk(name, true);
        if (p.equals(root)) throw new Refused("the entry is the root itself");
        return p;
    }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** A directory; whatever else was there (a file, a symlink) is replaced. */
    void mkdir(String name) throws IOException {
        Path p = walk(name, true);
        BasicFileAttributes a = lstat(p);
        if (a != null && a.isDirectory()) return;
        if (a != null) LocalImageStore.deleteTree(p);
        Files.createDirectory(p);
    }

    /** A regular file with the stream's content, replacing whatever was there. */
    void writeFile(String name, InputStream content) throws IOException {
        Path p = entry(name);
        LocalImageStore.deleteTree(p);
        Files.copy(content, p); // O_CREAT|O_EXCL: never opens an existing file or a symlink
    }

    /** A regular file with the content of a host file (copied, never linked; the source's symlinks are not followed). */
    void copyFile(String name, Path source) throws IOException {
        Path p = entry(name);
        LocalImageStore.deleteTree(p);
        Files.copy(source, p, LinkOption.NOFOLLOW_LINKS); // creates p: never opens an existing file or a symlink
    }

    /**
     * A hard link to a host file (its metadata must then never be set: it is the host file's). Only for the built-in
     * image, whose sources are the host's own package files, never for an image's content.
     */
    void linkHostFile(String name, Path source) throws IOException {
        Path p = entry(name);
        LocalImageStore.deleteTree(p);
        Files.createLink(p, source);
    }

    /** A symlink, stored as written and never followed. */
    void symlink(String name, String target) throws IOException {
        Path p = entry(name);
        LocalImageStore.deleteTree(p);
        Files.createSymbolicLink(p, Path.of(target));
    }

    /** A hard link to a regular file already in the root (a link to a symlink or a directory is refused). */
    void hardLink(String name, String target) throws IOException {
        Path t = walk(target, false);
        BasicFileAttributes a = t == null ? null : lstat(t);
        if (a == null || !a.isRegularFile()) throw new Refused("hard link target " + target + " is not a regular file already in the image");
        Path p = entry(name);
        if (p.equals(t)) throw new Refused("hard link to itself");
        LocalImageStore.deleteTree(p);
        Files.createLink(p, t); // link(2) does not follow a symlink at t, and t is a regular file anyway
    }

    /** Deletes an entry (a symlink itself, not its target; a directory with its content); nothing if missing. */
    void delete(String name) throws IOException {
        Path p = walk(name, false);
        if (p == null) return;
        if (p.equals(root)) throw new Refused("the entry is the root itself");
        LocalImageStore.deleteTree(p);
    }

    /** Deletes the children of a directory except those kept (names beneath the root); nothing if missing. */
    void empty(String dir, Predicate<String> keep) throws IOException {
        Path d = walk(dir, false);
        BasicFileAttributes a = d == null ? null : lstat(d);
        if (a == null || !a.isDirectory()) {
            if (a != null && a.isSymbolicLink()) throw new Refused(normalise(dir) + " is a symlink (never followed while importing)");
            return;
        }
        String prefix = normalise(dir).isEmpty() ? "" : normalise(dir) + "/";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path child : ds) if (!keep.test(prefix + child.getFileName())) LocalImageStore.deleteTree(child);
        }
    }

    /** The path of an existing entry, to read it: parents are real directories; null if missing. */
    Path find(String name) throws IOException {
        Path p = walk(name, false);
        return p == null || lstat(p) == null ? null : p;
    }

    /**
     * Mode (with setuid, setgid and sticky bits), owner and mtime of an entry. For a symlink only the
     * owner and mtime of the link itself. A chown failure (not root) keeps our own ownership.
     */
    void setMetadata(String name, int mode, int uid, int gid, FileTime mtime) throws IOException {
        Path p = walk(name, false);
        BasicFileAttributes a = p == null ? null : lstat(p);
        if (a == null || p.equals(root)) return;
        if (mtime != null) Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(mtime, null, null);
        try {
            Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS); // lchown
            Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not root
        }
        if (a.isSymbolicLink()) return;
        // After chown, which clears setuid/setgid. Plain chmod, after the lstat above: the JDK's
        // NOFOLLOW_LINKS chmod follows a symlink anyway (JDK 25 passes O_NOFOLLOW as open's mode argument),
        // and p cannot have become a symlink since (nothing else writes the root).
        Files.setAttribute(p, "unix:mode", mode & 07777);
    }
}
