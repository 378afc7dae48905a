package dev.agentbox.client.kubernetes;

import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Commands in a sandbox's Pod through the {@code pods/exec} subresource (a WebSocket with stdout, stderr and an exit
 * status channel). The request's env, working directory and stdin are folded into the argv with {@code /bin/sh}, so
 * no stdin stream is needed (stdin travels base64-encoded in an argument); the timeout is enforced here.
 */
final class PodExec {
    /** Output cap when the request sets none (the same default as agentboxd). */
    static final long DEFAULT_MAX_OUTPUT = 1024 * 1024;
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;
    private final String container;

    PodExec(KubernetesClient client, String namespace, String pod, String container) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
        this.container = container;
    }

    /** The argv that runs the request in the container. */
    static List<String> argv(CommandRequest r) {
        List<String> cmd = r.command() != null ? new ArrayList<>(r.command()) : new ArrayList<>(List.of("/bin/sh", "-c", r.shell()));
        boolean wrap = !r.env().isEmpty() || r.workingDir() != null || r.stdin() != null;
        if (!wrap) return cmd;
        // sh -c '<script>' sh <dir> <stdin-b64> NAME=value... -- argv...
        StringBuilder script = new StringBuilder();
        script.append("d=\"$1\"; in=\"$2\"; shift 2; ");
        script.append("while [ \"$1\" != -- ]; do export \"$1\"; shift; done; shift; ");
        script.append("if [ -n \"$d\" ]; then cd \"$d\" || exit 126; fi; ");
        script.append("if [ -n \"$in\" ]; then printf %s \"$in\" | base64 -d | \"$@\"; else exec \"$@\" </dev/null; fi");
        List<String> out = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), "sh",
                r.workingDir() == null ? "" : r.workingDir(),
                r.stdin() == null || r.stdin().isEmpty() ? "" : Base64.getEncoder().encodeToString(r.stdin().getBytes(StandardCharsets.UTF_8))));
        for (Map.Entry<String, String> e : r.env().entrySet()) out.add(e.getKey() + "=" + e.getValue());
        out.add("--");
        out.addAll(cmd);
        return out;
    }

    /** Raw result of one exec: bytes as they came, exit code, and whether the timeout cut it. */
    record Raw(byte[] stdout, byte[] stderr, int exitCode, boolean timedOut, boolean stdoutTruncated, boolean stderrTruncated, Duration duration) {}

    Raw run(List<String> argv, Duration timeout, long maxOutput, Consumer<byte[]> onOut, Consumer<byte[]> onErr) {
        Capped out = new Capped(maxOutput, onOut);
        Capped err = new Capped(maxOutput, onErr);
        long start = System.nanoTime();
        try (ExecWatch watch = client.pods().inNamespace(namespace).withName(pod).inContainer(container)
                .writingOutput(out).writingError(err).exec(argv.toArray(String[]::new))) {
            int code;
            boolean timedOut = false;
            try {
                code = watch.exitCode().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                timedOut = true;
                code = 137;
            }
            return new Raw(out.bytes(), err.bytes(), code, timedOut, out.truncated, err.truncated, Duration.ofNanos(System.nanoTime() - start));
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "exec in Pod " + namespace + "/" + pod);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxFailedException("interrupted while running a command in Pod " + namespace + "/" + pod, e);
        } catch (ExecutionException e) {
            throw new SandboxFailedException("exec in Pod " + namespace + "/" + pod + " failed: " + e.getCause().getMessage()
                    + " (is the Pod running, and may your user create pods/exec?)", e.getCause());
        }
    }

    CommandResult run(CommandRequest r, Consumer<String> onOut, Consumer<String> onErr) {
        Duration timeout = r.timeout() == null ? DEFAULT_TIMEOUT : r.timeout();
        long max = r.maxOutputBytes() == null ? DEFAULT_MAX_OUTPUT : r.maxOutputBytes();
        Raw raw = run(argv(r), timeout, max, onOut == null ? null : b -> onOut.accept(new String(b, StandardCharsets.UTF_8)),
                onErr == null ? null : b -> onErr.accept(new String(b, StandardCharsets.UTF_8)));
        return new CommandResult(text(raw.stdout(), raw.stdoutTruncated(), max), text(raw.stderr(), raw.stderrTruncated(), max),
                raw.exitCode(), raw.duration(), raw.stdoutTruncated(), raw.stderrTruncated(), raw.timedOut());
    }

    private static String text(byte[] b, boolean truncated, long max) {
        String s = new String(b, StandardCharsets.UTF_8);
        return truncated ? s + "\n[agentbox: output truncated at " + max + " bytes]\n" : s;
    }

    /** Collects up to {@code max} bytes, forwards every chunk to the callback. */
    private static final class Capped extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final long max;
        private final Consumer<byte[]> callback;
        volatile boolean truncated;

        Capped(long max, Consumer<byte[]> callback) {
            this.max = max;
            this.callback = callback;
        }

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            long room = max - buf.size();
            if (room < len) truncated = true;
            if (room > 0) buf.write(b, off, (int) Math.min(room, len));
            if (callback != null && len > 0) {
                byte[] chunk = new byte[len];
                System.arraycopy(b, off, chunk, 0, len);
                callback.accept(chunk);
            }
        }

        synchronized byte[] bytes() {
            return buf.toByteArray();
        }
    }
}
