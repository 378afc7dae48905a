package dev.agentbox.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external command with a time limit; its output (stdout and stderr together) goes to a temp file, so nothing blocks on a pipe. */
final class Cmd {
    record Result(int exitCode, String output, double millis) {
        boolean ok() {
            return exitCode == 0;
        }

        /** The last lines of the output, for an error message. */
        String tail() {
            List<String> lines = output.strip().lines().toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 4), lines.size()));
        }
    }

    private Cmd() {}

    static Result run(List<String> command, Duration timeout) {
        Path out = null;
        try {
            out = Files.createTempFile("agentbox-bench-cmd", ".out");
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, "timed out after " + timeout.toSeconds() + " s: " + String.join(" ", command) + "\n" + Files.readString(out), (System.nanoTime() - t0) / 1e6);
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            return new Result(p.exitValue(), Files.readString(out), ms);
        } catch (IOException e) {
            return new Result(-1, "cannot run " + command.get(0) + ": " + e.getMessage(), 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted", 0);
        } finally {
            if (out != null) out.toFile().delete();
        }
    }

    /** Runs it and fails with its output when it does not exit 0. */
    static Result check(List<String> command, Duration timeout) {
        Result r = run(command, timeout);
        if (!r.ok()) throw new IllegalStateException(String.join(" ", command) + " exited " + r.exitCode() + ": " + r.tail());
        return r;
    }
}
