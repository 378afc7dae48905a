package dev.agentbox.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.Commands;
import dev.agentbox.client.FileEntry;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicBoolean;

/** A sandbox reached through agentboxd's data plane, {@code /api/v1/namespaces/{ns}/sandboxes/{name}}. */
final class HttpSandbox implements Sandbox, Commands, SandboxFiles {
    /** Slack on top of a command's own timeout before the HTTP call gives up. */
    private static final Duration EXEC_SLACK = Duration.ofSeconds(30);
    private static final int MAX_COLLECTED_CHARS = 16 * 1024 * 1024;

    private final Http http;
    private final HttpResourceClient resources;
    private final String namespace;
    private final String name;
    private final String claimName;
    private final boolean owned;
    private final String base;
    private final AtomicBoolean terminated = new AtomicBoolean();
    private final HttpCode code;

    HttpSandbox(Http http, String namespace, String name, String claimName, boolean owned) {
        this.http = http;
        this.resources = new HttpResourceClient(http, namespace);
        this.namespace = namespace;
        this.name = name;
        this.claimName = claimName;
        this.owned = owned;
        this.base = "/api/v1/namespaces/" + namespace + "/sandboxes/" + name;
        this.code = new HttpCode(http, base, namespace + "/" + name);
    }

    @Override public String name() { return name; }
    @Override public String namespace() { return namespace; }
    @Override public String claimName() { return claimName; }
    @Override public Commands commands() { return this; }
    @Override public SandboxFiles files() { return this; }
    @Override public dev.agentbox.client.Code code() { return code; }

    @Override
    public dev.agentbox.client.SandboxPorts ports() {
        return new dev.agentbox.client.SandboxPorts() {
            @Override
            public dev.agentbox.client.PortConnection connect(int port) {
                checkPort(port);
                return new WebSocketPortConnection(http, base + "/portforward?port=" + port, "port " + port + " of sandbox " + namespace + "/" + name);
            }

            @Override
            public java.net.URI url(int port) {
                checkPort(port);
                return java.net.URI.create(http.endpoint() + "/api/v1/namespaces/" + namespace + "/sandboxes/" + name + ":" + port + "/proxy/");
            }
        };
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, got " + port);
    }

    @Override public dev.agentbox.client.Snapshots snapshots() { return new ResourceSnapshots(resources, name); }
    @Override public void suspend() { new ResourceSnapshots(resources, name).suspend(); }
    @Override public void resume() { new ResourceSnapshots(resources, name).resume(); }

    @Override
    public List<dev.agentbox.client.Sandbox> fork(int n) {
        List<dev.agentbox.client.Sandbox> out = new java.util.ArrayList<>();
        for (String s : new ResourceSnapshots(resources, name).fork(n)) out.add(new HttpSandbox(http, namespace, s, null, false));
        return out;
    }

    @Override
    public void terminate() {
        if (claimName == null || !terminated.compareAndSet(false, true)) return;
        try {
            resources.delete(ResourceType.SANDBOX_CLAIM, claimName);
        } catch (NotFoundException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        if (owned) terminate();
    }

    @Override
    public String toString() {
        return "Sandbox " + namespace + "/" + name + (claimName == null ? "" : " (claim " + claimName + ")");
    }

    // ---- commands

    private static ObjectNode execBody(CommandRequest r) {
        ObjectNode n = Http.MAPPER.createObjectNode();
        if (r.command() != null) {
            var arr = n.putArray("command");
            r.command().forEach(arr::add);
        } else {
            n.put("shell", r.shell());
        }
        if (!r.env().isEmpty()) {
            ObjectNode env = n.putObject("env");
            r.env().forEach(env::put);
        }
        if (r.workingDir() != null) n.put("workingDir", r.workingDir());
        if (r.stdin() != null) n.put("stdin", r.stdin());
        if (r.timeout() != null) n.put("timeoutSeconds", Math.max(1, (r.timeout().toMillis() + 999) / 1000));
        if (r.maxOutputBytes() != null) n.put("maxOutputBytes", r.maxOutputBytes());
        return n;
    }

    private static Duration httpTimeout(CommandRequest r) {
        return r.timeout() == null ? null : r.timeout().plus(EXEC_SLACK);
    }

    @Override
    public CommandResult run(CommandRequest request) {
        Http.Response r = http.send("POST", base + "/exec", Http.toJson(execBody(request)), "application/json", httpTimeout(request));
        JsonNode n = r.json();
        return result(n, n.path("stdout").asText(""), n.path("stderr").asText(""));
    }

    @Override
    public CommandResult run(CommandRequest request, Consumer<String> onStdout, Consumer<String> onStderr) {
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        try (InputStream in = http.stream("POST", base + "/exec?stream=true", Http.toJson(execBody(request)), "application/json");
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode n = Http.MAPPER.readTree(line);
                if (n.has("stdout")) {
                    String chunk = n.get("stdout").asText();
                    if (out.length() < MAX_COLLECTED_CHARS) out.append(chunk);
                    if (onStdout != null) onStdout.accept(chunk);
                } else if (n.has("stderr")) {
                    String chunk = n.get("stderr").asText();
                    if (err.length() < MAX_COLLECTED_CHARS) err.append(chunk);
                    if (onStderr != null) onStderr.accept(chunk);
                } else if (n.has("result")) {
                    return result(n.get("result"), out.toString(), err.toString());
                } else if (n.has("error")) {
                    JsonNode e = n.get("error");
                    throw new SandboxFailedException("command in sandbox " + namespace + "/" + name + " failed: "
                            + e.path("message").asText(e.path("reason").asText("unknown error")));
                }
            }
        } catch (IOException e) {
            throw new dev.agentbox.client.ServerUnavailableException("the output stream of a command in sandbox "
                    + namespace + "/" + name + " broke: " + e.getMessage(), e);
        }
        throw new SandboxFailedException("the output stream of a command in sandbox " + namespace + "/" + name
                + " ended without an exit code (agentboxd stopped or the connection dropped)");
    }

    private static CommandResult result(JsonNode n, String stdout, String stderr) {
        return new CommandResult(stdout, stderr, n.path("exitCode").asInt(-1), Duration.ofMillis(n.path("durationMillis").asLong(0)),
                n.path("stdoutTruncated").asBoolean(false), n.path("stderrTruncated").asBoolean(false), n.path("timedOut").asBoolean(false));
    }

    // ---- the main process's log

    @Override
    public String logs(Integer tailLines) {
        return logs(null, tailLines);
    }

    @Override
    public InputStream followLogs(Integer tailLines) {
        return followLogs(null, tailLines);
    }

    @Override
    public String logs(String container, Integer tailLines) {
        return new String(http.send("GET", logPath(container, false, tailLines), null, null).body(), StandardCharsets.UTF_8);
    }

    @Override
    public InputStream followLogs(String container, Integer tailLines) {
        return http.stream("GET", logPath(container, true, tailLines), null, null);
    }

    private String logPath(String container, boolean follow, Integer tailLines) {
        if (tailLines != null && tailLines < 0) throw new dev.agentbox.api.InvalidException("tailLines", "must be 0 or more, or null for the whole log");
        return Http.path(base + "/log", Http.query("container", container, "follow", follow ? "true" : null,
                "tailLines", tailLines == null ? null : tailLines.toString()));
    }

    // ---- files

    private String filePath(String action, String path, String... more) {
        if (path == null || path.isEmpty()) throw new dev.agentbox.api.InvalidException("path", "required");
        List<String> kv = new ArrayList<>(List.of("path", path));
        kv.addAll(List.of(more));
        return Http.path(base + "/" + action, Http.query(kv.toArray(String[]::new)));
    }

    @Override
    public void write(String path, byte[] content, int mode) {
        http.send("PUT", filePath("files", path, "mode", String.format("%04o", mode)), content, "application/octet-stream", null);
    }

    @Override
    public byte[] read(String path) {
        return http.send("GET", filePath("files", path), null, null, null).body();
    }

    @Override
    public List<FileEntry> list(String directory) {
        List<FileEntry> out = new ArrayList<>();
        for (JsonNode e : http.send("GET", filePath("files/list", directory), null, null).json()) out.add(entry(e));
        return out;
    }

    @Override
    public FileEntry stat(String path) {
        return entry(http.send("GET", filePath("files/stat", path), null, null).json());
    }

    @Override
    public boolean exists(String path) {
        try {
            stat(path);
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public void delete(String path, boolean recursive) {
        http.send("DELETE", filePath("files", path, "recursive", Boolean.toString(recursive)), null, null);
    }

    @Override
    public void mkdir(String path) {
        http.send("POST", filePath("files/mkdir", path, "parents", "true"), null, null);
    }

    private static FileEntry entry(JsonNode e) {
        JsonNode mode = e.path("mode");
        int m = mode.isTextual() ? parseMode(mode.asText()) : mode.asInt(0);
        return new FileEntry(e.path("path").asText(null), e.path("name").asText(null), e.path("type").asText("other"),
                e.path("size").asLong(0), m, Instant.ofEpochMilli(e.path("modified").asLong(0)));
    }

    private static int parseMode(String s) {
        try {
            return Integer.parseInt(s, 8);
        } catch (NumberFormatException ex) {
            return 0;
        }
    }

}
