package dev.agentbox.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.client.Code;
import dev.agentbox.client.CodeContext;
import dev.agentbox.client.CodeResult;
import dev.agentbox.client.ServerUnavailableException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Code contexts over agentboxd's data plane: {@code .../sandboxes/{name}/contexts} (docs/http-api.md). */
final class HttpCode implements Code {
    private static final Duration SLACK = Duration.ofSeconds(30); // on top of a run's timeout (interrupt grace, restart)

    private final Http http;
    private final String base;
    private final String sandbox;
    private final Map<String, CodeContext> defaults = new java.util.concurrent.ConcurrentHashMap<>(); // language -> its default context

    HttpCode(Http http, String sandboxPath, String sandbox) {
        this.http = http;
        this.base = sandboxPath + "/contexts";
        this.sandbox = sandbox;
    }

    @Override
    public CodeContext createContext(String language) {
        return context(http.sendJson("POST", base, Map.of("language", language)).json());
    }

    private static CodeContext context(JsonNode n) {
        return new CodeContext(n.path("id").asText(), n.path("language").asText());
    }

    @Override
    public List<CodeContext> listContexts() {
        List<CodeContext> out = new ArrayList<>();
        for (JsonNode n : http.send("GET", base, null, null).json().path("items")) out.add(context(n));
        return out;
    }

    @Override
    public void deleteContext(CodeContext context) {
        http.send("DELETE", base + "/" + context.id(), null, null);
        defaults.values().remove(context);
    }

    @Override
    public CodeResult run(String code) {
        return runIn("python", code, DEFAULT_TIMEOUT);
    }

    @Override
    public CodeResult runIn(String language, String code, Duration timeout) {
        CodeContext c = defaults.computeIfAbsent(language, this::createContext);
        try {
            return run(c, code, timeout, null, null);
        } catch (NotFoundException e) {
            if (!e.getMessage().contains("code context")) throw e; // the sandbox itself is gone
            defaults.remove(language, c);
            CodeResult r = run(defaults.computeIfAbsent(language, this::createContext), code, timeout, null, null);
            return new CodeResult(r.stdout(), "[agentbox: the previous code context was gone (the sandbox or agentboxd restarted); "
                    + "this ran in a new one, earlier variables are lost]\n" + r.stderr(), r.results(), r.error(), r.exitCode(),
                    r.timedOut(), r.truncated(), r.duration());
        }
    }

    @Override
    public CodeResult run(CodeContext context, String code, Duration timeout, Consumer<String> onStdout, Consumer<String> onStderr) {
        Map<String, Object> body = Map.of("code", code, "timeoutSeconds", Math.max(1, (timeout.toMillis() + 999) / 1000));
        String path = base + "/" + context.id() + "/run";
        if (onStdout == null && onStderr == null) {
            return result(http.send("POST", path, Http.toJson(body), "application/json", timeout.plus(SLACK)).json());
        }
        try (InputStream in = http.stream("POST", path + "?stream=true", Http.toJson(body), "application/json");
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isBlank()) continue;
                JsonNode n = Http.MAPPER.readTree(line);
                if (n.has("stdout")) {
                    if (onStdout != null) onStdout.accept(n.get("stdout").asText());
                } else if (n.has("stderr")) {
                    if (onStderr != null) onStderr.accept(n.get("stderr").asText());
                } else if (n.has("result")) {
                    return result(n.get("result"));
                } else if (n.has("error")) {
                    throw Http.toException(409, Http.toJson(Map.of("kind", "Status", "message", n.get("error").path("message").asText(),
                            "reason", n.get("error").path("reason").asText("Conflict"), "code", 409)));
                }
            }
        } catch (IOException e) {
            throw new ServerUnavailableException("the output stream of a snippet in sandbox " + sandbox + " broke: " + e.getMessage(), e);
        }
        throw new SandboxFailedException("the output stream of a snippet in sandbox " + sandbox + " ended without a result");
    }

    private static CodeResult result(JsonNode n) {
        List<Map<String, String>> results = new ArrayList<>();
        for (JsonNode r : n.path("results")) {
            Map<String, String> formats = new LinkedHashMap<>();
            r.fields().forEachRemaining(f -> formats.put(f.getKey(), f.getValue().asText()));
            results.add(formats);
        }
        JsonNode e = n.get("error");
        CodeResult.Error error = e == null || e.isNull() ? null
                : new CodeResult.Error(e.path("name").asText(), e.path("value").asText(), e.path("traceback").asText());
        return new CodeResult(n.path("stdout").asText(""), n.path("stderr").asText(""), results, error,
                n.path("exitCode").isInt() ? n.path("exitCode").asInt() : null, n.path("timedOut").asBoolean(false),
                n.path("truncated").asBoolean(false), Duration.ofMillis(n.path("durationMillis").asLong(0)));
    }

    @Override
    public void interrupt(CodeContext context) {
        http.send("POST", base + "/" + context.id() + "/interrupt", null, null);
    }

    @Override
    public void restart(CodeContext context) {
        http.send("POST", base + "/" + context.id() + "/restart", null, null);
    }
}
