package dev.agentbox.client;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Files inside one sandbox. Paths are absolute or relative to the sandbox's working directory;
 * {@code ..} segments and paths under /proc, /sys, /dev are rejected with an InvalidException.
 */
public interface SandboxFiles {

    /** Writes (creates or replaces) a file with mode 0644. */
    default void write(String path, byte[] content) {
        write(path, content, 0644);
    }

    void write(String path, byte[] content, int mode);

    /** Writes text as UTF-8. */
    default void write(String path, String content) {
        write(path, content.getBytes(StandardCharsets.UTF_8));
    }

    /** @throws dev.agentbox.api.NotFoundException when the file does not exist */
    byte[] read(String path);

    default String readString(String path) {
        return new String(read(path), StandardCharsets.UTF_8);
    }

    /** The entries of a directory. */
    List<FileEntry> list(String directory);

    /** @throws dev.agentbox.api.NotFoundException when nothing is at the path */
    FileEntry stat(String path);

    boolean exists(String path);

    /** Deletes a file or an empty directory. */
    default void delete(String path) {
        delete(path, false);
    }

    void delete(String path, boolean recursive);

    /** Creates a directory and its missing parents. */
    void mkdir(String path);
}
