package dev.agentbox.server.contexts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.InvalidException;
import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One kernel process inside a sandbox: a long-running exec (ended, with every process it started, by {@link #kill})
 * and the loopback connection to it through the agent channel. Everything the kernel sends is hostile: lines are
 * capped at {@link #MAX_LINE} bytes and parsed one at a time; the event queue is bounded, so a flooding kernel is
 * slowed by flow control, never buffered without limit.
 */
final class Kernel {
    static final int MAX_LINE = 20 * 1024 * 1024; // under Jackson's default string limit (20 M chars)
    static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    /** A context lives at most this long (the exec's timeout); then it is gone and must be created again. */
    static final Duration LIFETIME = Duration.ofDays(30);
    /** Marks the end of the kernel's connection in the event queue. */
    static final JsonNode CLOSED = new ObjectMapper().createObjectNode().put("closed", true);

    private final ObjectMapper mapper;
    private final Thread exec;
    private final RunningSandbox.SandboxSocket socket;
    private final OutputStream out;
    private final Thread reader;
    private final BlockingQueue<JsonNode> events = new ArrayBlockingQueue<>(1024);
    private volatile boolean dead;
    private volatile String exitReason = "";

    private Kernel(ObjectMapper mapper, Thread exec, RunningSandbox.SandboxSocket socket) {
        this.mapper = mapper;
        this.exec = exec;
        this.socket = socket;
        this.out = socket.output();
        this.reader = Thread.ofVirtual().name("code-context-reader").start(this::read);
    }

    /** Starts a kernel and connects to it; INVALID-style errors name what the image lacks. */
    static Kernel start(RunningSandbox sandbox, Language language, ObjectMapper mapper) throws RuntimeFailure {
        CompletableFuture<String> announce = new CompletableFuture<>();
        ExecRequest request = new ExecRequest(language.argv(), language.env(), null, null, LIFETIME, 64 * 1024);
        Thread exec = Thread.ofVirtual().name("code-context-kernel").start(() -> {
            ByteArrayOutputStream first = new ByteArrayOutputStream();
            try {
                var result = sandbox.exec(request, new RunningSandbox.OutputListener() {
                    @Override
                    public void onStdout(byte[] chunk) {
                        if (announce.isDone()) return;
                        first.write(chunk, 0, Math.min(chunk.length, 256));
                        String s = first.toString(StandardCharsets.UTF_8);
                        int nl = s.indexOf('\n');
                        if (nl >= 0) announce.complete(s.substring(0, nl));
                        else if (first.size() > 200) announce.complete(s);
                    }

                    @Override
                    public void onStderr(byte[] chunk) {}
                });
                announce.completeExceptionally(new RuntimeFailure(result.exitCode() == 127 ? RuntimeFailure.Kind.NOT_FOUND : RuntimeFailure.Kind.INVALID, "the " + language.name()
                        + " kernel exited with status " + result.exitCode() + " before it was ready: "
                        + tail(new String(result.stderr(), StandardCharsets.UTF_8))));
            } catch (RuntimeFailure e) {
                announce.completeExceptionally(e);
            }
        });
        String line;
        try {
            line = announce.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            exec.interrupt();
            if (e.getCause() instanceof RuntimeFailure f && f.kind() == RuntimeFailure.Kind.NOT_FOUND) {
                throw new InvalidException("language", "a " + language.name() + " context needs " + language.argv().get(0)
                        + " in the sandbox's image (" + f.getMessage() + "); use an image that has it, or exec commands instead");
            }
            if (e.getCause() instanceof RuntimeFailure f) throw f;
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "the " + language.name() + " kernel did not start: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            exec.interrupt();
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "the " + language.name() + " kernel did not start within " + START_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            exec.interrupt();
            Thread.currentThread().interrupt();
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "interrupted while starting a kernel", e);
        }
        String[] parts = line.trim().split(" ");
        if (parts.length != 3 || !parts[0].equals("AGENTBOX-KERNEL") || !parts[1].matches("[0-9]{1,5}") || !parts[2].matches("[0-9a-f]{32}")) {
            exec.interrupt();
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "the " + language.name() + " kernel did not announce itself (got: "
                    + tail(line) + ")");
        }
        RunningSandbox.SandboxSocket socket;
        try {
            socket = sandbox.connect(Integer.parseInt(parts[1]), Duration.ofSeconds(10));
        } catch (RuntimeFailure e) {
            exec.interrupt();
            throw e;
        }
        Kernel k = new Kernel(mapper, exec, socket);
        try {
            k.send((parts[2] + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            k.kill("its connection failed: " + e.getMessage());
            throw new RuntimeFailure(RuntimeFailure.Kind.FAILED, "cannot talk to the " + language.name() + " kernel: " + e.getMessage(), e);
        }
        return k;
    }

    private static String tail(String s) {
        s = s.strip();
        return s.length() > 500 ? "..." + s.substring(s.length() - 500) : s;
    }

    void send(byte[] line) throws IOException {
        synchronized (out) {
            out.write(line);
            out.flush();
        }
    }

    void sendJson(Object message) throws IOException {
        byte[] json = mapper.writeValueAsBytes(message);
        byte[] line = new byte[json.length + 1];
        System.arraycopy(json, 0, line, 0, json.length);
        line[json.length] = '\n';
        send(line);
    }

    /** The next event, or null when none came within the wait. */
    JsonNode poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Drops what an earlier run left unread. */
    void drain() {
        JsonNode e;
        while ((e = events.poll()) != null) {
            if (e == CLOSED) {
                events.offer(CLOSED);
                return;
            }
        }
    }

    boolean dead() {
        return dead || !exec.isAlive();
    }

    String exitReason() {
        return exitReason;
    }

    /** Ends the kernel: the exec is cancelled, which kills every process it started. Idempotent. */
    void kill(String reason) {
        if (!dead) exitReason = reason;
        dead = true;
        exec.interrupt();
        socket.close();
        reader.interrupt();
    }

    private void read() {
        byte[] buf = new byte[64 * 1024];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean skipping = false; // inside a line longer than MAX_LINE: dropped up to its newline
        try (InputStream in = socket.input()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] != '\n') continue;
                    if (!skipping) {
                        line.write(buf, start, i - start);
                        parse(line.toByteArray());
                    }
                    line.reset();
                    skipping = false;
                    start = i + 1;
                }
                if (!skipping) {
                    line.write(buf, start, n - start);
                    if (line.size() > MAX_LINE) {
                        line.reset();
                        skipping = true;
                        events.put(mapper.createObjectNode().put("oversized", true));
                    }
                }
            }
            if (!dead) exitReason = "its interpreter exited";
        } catch (IOException e) {
            if (!dead) exitReason = "its connection broke (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            // killed
        } finally {
            dead = true;
            events.offer(CLOSED);
            exec.interrupt();
        }
    }

    private void parse(byte[] line) throws InterruptedException {
        JsonNode event;
        try {
            event = mapper.readTree(line);
        } catch (IOException e) {
            return; // not JSON: ignored, as any other malformed event
        }
        if (event != null && event.isObject()) events.put(event);
    }
}
