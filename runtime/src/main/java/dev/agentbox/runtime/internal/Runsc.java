package dev.agentbox.runtime.internal;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs short-lived commands (runsc list/kill/delete/checkpoint, the shim's start) with a real timeout.
 * Output goes to temporary files, never to pipes read by the caller: a pipe read by a virtual thread
 * pins its carrier, and a process that keeps its stdout open (runsc's children do) would make a
 * "read to end" wait past any timeout. The wait itself is {@link Process#onExit()}, which parks.
 */
public final class Runsc {
    private Runsc() {}

    public record Result(int code, String out, String err) {}

    public static Result run(List<String> cmd, Duration timeout) throws IOException {
        return run(cmd, timeout, 64 * 1024);
    }

    /** As {@link #run(List, Duration)}, keeping up to {@code maxChars} of stdout (its end) instead of 64 K. */
    public static Result run(List<String> cmd, Duration timeout, int maxChars) throws IOException {
        File out = File.createTempFile("agentbox-cmd-", ".out");
        File err = File.createTempFile("agentbox-cmd-", ".err");
        // the output is read through descriptors opened now, and the names go as soon as the child has its own: a JVM
        // killed while the command runs (kill -9 of agentboxd) leaves no file behind
        try (java.io.RandomAccessFile outFile = new java.io.RandomAccessFile(out, "r");
             java.io.RandomAccessFile errFile = new java.io.RandomAccessFile(err, "r")) {
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out).redirectError(err).start();
            } finally {
                Files.deleteIfExists(out.toPath());
                Files.deleteIfExists(err.toPath());
            }
            try {
                p.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": no answer within " + timeout.toSeconds() + " s (killed)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException("interrupted: " + String.join(" ", cmd), e);
            } catch (ExecutionException e) {
                throw new IOException(String.join(" ", cmd) + ": " + e.getCause(), e.getCause());
            }
            return new Result(p.exitValue(), read(outFile, maxChars), read(errFile, 64 * 1024));
        } finally {
            Files.deleteIfExists(out.toPath());
            Files.deleteIfExists(err.toPath());
        }
    }

    private static String read(java.io.RandomAccessFile raf, int maxChars) throws IOException {
        // only the end is kept: the start of a huge file is never read into memory
        long len = raf.length(), keep = Math.min(len, 4L * maxChars);
        raf.seek(len - keep);
        byte[] b = new byte[(int) keep];
        raf.readFully(b);
        String s = new String(b, StandardCharsets.UTF_8);
        return s.length() > maxChars ? s.substring(s.length() - maxChars) : s;
    }

    public static List<String> cmd(String runsc, String root, String... args) {
        List<String> c = new ArrayList<>(List.of(runsc, "--root", root));
        c.addAll(List.of(args));
        return c;
    }
}
