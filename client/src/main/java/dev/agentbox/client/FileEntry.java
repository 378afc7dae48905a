package dev.agentbox.client;

import java.time.Instant;

/** One file, directory or link inside a sandbox. {@code type} is file, dir, symlink or other. */
public record FileEntry(String path, String name, String type, long size, int mode, Instant modified) {
    public boolean isDirectory() {
        return "dir".equals(type);
    }

    public boolean isFile() {
        return "file".equals(type);
    }
}
