package dev.agentbox.server.contexts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.ConflictException;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A persistent interpreter in a sandbox: snippets run one at a time and share its state. A run that passes its
 * timeout is interrupted (SIGINT: Python raises KeyboardInterrupt, bash stops its command); if it still has not ended
 * {@link #INTERRUPT_GRACE} later, the kernel is killed and started again (its state is lost, and the answer says so).
 */
public final class CodeContext {
    static final Duration INTERRUPT_GRACE = Duration.ofSeconds(3);
    /** Rich results of one run, all formats together; past it they are dropped and {@code truncated} set. */
    static final long MAX_RESULT_BYTES = 20L * 1024 * 1024;
    static final int MAX_ERROR_CHARS = 64 * 1024;
    private static final Set<String> FORMATS = Set.of("text", "png", "svg", "html", "markdown", "latex", "json");

    /** Output of a run as it arrives. */
    public interface Listener {
        void onStdout(String text);

        void onStderr(String text);
    }

    private final String id;
    private final Language language;
    private final RunningSandbox sandbox;
    private final ObjectMapper mapper;
    private final ReentrantLock running = new ReentrantLock();
    private final AtomicLong runIds = new AtomicLong();
    private volatile Kernel kernel;
    private volatile boolean closed;

    CodeContext(String id, Language language, RunningSandbox sandbox, ObjectMapper mapper) throws RuntimeFailure {
        this.id = id;
        this.language = language;
        this.sandbox = sandbox;
        this.mapper = mapper;
        this.kernel = Kernel.start(sandbox, language, mapper);
    }

    public String id() {
        return id;
    }

    public Language language() {
        return language;
    }

    /** True while its interpreter runs; false after it exited (os._exit, killed): then only restart helps. */
    public boolean alive() {
        return !closed && !kernel.dead();
    }

    public CodeResult run(String code, Duration timeout, long maxOutputBytes, Listener listener) {
        if (!running.tryLock()) {
            throw new ConflictException("context " + id + " is running another snippet; wait for it, or interrupt it "
                    + "(POST .../contexts/" + id + "/interrupt)", false);
        }
        try {
            return runLocked(code, timeout, maxOutputBytes, listener);
        } finally {
            running.unlock();
        }
    }

    private CodeResult runLocked(String code, Duration timeout, long maxOutputBytes, Listener listener) {
        long start = System.nanoTime();
        Kernel k = kernel;
        if (closed || k.dead()) {
            throw new ConflictException("context " + id + " has ended (" + (closed ? "it was deleted" : k.exitReason())
                    + "); restart it (POST .../contexts/" + id + "/restart) or create a new one", false);
        }
        long rid = runIds.incrementAndGet();
        Output out = new Output(maxOutputBytes);
        List<Map<String, String>> results = new ArrayList<>();
        long resultBytes = 0;
        CodeResult.CodeError error = null;
        Integer exitCode = null;
        boolean timedOut = false;
        k.drain();
        try {
            k.sendJson(Map.of("op", "run", "id", rid, "code", code));
        } catch (IOException e) {
            k.kill("its connection broke (" + e.getMessage() + ")");
            return new CodeResult("", "", List.of(), died(k), null, false, false, millis(start));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    if (!timedOut) { // first the interrupt, then a short grace for the interpreter to stop
                        timedOut = true;
                        interrupt();
                        deadline = System.nanoTime() + INTERRUPT_GRACE.toNanos();
                        continue;
                    }
                    restartQuietly("a snippet did not stop after its timeout and an interrupt");
                    error = new CodeResult.CodeError("TimeoutError", "the snippet ran past its timeout of " + timeout.toSeconds()
                            + " s and did not stop on an interrupt; the context was restarted, so its variables are gone", "");
                    break;
                }
                JsonNode e = k.poll(Math.min(left, 200));
                if (e == null && k.dead()) e = Kernel.CLOSED; // killed while its queue was full: no marker came
                if (e == null) continue;
                if (e == Kernel.CLOSED) {
                    error = died(k);
                    break;
                }
                if (e.has("oversized")) {
                    out.truncated = true;
                    continue;
                }
                if (e.path("id").asLong(-1) != rid) continue; // left over from an earlier run
                String stream = e.path("stream").asText("");
                JsonNode text = e.get("text");
                if (text != null && text.isTextual() && (stream.equals("stdout") || stream.equals("stderr"))) {
                    String t = out.add(stream.equals("stdout"), text.asText());
                    if (t != null && listener != null) {
                        if (stream.equals("stdout")) listener.onStdout(t);
                        else listener.onStderr(t);
                    }
                }
                JsonNode result = e.get("result");
                if (result != null && result.isObject()) {
                    Map<String, String> formats = new LinkedHashMap<>();
                    for (Iterator<Map.Entry<String, JsonNode>> it = result.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> f = it.next();
                        if (FORMATS.contains(f.getKey()) && f.getValue().isTextual()) formats.put(f.getKey(), f.getValue().asText());
                    }
                    long size = formats.values().stream().mapToLong(String::length).sum();
                    if (resultBytes + size > MAX_RESULT_BYTES) out.truncated = true;
                    else if (!formats.isEmpty()) {
                        resultBytes += size;
                        results.add(formats);
                    }
                }
                JsonNode err = e.get("error");
                if (err != null && err.isObject() && error == null) {
                    error = new CodeResult.CodeError(cut(err.path("name").asText("Error")), cut(err.path("value").asText("")),
                            cut(err.path("traceback").asText("")));
                }
                if (e.path("done").asBoolean(false)) {
                    if (e.path("exitCode").isInt()) exitCode = e.path("exitCode").asInt();
                    break;
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            interrupt();
            error = new CodeResult.CodeError("Interrupted", "agentboxd stopped waiting for this snippet; it was interrupted", "");
        }
        if (timedOut && error != null && error.name().equals("KeyboardInterrupt")) {
            error = new CodeResult.CodeError("TimeoutError", "the snippet ran past its timeout of " + timeout.toSeconds()
                    + " s and was interrupted; the context keeps its state", error.traceback());
        }
        return new CodeResult(out.stdout.toString(), out.stderr.toString(), results, error, exitCode, timedOut, out.truncated, millis(start));
    }

    private static CodeResult.CodeError died(Kernel k) {
        return new CodeResult.CodeError("ContextDied", "the context's interpreter ended (" + k.exitReason()
                + "); its state is gone: restart it (POST .../restart) or create a new context", "");
    }

    private static String cut(String s) {
        return s.length() > MAX_ERROR_CHARS ? s.substring(0, MAX_ERROR_CHARS) + "\n[agentbox: cut at " + MAX_ERROR_CHARS + " characters]" : s;
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Asks the interpreter to stop what it runs (SIGINT); the context keeps its state. No-op when idle. */
    public void interrupt() {
        try {
            kernel.sendJson(Map.of("op", "interrupt"));
        } catch (IOException e) {
            // the kernel is gone; the run sees it
        }
    }

    /** Kills the interpreter (and a snippet it runs) and starts a fresh one: same id, empty state. */
    public void restart() throws RuntimeFailure {
        kernel.kill("it was restarted");
        running.lock(); // a run in progress ends at once: its kernel is gone
        try {
            if (closed) throw new ConflictException("context " + id + " was deleted", false);
            kernel = Kernel.start(sandbox, language, mapper);
        } finally {
            running.unlock();
        }
    }

    /** Restart from inside a run (the lock is held). */
    private void restartQuietly(String why) {
        kernel.kill(why);
        if (closed) return;
        try {
            kernel = Kernel.start(sandbox, language, mapper);
        } catch (RuntimeFailure | RuntimeException e) {
            // the old, dead kernel stays; the next run says the context ended
        }
    }

    void close() {
        closed = true;
        kernel.kill("it was deleted");
    }

    /** stdout and stderr of one run, together at most max bytes (UTF-8); the rest is dropped and flagged. */
    private static final class Output {
        final StringBuilder stdout = new StringBuilder();
        final StringBuilder stderr = new StringBuilder();
        final long max;
        long bytes;
        boolean truncated;

        Output(long max) {
            this.max = max;
        }

        /** Adds text, returns what was kept (null: nothing). */
        String add(boolean isStdout, String text) {
            if (truncated) return null;
            long size = text.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + size > max) {
                truncated = true;
                int keep = (int) Math.min(text.length(), Math.max(0, max - bytes));
                text = text.substring(0, keep);
                size = keep;
            }
            bytes += size;
            (isStdout ? stdout : stderr).append(text);
            return text.isEmpty() ? null : text;
        }
    }
}
