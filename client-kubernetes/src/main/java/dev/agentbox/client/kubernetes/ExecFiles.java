package dev.agentbox.client.kubernetes;

import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.client.FileEntry;
import dev.agentbox.client.SandboxFiles;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Files in a sandbox through exec (POSIX shell, coreutils {@code base64}, {@code stat}, {@code find}): writes send the
 * content base64-encoded in exec arguments, about 2 KiB of file per exec call (the arguments travel in the request URL,
 * and URLs over 4 KiB are refused by some servers and proxies), so writing large files is slow; reads come back on
 * stdout as raw bytes in one call. Paths: as
 * {@link SandboxFiles} says, {@code ..} segments and /proc, /sys, /dev are refused before anything runs.
 */
final class ExecFiles implements SandboxFiles {
    private static final int CHUNK = 2800;
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final long MAX_READ = 512L * 1024 * 1024;
    private static final String STAT_FORMAT = "%F|%s|%a|%Y|%n";

    private final PodExec exec;
    private final String where;

    ExecFiles(PodExec exec, String where) {
        this.exec = exec;
        this.where = where;
    }

    static String checkPath(String path) {
        if (path == null || path.isEmpty()) throw new InvalidException("path", "required");
        if (Arrays.asList(path.split("/")).contains("..")) throw new InvalidException("path", "\"" + path + "\": '..' segments are not allowed");
        for (String p : List.of("/proc", "/sys", "/dev")) {
            if (path.equals(p) || path.startsWith(p + "/")) throw new InvalidException("path", "\"" + path + "\": " + p + " is off limits");
        }
        return path;
    }

    private PodExec.Raw sh(String script, String... args) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
        argv.addAll(List.of(args));
        return exec.run(argv, TIMEOUT, MAX_READ, null, null);
    }

    private PodExec.Raw checked(String what, String path, String script, String... args) {
        PodExec.Raw r = sh(script, args);
        if (r.exitCode() == 0) return r;
        String err = new String(r.stderr(), StandardCharsets.UTF_8).trim();
        if (r.exitCode() == 44 || err.contains("No such file")) throw new NotFoundException(path + " not found in " + where);
        throw new SandboxFailedException(what + " " + path + " in " + where + " failed (exit " + r.exitCode() + "): " + err);
    }

    @Override
    public void write(String path, byte[] content, int mode) {
        checkPath(path);
        String b64 = Base64.getEncoder().encodeToString(content);
        String mkdir = "p=\"$1\"; case \"$p\" in */*) mkdir -p -- \"${p%/*}\" || exit 1;; esac; ";
        if (b64.length() <= CHUNK) {
            checked("write", path, mkdir + "printf %s \"$2\" | base64 -d > \"$p\" && chmod \"$3\" \"$p\"", path, b64, Integer.toOctalString(mode));
            return;
        }
        String tmp = path + ".agentbox-part";
        checked("write", path, mkdir + ": > \"$p\"", tmp);
        for (int i = 0; i < b64.length(); i += CHUNK) {
            checked("write", path, "printf %s \"$2\" | base64 -d >> \"$1\"", tmp, b64.substring(i, Math.min(b64.length(), i + CHUNK)));
        }
        checked("write", path, "chmod \"$3\" \"$1\" && mv -f \"$1\" \"$2\"", tmp, path, Integer.toOctalString(mode));
    }

    @Override
    public byte[] read(String path) {
        checkPath(path);
        return checked("read", path, "[ -e \"$1\" ] || exit 44; cat -- \"$1\"", path).stdout();
    }

    @Override
    public List<FileEntry> list(String directory) {
        checkPath(directory);
        String out = new String(checked("list", directory,
                "[ -d \"$1\" ] || exit 44; find \"$1\" -mindepth 1 -maxdepth 1 -exec stat -c '" + STAT_FORMAT + "' {} +", directory).stdout(),
                StandardCharsets.UTF_8);
        List<FileEntry> entries = new ArrayList<>();
        for (String line : out.split("\n")) if (!line.isBlank()) entries.add(entry(line));
        entries.sort((a, b) -> a.name().compareTo(b.name()));
        return entries;
    }

    @Override
    public FileEntry stat(String path) {
        checkPath(path);
        String out = new String(checked("stat", path, "[ -e \"$1\" ] || [ -L \"$1\" ] || exit 44; stat -c '" + STAT_FORMAT + "' -- \"$1\"", path).stdout(),
                StandardCharsets.UTF_8).trim();
        return entry(out);
    }

    static FileEntry entry(String line) {
        String[] f = line.split("\\|", 5);
        String type = switch (f[0]) {
            case "regular file", "regular empty file" -> "file";
            case "directory" -> "dir";
            case "symbolic link" -> "symlink";
            default -> "other";
        };
        String path = f[4];
        String name = path.contains("/") ? path.substring(path.lastIndexOf('/') + 1) : path;
        return new FileEntry(path, name, type, Long.parseLong(f[1]), Integer.parseInt(f[2], 8), Instant.ofEpochSecond(Long.parseLong(f[3])));
    }

    @Override
    public boolean exists(String path) {
        checkPath(path);
        return sh("[ -e \"$1\" ] || [ -L \"$1\" ]", path).exitCode() == 0;
    }

    @Override
    public void delete(String path, boolean recursive) {
        checkPath(path);
        checked("delete", path, recursive
                ? "[ -e \"$1\" ] || [ -L \"$1\" ] || exit 44; rm -rf -- \"$1\""
                : "[ -e \"$1\" ] || [ -L \"$1\" ] || exit 44; if [ -d \"$1\" ] && [ ! -L \"$1\" ]; then rmdir -- \"$1\"; else rm -f -- \"$1\"; fi", path);
    }

    @Override
    public void mkdir(String path) {
        checkPath(path);
        checked("mkdir", path, "mkdir -p -- \"$1\"", path);
    }
}
