package dev.agentbox.runtime;

/** One file inside a sandbox. {@code type} is "file", "dir", "symlink" or "other". */
public record FileEntry(String path, String name, String type, long size, int mode, long modifiedEpochMillis) {}
