package dev.agentbox.mcp;

import dev.agentbox.client.SandboxSessions;
import dev.agentbox.api.AgentboxException;
import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.FileEntry;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP tools: run_code, run_command, write_file, read_file, list_files, snapshot, restore. Each MCP session
 * works in its own sandbox ({@link SandboxSessions}). Whatever goes wrong (a program that fails, a bad path, a
 * sandbox that cannot be claimed) comes back as a tool result with {@code isError} set and a message the model
 * can read, never as a protocol error.
 */
public final class SandboxTools {
    private static final Logger log = LoggerFactory.getLogger(SandboxTools.class);

    private final Function<String, SandboxSessions> sessionsById;
    private final McpServerOptions options;

    /** Tools whose every session works with {@code sessions} (one client for all, as over stdio). */
    public SandboxTools(SandboxSessions sessions, McpServerOptions options) {
        this(id -> sessions, options);
    }

    /** Tools that find each MCP session's sandboxes (and so its client) by the session's id, as over HTTP. */
    SandboxTools(Function<String, SandboxSessions> sessionsById, McpServerOptions options) {
        this.sessionsById = sessionsById;
        this.options = options;
    }

    public static final List<String> NAMES = List.of("run_code", "run_command", "write_file", "read_file", "list_files", "snapshot", "restore");

    public List<SyncToolSpecification> specifications() {
        return List.of(
                spec("run_code", "Run a program in this session's isolated sandbox (gVisor, no network) and return its exit code, "
                                + "stdout and stderr. Files written by earlier calls are still there, and python and bash keep their state between "
                                + "calls (variables, imports, the working directory): the value of the last expression is shown as a notebook shows it.",
                        schema(Map.of(
                                "code", prop("string", "the program's source text"),
                                "language", prop("string", "python (default), bash or sh"),
                                "timeout_seconds", prop("integer", "kill the program after this many seconds (default "
                                        + options.defaultTimeout().toSeconds() + ", at most " + options.maxTimeout().toSeconds() + ")")),
                                "code"),
                        this::runCode),
                spec("run_command", "Run a shell command line (/bin/sh -c) in this session's sandbox and return its exit code, stdout and stderr.",
                        schema(Map.of(
                                "command", prop("string", "the command line, e.g. ls -l /tmp"),
                                "workdir", prop("string", "working directory inside the sandbox"),
                                "timeout_seconds", prop("integer", "kill the command after this many seconds")),
                                "command"),
                        this::runCommand),
                spec("write_file", "Create or replace a text file (UTF-8) in this session's sandbox.",
                        schema(Map.of("path", prop("string", "file path, absolute or relative to the sandbox's working directory"),
                                "content", prop("string", "the file's new content")), "path", "content"),
                        this::writeFile),
                spec("read_file", "Read a text file (UTF-8) from this session's sandbox.",
                        schema(Map.of("path", prop("string", "file path")), "path"),
                        this::readFile),
                spec("list_files", "List a directory in this session's sandbox: type, size and name of each entry.",
                        schema(Map.of("path", prop("string", "directory (default: the working directory)"))),
                        this::listFiles),
                spec("snapshot", "Save this session's sandbox (memory and files) as a snapshot that restore can return to.",
                        schema(Map.of("name", prop("string", "optional name for the snapshot"))),
                        this::snapshot),
                spec("restore", "Replace this session's sandbox with one restored from a snapshot taken earlier.",
                        schema(Map.of("snapshot", prop("string", "the snapshot's name, as returned by the snapshot tool")), "snapshot"),
                        this::restore));
    }

    private static SyncToolSpecification spec(String name, String description, Map<String, Object> inputSchema,
                                              BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
        Tool tool = Tool.builder().name(name).description(description).inputSchema(inputSchema).build();
        return SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> {
            try {
                return handler.apply(exchange, request);
            } catch (AgentboxException | IllegalArgumentException | IllegalStateException e) {
                return error(name + " failed: " + e.getMessage());
            } catch (RuntimeException e) {
                log.warn("tool {} failed", name, e);
                return error(name + " failed: " + e);
            }
        }).build();
    }

    private static Map<String, Object> schema(Map<String, Object> properties, String... required) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        s.put("properties", properties);
        s.put("required", List.of(required));
        s.put("additionalProperties", false);
        return s;
    }

    private static Map<String, Object> prop(String type, String description) {
        return Map.of("type", type, "description", description);
    }

    // ---- handlers

    private CallToolResult runCode(McpSyncServerExchange exchange, CallToolRequest request) {
        String code = requiredString(request, "code");
        Duration timeout = timeout(request);
        String language = string(request, "language");
        CodeRunner.language(language); // an unknown language fails before a sandbox is taken
        return commandResult(sessions(exchange).with(sessionId(exchange), sb -> CodeRunner.run(sb, language, code, timeout)), timeout);
    }

    private CallToolResult runCommand(McpSyncServerExchange exchange, CallToolRequest request) {
        Duration timeout = timeout(request);
        CommandRequest command = CommandRequest.shell(requiredString(request, "command")).withTimeout(timeout);
        String workdir = string(request, "workdir");
        if (workdir != null && !workdir.isBlank()) command = command.withWorkingDir(workdir);
        CommandRequest c = command;
        return commandResult(sessions(exchange).with(sessionId(exchange), sb -> sb.commands().run(c)), timeout);
    }

    private CallToolResult writeFile(McpSyncServerExchange exchange, CallToolRequest request) {
        String path = requiredString(request, "path");
        String content = requiredString(request, "content");
        sessions(exchange).with(sessionId(exchange), sb -> {
            sb.files().write(path, content);
            return null;
        });
        return CallToolResult.builder().addTextContent("wrote " + content.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                + " bytes to " + path).isError(false).build();
    }

    private CallToolResult readFile(McpSyncServerExchange exchange, CallToolRequest request) {
        String path = requiredString(request, "path");
        String text = sessions(exchange).with(sessionId(exchange), sb -> sb.files().readString(path));
        return CallToolResult.builder().addTextContent(text).isError(false).build();
    }

    private CallToolResult listFiles(McpSyncServerExchange exchange, CallToolRequest request) {
        String path = string(request, "path");
        String dir = path == null || path.isBlank() ? "." : path;
        List<FileEntry> entries = sessions(exchange).with(sessionId(exchange), sb -> sb.files().list(dir));
        StringBuilder b = new StringBuilder();
        for (FileEntry e : entries) {
            b.append(String.format("%-7s %10d  %s%n", e.type(), e.size(), e.name() + (e.isDirectory() ? "/" : "")));
        }
        if (entries.isEmpty()) b.append("(empty directory)\n");
        return CallToolResult.builder().addTextContent(b.toString()).isError(false).build();
    }

    private CallToolResult snapshot(McpSyncServerExchange exchange, CallToolRequest request) {
        try {
            String name = sessions(exchange).with(sessionId(exchange), sb -> sb.snapshots().create().getMetadata().getName());
            return CallToolResult.builder().addTextContent("snapshot " + name + " is ready; restore it with restore {\"snapshot\": \""
                    + name + "\"}").isError(false).build();
        } catch (UnsupportedOperationException e) {
            return error(Snapshots.NOT_AVAILABLE + " (" + e.getMessage() + ")");
        }
    }

    private CallToolResult restore(McpSyncServerExchange exchange, CallToolRequest request) {
        String snapshot = requiredString(request, "snapshot");
        SandboxSessions sessions = sessions(exchange);
        if (sessions.client().resources().find(ResourceType.POD_SNAPSHOT, snapshot).isEmpty()) {
            return error("restore failed: there is no snapshot named \"" + snapshot + "\"; take one with the snapshot tool");
        }
        Sandbox restored = sessions.client().createSandbox(sessions.warmPool(), CreateOptions.builder().restoreFrom(snapshot).build());
        sessions.replace(sessionId(exchange), restored);
        return CallToolResult.builder().addTextContent("this session now works in sandbox " + restored.name()
                + ", restored from snapshot " + snapshot + " (memory and files as they were)").isError(false).build();
    }

    // ---- helpers

    static CallToolResult commandResult(CommandResult r, Duration timeout) {
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("exit_code", r.exitCode());
        structured.put("stdout", r.stdout());
        structured.put("stderr", r.stderr());
        structured.put("timed_out", r.timedOut());
        return CallToolResult.builder()
                .addTextContent(CodeRunner.describe(r, timeout))
                .structuredContent(structured)
                .isError(!r.succeeded())
                .build();
    }

    static CallToolResult error(String message) {
        return CallToolResult.builder().addTextContent(message).isError(true).build();
    }

    private SandboxSessions sessions(McpSyncServerExchange exchange) {
        return sessionsById.apply(sessionId(exchange));
    }

    private static String sessionId(McpSyncServerExchange exchange) {
        String id = exchange == null ? null : exchange.sessionId();
        return id == null || id.isBlank() ? "default" : id;
    }

    private Duration timeout(CallToolRequest request) {
        Object v = args(request).get("timeout_seconds");
        if (v == null) return options.defaultTimeout();
        long seconds;
        if (v instanceof Number n) seconds = n.longValue();
        else {
            try {
                seconds = Long.parseLong(v.toString().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("timeout_seconds: not a number: " + v);
            }
        }
        if (seconds <= 0) throw new IllegalArgumentException("timeout_seconds: must be positive, got " + seconds);
        Duration d = Duration.ofSeconds(seconds);
        return d.compareTo(options.maxTimeout()) > 0 ? options.maxTimeout() : d;
    }

    private static Map<String, Object> args(CallToolRequest request) {
        return request.arguments() == null ? Map.of() : request.arguments();
    }

    private static String string(CallToolRequest request, String name) {
        Object v = args(request).get(name);
        return v == null ? null : v.toString();
    }

    private static String requiredString(CallToolRequest request, String name) {
        String v = string(request, name);
        if (v == null) throw new IllegalArgumentException("the argument \"" + name + "\" is required");
        return v;
    }
}
