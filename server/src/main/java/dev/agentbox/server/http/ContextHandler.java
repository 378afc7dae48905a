package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.server.contexts.CodeContext;
import dev.agentbox.server.contexts.CodeContexts;
import dev.agentbox.server.contexts.CodeResult;
import dev.agentbox.server.contexts.Language;
import dev.agentbox.server.controller.ObjectKey;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;

/**
 * Code contexts of a running sandbox (docs/code-contexts.md): {@code .../sandboxes/{name}/contexts[/{id}[/run|interrupt|restart]]}.
 * The caller (DataPlaneHandler) has checked the token's namespace and found the sandbox running.
 */
final class ContextHandler implements AutoCloseable {
    static final long MAX_RUN_SECONDS = 3600;
    static final long DEFAULT_RUN_SECONDS = 60;
    static final int MAX_CODE_CHARS = 1024 * 1024;

    record CreateCall(String language) {}

    record RunCall(String code, Long timeoutSeconds, Long maxOutputBytes) {}

    private final CodeContexts contexts;
    private final ObjectMapper mapper;

    ContextHandler(ObjectMapper mapper) {
        this.contexts = new CodeContexts(mapper);
        this.mapper = mapper;
    }

    /** @param action {@code contexts}, {@code contexts/ID} or {@code contexts/ID/VERB} */
    void handle(HttpExchange ex, ObjectKey key, RunningSandbox sandbox, String action) throws IOException, RuntimeFailure {
        String[] parts = action.split("/");
        if (parts.length == 1) {
            HttpIO.requireMethod(ex, "/contexts", "GET", "POST");
            if (ex.getRequestMethod().equals("GET")) {
                HttpIO.json(ex, 200, mapper, Map.of("items", contexts.list(key, sandbox).stream().map(this::info).toList()));
            } else {
                CreateCall call = HttpIO.convert(mapper, HttpIO.jsonObject(ex, "the context request"), CreateCall.class);
                CodeContext c = contexts.create(key, sandbox, Language.of(call.language()));
                HttpIO.json(ex, 201, mapper, info(c));
            }
            return;
        }
        String id = parts[1];
        if (parts.length == 2) {
            HttpIO.requireMethod(ex, "/contexts/" + id, "GET", "DELETE");
            if (ex.getRequestMethod().equals("GET")) HttpIO.json(ex, 200, mapper, info(contexts.get(key, sandbox, id)));
            else {
                contexts.delete(key, sandbox, id);
                HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
            }
            return;
        }
        HttpIO.requireMethod(ex, "/contexts/" + id + "/" + parts[2], "POST");
        CodeContext c = contexts.get(key, sandbox, id);
        switch (parts[2]) {
            case "run" -> run(ex, c);
            case "interrupt" -> {
                c.interrupt();
                HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
            }
            case "restart" -> {
                c.restart();
                HttpIO.json(ex, 200, mapper, info(c));
            }
            default -> throw new NotFoundException("no context action " + parts[2] + "; use run, interrupt or restart");
        }
    }

    private ObjectNode info(CodeContext c) {
        return mapper.createObjectNode().put("id", c.id()).put("language", c.language().name()).put("alive", c.alive());
    }

    private void run(HttpExchange ex, CodeContext c) throws IOException {
        boolean streaming = HttpIO.booleanParam(HttpIO.query(ex), "stream", false);
        RunCall call = HttpIO.convert(mapper, HttpIO.jsonObject(ex, "the run request"), RunCall.class);
        if (call.code() == null) throw new InvalidException("code", "required: the snippet to run, e.g. {\"code\": \"x = 41\"}");
        if (call.code().length() > MAX_CODE_CHARS) throw new InvalidException("code", "at most " + MAX_CODE_CHARS + " characters; write a larger program to a file and run that");
        if (call.code().indexOf('\0') >= 0) throw new InvalidException("code", "must not contain NUL characters");
        long timeout = call.timeoutSeconds() == null ? DEFAULT_RUN_SECONDS : call.timeoutSeconds();
        if (timeout <= 0 || timeout > MAX_RUN_SECONDS) throw new InvalidException("timeoutSeconds", "must be between 1 and " + MAX_RUN_SECONDS);
        long max = call.maxOutputBytes() == null ? DataPlaneHandler.DEFAULT_MAX_OUTPUT : call.maxOutputBytes();
        if (max <= 0 || max > DataPlaneHandler.LIMIT_MAX_OUTPUT) {
            throw new InvalidException("maxOutputBytes", "must be between 1 and " + DataPlaneHandler.LIMIT_MAX_OUTPUT + " (16 MiB)");
        }
        if (!streaming) {
            HttpIO.json(ex, 200, mapper, c.run(call.code(), Duration.ofSeconds(timeout), max, null));
            return;
        }
        // the framing of streaming exec: one {"stdout"|"stderr": text} line per chunk, then {"result": ...}
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        CodeContext.Listener listener = new CodeContext.Listener() {
            @Override
            public void onStdout(String text) {
                line(mapper.createObjectNode().put("stdout", text));
            }

            @Override
            public void onStderr(String text) {
                line(mapper.createObjectNode().put("stderr", text));
            }

            private void line(Object value) {
                try {
                    out.write(mapper.writeValueAsBytes(value));
                    out.write('\n');
                    out.flush();
                } catch (IOException e) {
                    // the client went away; the snippet runs to its end or timeout
                }
            }
        };
        ObjectNode last = mapper.createObjectNode();
        try {
            CodeResult result = c.run(call.code(), Duration.ofSeconds(timeout), max, listener);
            last.set("result", mapper.valueToTree(result));
        } catch (dev.agentbox.api.AgentboxException e) {
            last.putObject("error").put("reason", e.reason()).put("message", e.getMessage());
        }
        try {
            out.write(mapper.writeValueAsBytes(last));
            out.write('\n');
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        contexts.close();
    }
}
