package dev.agentbox.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.UnauthorizedException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.ExecResult;
import dev.agentbox.runtime.FileEntry;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.server.Metrics;
import dev.agentbox.server.auth.Principal;
import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.server.sandbox.LiveSandboxes;
import dev.agentbox.server.store.Store;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Exec and files of one running sandbox: {@code /api/v1/namespaces/{ns}/sandboxes/{name}/...}. */
final class DataPlaneHandler {
    static final long DEFAULT_MAX_OUTPUT = 1024 * 1024;
    static final long LIMIT_MAX_OUTPUT = 16 * 1024 * 1024;
    static final long MAX_TIMEOUT_SECONDS = 24 * 3600;
    /** How often a running exec checks that its token is still valid (a revoked one kills the command). */
    static final long AUTH_CHECK_MILLIS = 1000;

    /** Body of POST .../exec. Exactly one of command and shell. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ExecCall(List<String> command, String shell, Map<String, String> env, String workingDir, String stdin,
                    Long timeoutSeconds, Long maxOutputBytes) {}

    /** Answer of POST .../exec. */
    record ExecAnswer(int exitCode, String stdout, String stderr, boolean stdoutTruncated, boolean stderrTruncated,
                      boolean timedOut, long durationMillis) {}

    private final Store store;
    private final LiveSandboxes live;
    private final Metrics metrics;
    private final ObjectMapper mapper;
    private final ContextHandler contexts;

    DataPlaneHandler(Store store, LiveSandboxes live, Metrics metrics, ObjectMapper mapper) {
        this.store = store;
        this.live = live;
        this.metrics = metrics;
        this.mapper = mapper;
        this.contexts = new ContextHandler(mapper);
    }

    /** Ends every code context. */
    void close() {
        contexts.close();
    }

    void handle(HttpExchange ex, String ns, String name, String action, Principal who, BooleanSupplier stillAuthorized)
            throws IOException, RuntimeFailure {
        if (action.equals("contexts") || action.startsWith("contexts/")) {
            contexts.handle(ex, new ObjectKey(ns, name), running(ns, name), action);
            return;
        }
        String[] allowed = switch (action) {
            case "exec", "files/mkdir" -> new String[] {"POST"};
            case "files" -> new String[] {"GET", "PUT", "DELETE"};
            case "files/list", "files/stat" -> new String[] {"GET"};
            default -> throw new NotFoundException("no data-plane action " + action + "; use exec, files, files/list, files/stat, files/mkdir, contexts or log");
        };
        HttpIO.requireMethod(ex, "/" + action, allowed); // before looking the sandbox up: a wrong verb is a 405 either way
        Map<String, String> q = HttpIO.query(ex);
        RunningSandbox sandbox = running(ns, name);
        String method = ex.getRequestMethod();
        switch (action) {
            case "exec" -> exec(ex, sandbox, q, who, stillAuthorized);
            case "files" -> {
                String path = required(q, "path");
                switch (method) {
                    case "GET" -> HttpIO.bytes(ex, 200, "application/octet-stream", sandbox.files().read(path, HttpIO.MAX_FILE_BYTES));
                    case "PUT" -> {
                        int mode = fileMode(q.get("mode"));
                        sandbox.files().write(path, HttpIO.fileBody(ex), mode);
                        HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
                    }
                    default -> { // DELETE
                        sandbox.files().delete(path, HttpIO.booleanParam(q, "recursive", false));
                        HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
                    }
                }
            }
            case "files/list" -> {
                List<ObjectNode> out = new ArrayList<>();
                for (FileEntry e : sandbox.files().list(required(q, "path"))) out.add(entry(e));
                HttpIO.json(ex, 200, mapper, out);
            }
            case "files/stat" -> HttpIO.json(ex, 200, mapper, entry(sandbox.files().stat(required(q, "path"))));
            default -> { // files/mkdir
                sandbox.files().mkdir(required(q, "path"), HttpIO.booleanParam(q, "parents", true));
                HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
            }
        }
    }

    private void exec(HttpExchange ex, RunningSandbox sandbox, Map<String, String> q, Principal who, BooleanSupplier stillAuthorized)
            throws IOException, RuntimeFailure {
        boolean streaming = HttpIO.booleanParam(q, "stream", false);
        ExecRequest request = toRequest(HttpIO.convert(mapper, HttpIO.jsonObject(ex, "the exec request"), ExecCall.class));
        if (streaming) {
            stream(ex, sandbox, request, who, stillAuthorized);
            return;
        }
        ExecResult result = guarded(who, stillAuthorized, () -> sandbox.exec(request));
        metrics.execFinished(result.duration());
        HttpIO.json(ex, 200, mapper, answer(result, request.maxOutputBytes(), true));
    }

    private void stream(HttpExchange ex, RunningSandbox sandbox, ExecRequest request, Principal who, BooleanSupplier stillAuthorized)
            throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        Object lock = new Object();
        RunningSandbox.OutputListener listener = new RunningSandbox.OutputListener() {
            @Override
            public void onStdout(byte[] chunk) {
                line("stdout", chunk);
            }

            @Override
            public void onStderr(byte[] chunk) {
                line("stderr", chunk);
            }

            private final byte[] stdoutKey = "{\"stdout\":".getBytes(StandardCharsets.US_ASCII);
            private final byte[] stderrKey = "{\"stderr\":".getBytes(StandardCharsets.US_ASCII);

            /** One NDJSON line per chunk; flushed when no more output is waiting (see flush). */
            private void line(String stream, byte[] chunk) {
                synchronized (lock) {
                    try {
                        out.write(stream.equals("stdout") ? stdoutKey : stderrKey);
                        out.write(mapper.writeValueAsBytes(new String(chunk, StandardCharsets.UTF_8)));
                        out.write('}');
                        out.write('\n');
                    } catch (IOException e) {
                        // the client went away; the command still runs to its end or timeout
                    }
                }
            }

            @Override
            public void flush() {
                synchronized (lock) {
                    try {
                        out.flush();
                    } catch (IOException e) {
                        // the client went away
                    }
                }
            }
        };
        ObjectNode last = mapper.createObjectNode();
        try {
            ExecResult result = guarded(who, stillAuthorized, () -> sandbox.exec(request, listener));
            metrics.execFinished(result.duration());
            last.set("result", mapper.valueToTree(answer(result, request.maxOutputBytes(), false)));
        } catch (RuntimeFailure e) {
            last.putObject("error").put("reason", e.kind().name()).put("message", e.getMessage());
        } catch (UnauthorizedException e) {
            last.putObject("error").put("reason", e.reason()).put("message", e.getMessage());
        }
        try {
            synchronized (lock) {
                out.write(mapper.writeValueAsBytes(last));
                out.write('\n');
            }
        } finally {
            ex.close();
        }
    }

    /** A command run by {@link #guarded}. */
    private interface Command {
        ExecResult run() throws RuntimeFailure;
    }

    /**
     * Runs the command on this thread while a watchdog checks the token every second; when the token is revoked the
     * watchdog interrupts this thread, the runtime then kills the command, and this throws a 401.
     */
    private static ExecResult guarded(Principal who, BooleanSupplier stillAuthorized, Command command) throws RuntimeFailure {
        RevocationWatch watch = new RevocationWatch(stillAuthorized);
        try {
            ExecResult result = command.run();
            if (watch.stop()) throw revoked(who);
            return result;
        } catch (RuntimeFailure e) {
            if (watch.stop()) throw revoked(who);
            throw e;
        } finally {
            watch.stop();
        }
    }

    private static UnauthorizedException revoked(Principal who) {
        return new UnauthorizedException("token " + who.name() + " was revoked while the command ran; the command was killed");
    }

    /** Interrupts the thread that made it if the token is found revoked before {@link #stop}; checks once a second. */
    private static final class RevocationWatch {
        private final Thread caller = Thread.currentThread();
        private final Thread checker;
        private boolean running = true; // guarded by this
        private boolean revoked; // guarded by this

        RevocationWatch(BooleanSupplier stillAuthorized) {
            checker = Thread.ofVirtual().name("exec-token-check").start(() -> {
                try {
                    while (stillAuthorized.getAsBoolean()) Thread.sleep(AUTH_CHECK_MILLIS);
                    revoke();
                } catch (InterruptedException e) {
                    // stopped
                }
            });
        }

        private synchronized void revoke() {
            if (!running) return; // never interrupt the caller once the command has returned
            revoked = true;
            caller.interrupt();
        }

        /** Stops the checks (idempotent, called by the caller); true if the token was revoked, whose interrupt is then cleared. */
        synchronized boolean stop() {
            running = false;
            checker.interrupt();
            if (revoked) Thread.interrupted(); // handled here: the answer must still be written
            return revoked;
        }
    }

    /** An octal mode like 0644 (default), at most 07777. */
    private static int fileMode(String mode) {
        if (mode == null || mode.isEmpty()) return 0644;
        if (!mode.matches("[0-7]{1,6}") || Integer.parseInt(mode, 8) > 07777) {
            throw new HttpIO.BadRequest("mode=" + mode + " is not a file mode; use octal digits, e.g. 0644 or 0755");
        }
        return Integer.parseInt(mode, 8);
    }

    static ExecRequest toRequest(ExecCall call) {
        boolean hasCommand = call.command() != null && !call.command().isEmpty();
        boolean hasShell = call.shell() != null && !call.shell().isEmpty();
        if (hasCommand == hasShell) throw new InvalidException("command", "give exactly one of command (an argv list) or shell (a string run by /bin/sh -c)");
        if (hasCommand) {
            for (int i = 0; i < call.command().size(); i++) {
                if (call.command().get(i) == null) throw new InvalidException("command[" + i + "]", "must be a string, not null");
            }
        }
        if (call.env() != null) {
            for (Map.Entry<String, String> e : call.env().entrySet()) {
                if (e.getValue() == null) throw new InvalidException("env." + e.getKey(), "must be a string, not null");
            }
        }
        long timeout = call.timeoutSeconds() == null ? ExecRequest.DEFAULT_TIMEOUT.toSeconds() : call.timeoutSeconds();
        if (timeout <= 0 || timeout > MAX_TIMEOUT_SECONDS) throw new InvalidException("timeoutSeconds", "must be between 1 and " + MAX_TIMEOUT_SECONDS);
        long max = call.maxOutputBytes() == null ? DEFAULT_MAX_OUTPUT : call.maxOutputBytes();
        if (max <= 0 || max > LIMIT_MAX_OUTPUT) throw new InvalidException("maxOutputBytes", "must be between 1 and " + LIMIT_MAX_OUTPUT + " (16 MiB)");
        List<String> argv = hasCommand ? call.command() : List.of("/bin/sh", "-c", call.shell());
        byte[] stdin = call.stdin() == null ? null : call.stdin().getBytes(StandardCharsets.UTF_8);
        return new ExecRequest(argv, call.env(), call.workingDir(), stdin, Duration.ofSeconds(timeout), max);
    }

    static ExecAnswer answer(ExecResult r, long max, boolean withOutput) {
        return new ExecAnswer(r.exitCode(),
                withOutput ? text(r.stdout(), r.stdoutTruncated(), max) : null,
                withOutput ? text(r.stderr(), r.stderrTruncated(), max) : null,
                r.stdoutTruncated(), r.stderrTruncated(), r.timedOut(), r.duration().toMillis());
    }

    /** Output as UTF-8 text; cut output ends with a marker line that says where and why. */
    static String text(byte[] bytes, boolean truncated, long max) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        return truncated ? s + "\n[agentbox: output truncated at " + max + " bytes]\n" : s;
    }

    private ObjectNode entry(FileEntry e) {
        return mapper.createObjectNode().put("path", e.path()).put("name", e.name()).put("type", e.type())
                .put("size", e.size()).put("mode", e.mode()).put("modified", e.modifiedEpochMillis());
    }

    private RunningSandbox running(String ns, String name) {
        var sandbox = live.get(new ObjectKey(ns, name));
        if (sandbox.isPresent() && sandbox.get().isAlive()) return sandbox.get();
        if (store.get(Sandbox.class, ns, name).isEmpty()) {
            throw new NotFoundException("sandbox " + ns + "/" + name + " not found; list them with `agentbox get sandboxes -n " + ns + "`");
        }
        throw new ConflictException("sandbox " + ns + "/" + name + " is not running (starting, suspended, expired or failed); "
                + "wait until it is Ready: `agentbox get sandbox " + name + " -n " + ns + "`", false);
    }

    private static String required(Map<String, String> q, String param) {
        String v = q.get(param);
        if (v == null || v.isEmpty()) throw new InvalidException(param, "query parameter required");
        return v;
    }

}
