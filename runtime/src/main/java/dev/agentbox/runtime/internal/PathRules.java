package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.RuntimeFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * Lexical rules for paths of file operations: absolute or relative to the working directory,
 * no {@code ..} segment, never under /proc, /sys, /dev or /.agentbox. The agent checks the same
 * prefixes again after resolving symlinks inside the sandbox.
 */
public final class PathRules {
    public static final List<String> FORBIDDEN = List.of("/proc", "/sys", "/dev", "/.agentbox");

    private PathRules() {}

    public static String resolve(String path, String workingDir) throws RuntimeFailure {
        if (path == null || path.isEmpty()) throw new RuntimeFailure(RuntimeFailure.Kind.INVALID, "path: must not be empty");
        if (path.indexOf('\0') >= 0) throw new RuntimeFailure(RuntimeFailure.Kind.INVALID, "path " + printable(path) + ": contains a NUL byte");
        String full = path.startsWith("/") ? path : (workingDir == null || workingDir.isEmpty() ? "/" : workingDir) + "/" + path;
        List<String> parts = new ArrayList<>();
        for (String seg : full.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) continue;
            if (seg.equals("..")) throw new RuntimeFailure(RuntimeFailure.Kind.INVALID, "path " + path + ": '..' segments are not allowed");
            parts.add(seg);
        }
        String norm = "/" + String.join("/", parts);
        for (String f : FORBIDDEN) {
            if (norm.equals(f) || norm.startsWith(f + "/")) {
                throw new RuntimeFailure(RuntimeFailure.Kind.INVALID, "path " + path + ": " + f + " is not accessible through the files API");
            }
        }
        return norm;
    }

    private static String printable(String s) {
        return s.replace("\0", "\\0");
    }
}
