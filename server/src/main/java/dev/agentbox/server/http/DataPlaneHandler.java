package dev.agentbox.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.ExecResult;
import dev.agentbox.runtime.FileEntry;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.server.Metrics;
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

/** Exec and files of one running sandbox: {@code /api/v1/namespaces/{ns}/sandboxes/{name}/...}. */
final class DataPlaneHandler {
    static final long DEFAULT_MAX_OUTPUT = 1024 * 1024;
    static final long LIMIT_MAX_OUTPUT = 16 * 1024 * 1024;
    static final long MAX_TIMEOUT_SECONDS = 24 * 3600;

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

    DataPlaneHandler(Store store, LiveSandboxes live, Metrics metrics, ObjectMapper mapper) {
        this.store = store;
        this.live = live;
        this.metrics = metrics;
        this.mapper = mapper;
    }

    void handle(HttpExchange ex, String ns, String name, String action) throws IOException, RuntimeFailure {
        RunningSandbox sandbox = running(ns, name);
        Map<String, String> q = HttpIO.query(ex);
        String method = ex.getRequestMethod();
        switch (action) {
            case "exec" -> {
                requireMethod(method, "POST");
                exec(ex, sandbox, q);
            }
            case "files" -> {
                String path = required(q, "path");
                switch (method) {
                    case "GET" -> HttpIO.bytes(ex, 200, "application/octet-stream",
                            sandbox.files().read(path, HttpIO.MAX_BODY_BYTES));
                    case "PUT" -> {
                        int mode = Integer.parseInt(q.getOrDefault("mode", "0644"), 8);
                        sandbox.files().write(path, HttpIO.body(ex), mode);
                        HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
                    }
                    case "DELETE" -> {
                        sandbox.files().delete(path, Boolean.parseBoolean(q.getOrDefault("recursive", "false")));
                        HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
                    }
                    default -> throw new InvalidException("method " + method + " not allowed on files; use GET, PUT or DELETE");
                }
            }
            case "files/list" -> {
                requireMethod(method, "GET");
                List<ObjectNode> out = new ArrayList<>();
                for (FileEntry e : sandbox.files().list(required(q, "path"))) out.add(entry(e));
                HttpIO.json(ex, 200, mapper, out);
            }
            case "files/stat" -> {
                requireMethod(method, "GET");
                HttpIO.json(ex, 200, mapper, entry(sandbox.files().stat(required(q, "path"))));
            }
            case "files/mkdir" -> {
                requireMethod(method, "POST");
                sandbox.files().mkdir(required(q, "path"), Boolean.parseBoolean(q.getOrDefault("parents", "true")));
                HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
            }
            default -> throw new NotFoundException("no data-plane action " + action + "; use exec, files, files/list, files/stat or files/mkdir");
        }
    }

    private void exec(HttpExchange ex, RunningSandbox sandbox, Map<String, String> q) throws IOException, RuntimeFailure {
        ExecCall call;
        try {
            call = mapper.readValue(HttpIO.body(ex), ExecCall.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidException("exec request is not valid JSON: " + e.getOriginalMessage());
        }
        ExecRequest request = toRequest(call);
        if (Boolean.parseBoolean(q.getOrDefault("stream", "false"))) {
            stream(ex, sandbox, request);
            return;
        }
        ExecResult result = sandbox.exec(request);
        metrics.execFinished(result.duration());
        HttpIO.json(ex, 200, mapper, answer(result, request.maxOutputBytes(), true));
    }

    private void stream(HttpExchange ex, RunningSandbox sandbox, ExecRequest request) throws IOException, RuntimeFailure {
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

            private void line(String stream, byte[] chunk) {
                ObjectNode n = mapper.createObjectNode().put(stream, new String(chunk, StandardCharsets.UTF_8));
                synchronized (lock) {
                    try {
                        out.write(mapper.writeValueAsBytes(n));
                        out.write('\n');
                        out.flush();
                    } catch (IOException e) {
                        // the client went away; the command still runs to its end or timeout
                    }
                }
            }
        };
        try {
            ExecResult result = sandbox.exec(request, listener);
            metrics.execFinished(result.duration());
            synchronized (lock) {
                ObjectNode last = mapper.createObjectNode();
                last.set("result", mapper.valueToTree(answer(result, request.maxOutputBytes(), false)));
                out.write(mapper.writeValueAsBytes(last));
                out.write('\n');
            }
        } catch (RuntimeFailure e) {
            synchronized (lock) {
                ObjectNode last = mapper.createObjectNode();
                last.putObject("error").put("reason", e.kind().name()).put("message", e.getMessage());
                out.write(mapper.writeValueAsBytes(last));
                out.write('\n');
            }
        } finally {
            ex.close();
        }
    }

    static ExecRequest toRequest(ExecCall call) {
        boolean hasCommand = call.command() != null && !call.command().isEmpty();
        boolean hasShell = call.shell() != null && !call.shell().isEmpty();
        if (hasCommand == hasShell) throw new InvalidException("command", "give exactly one of command (an argv list) or shell (a string run by /bin/sh -c)");
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

    private static void requireMethod(String actual, String expected) {
        if (!actual.equals(expected)) throw new InvalidException("method " + actual + " not allowed here; use " + expected);
    }
}
