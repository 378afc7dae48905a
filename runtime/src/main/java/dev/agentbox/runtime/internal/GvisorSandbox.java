package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.ExecResult;
import dev.agentbox.runtime.FileEntry;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import dev.agentbox.runtime.SandboxConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running gVisor sandbox whose data plane is the init agent's channel. */
public final class GvisorSandbox implements RunningSandbox {
    private static final Logger log = LoggerFactory.getLogger(GvisorSandbox.class);
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final long DEFAULT_READ_LIMIT = 64L * 1024 * 1024;
    /** How long past an exec's own timeout the host waits for the agent before giving up. */
    private static final Duration AGENT_GRACE = Duration.ofSeconds(30);

    private final SandboxConfig config;
    private final Process process;
    private final AgentChannel channel;
    private final Path logFile;
    private final Runnable destroyer;
    private final String workingDir;
    private final Files files = new Files();
    private volatile Integer mainExit;
    private volatile boolean mainStarted;
    private volatile int mainRequestId;
    private final Checkpointer checkpointer;

    /** Does the runsc part of a checkpoint (the runtime owns runsc and its state directory). */
    public interface Checkpointer {
        dev.agentbox.runtime.CheckpointInfo checkpoint(GvisorSandbox sandbox, Path imageDir, boolean leaveRunning) throws RuntimeFailure;
    }

    public GvisorSandbox(SandboxConfig config, Process process, AgentChannel channel, Path logFile, Runnable destroyer) {
        this(config, process, channel, logFile, destroyer, null);
    }

    public GvisorSandbox(SandboxConfig config, Process process, AgentChannel channel, Path logFile, Runnable destroyer, Checkpointer checkpointer) {
        this.checkpointer = checkpointer;
        this.config = config;
        this.process = process;
        this.channel = channel;
        this.logFile = logFile;
        this.destroyer = destroyer;
        String wd = config.workingDir();
        this.workingDir = wd == null || wd.isBlank() ? "/" : wd;
    }

    @Override
    public String id() {
        return config.id();
    }

    @Override
    public SandboxConfig config() {
        return config;
    }

    public Process process() {
        return process;
    }

    public AgentChannel channel() {
        return channel;
    }

    /** Sends a hello and waits for the answer; returns the agent's version. */
    public String hello(Duration timeout) throws RuntimeFailure {
        AgentChannel.Frame f = await(channel.call(Wire.T_HELLO, new byte[0]), timeout, "hello");
        if (f.type() != Wire.R_HELLO) throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + ": unexpected hello answer " + f.type());
        return new Wire.In(f.payload()).str();
    }

    /** The full environment of a process: defaults, then the config's env, then the request's. */
    List<String> environment(Map<String, String> extra) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", DEFAULT_PATH);
        env.put("HOME", config.uid() == 0 ? "/root" : "/home/sandbox");
        env.put("HOSTNAME", config.hostname() == null || config.hostname().isBlank() ? config.id() : config.hostname());
        env.put("LANG", "C.UTF-8");
        env.putAll(config.env());
        env.putAll(extra);
        List<String> out = new ArrayList<>();
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    /** The request id of the running main process (0: none), recorded in a checkpoint so a restore can re-attach it. */
    public int mainRequestId() {
        return mainExit == null && mainStarted ? mainRequestId : 0;
    }

    @Override
    public dev.agentbox.runtime.CheckpointInfo checkpoint(Path imageDir, boolean leaveRunning) throws RuntimeFailure {
        if (checkpointer == null) throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + " cannot be checkpointed");
        return checkpointer.checkpoint(this, imageDir, leaveRunning);
    }

    @Override
    public void onSnapshotRequest(java.util.function.Consumer<String> listener) {
        channel.onEvent(e -> listener.accept(e.startsWith("snapshot") ? e.substring(8).strip() : e));
    }

    /** Starts the pod's main process; its output goes to {@link #logFile()}. */
    public void startMain() throws RuntimeFailure {
        if (config.command().isEmpty()) return;
        byte[] payload = new Wire.Out()
                .strs(config.command())
                .strs(environment(Map.of()))
                .str(workingDir)
                .u32(config.uid())
                .u32(config.gid())
                .toBytes();
        mainStarted = true;
        try {
            mainRequestId = channel.send(Wire.T_MAIN, payload, mainHandler());
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + ": cannot start main process: " + e.getMessage(), e);
        }
    }

    /** A restored sandbox: its main process (request {@code id} of the checkpointed channel) goes on writing to this log. */
    public void adoptMain(int id) throws RuntimeFailure {
        if (id == 0) return;
        mainStarted = true;
        mainRequestId = id;
        channel.adopt(id, mainHandler());
    }

    private AgentChannel.Handler mainHandler() throws RuntimeFailure {
        OutputStream logOut;
        try {
            logOut = java.nio.file.Files.newOutputStream(logFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "cannot open log " + logFile + ": " + e.getMessage(), e);
        }
        return new AgentChannel.Handler() {
                @Override
                public boolean onFrame(int type, byte[] p) {
                    try {
                        switch (type) {
                            case Wire.R_OUT, Wire.R_ERR -> {
                                logOut.write(p);
                                logOut.flush();
                                return false;
                            }
                            case Wire.R_EXIT -> {
                                mainExit = new Wire.In(p).i32();
                                log.info("sandbox {}: main process exited with {}", id(), mainExit);
                            }
                            case Wire.R_FAIL -> {
                                Wire.In in = new Wire.In(p);
                                in.u32();
                                String msg = in.str();
                                logOut.write(("agentbox: cannot start main process: " + msg + "\n").getBytes(StandardCharsets.UTF_8));
                                mainExit = 127;
                            }
                            default -> {
                                return false;
                            }
                        }
                        logOut.close();
                    } catch (IOException e) {
                        log.warn("sandbox {}: cannot write log", id(), e);
                    }
                    return true;
                }

                @Override
                public void onClosed(String reason) {
                    try {
                        logOut.close();
                    } catch (IOException ignored) {
                        // nothing to do
                    }
                }
            };
    }

    @Override
    public ExecResult exec(ExecRequest request) throws RuntimeFailure {
        return exec(request, null);
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) throws RuntimeFailure {
        String cwd = request.workingDir() == null || request.workingDir().isBlank() ? workingDir
                : request.workingDir().startsWith("/") ? request.workingDir() : workingDir + "/" + request.workingDir();
        long timeoutMs = Math.max(1, Math.min(request.timeout().toMillis(), 0xffffffffL));
        byte[] payload = new Wire.Out()
                .strs(request.argv())
                .strs(environment(request.env()))
                .str(cwd)
                .u32(config.uid())
                .u32(config.gid())
                .u32(timeoutMs)
                .u8(request.stdin() == null ? 0 : 1)
                .bytes(request.stdin() == null ? new byte[0] : request.stdin())
                .toBytes();
        ExecCall call = new ExecCall(request.maxOutputBytes(), listener);
        long start = System.nanoTime();
        int reqId;
        try {
            reqId = channel.send(Wire.T_EXEC, payload, call);
        } catch (IOException e) {
            throw gone(e);
        }
        try {
            call.result.get(timeoutMs + AGENT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(reqId);
            Thread.currentThread().interrupt();
            throw new RuntimeFailure(Kind.FAILED, "exec interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CommandNotStarted failed) throw failed.toRuntimeFailure(request.argv().get(0), config.maxProcesses());
            throw gone(e.getCause());
        } catch (TimeoutException e) {
            kill(reqId);
            throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + ": the agent did not report the end of " + request.argv().get(0) + " in time");
        }
        return call.toResult(Duration.ofNanos(System.nanoTime() - start));
    }

    private void kill(int reqId) {
        try {
            channel.write(Wire.T_SIGNAL, 0, new Wire.Out().u32(reqId).u32(9).toBytes());
        } catch (IOException ignored) {
            // the sandbox is gone anyway
        }
    }

    /** The agent is alive but could not start the command (fork or pipe failed inside the sandbox). */
    private static final class CommandNotStarted extends IOException {
        private static final int EAGAIN = 11;
        private final long errno;

        CommandNotStarted(long errno, String message) {
            super(message);
            this.errno = errno;
        }

        RuntimeFailure toRuntimeFailure(String command, int maxProcesses) {
            String hint = errno == EAGAIN
                    ? "; the sandbox is at its process limit (" + (maxProcesses > 0 ? maxProcesses : "default") + " processes): stop background processes"
                      + " or delete the sandbox (raise the limit with the agentbox.dev/max-processes annotation)"
                    : "";
            return new RuntimeFailure(errno == EAGAIN ? Kind.LIMIT : kindOf(errno), "cannot start " + command + ": " + getMessage() + hint);
        }
    }

    private RuntimeFailure gone(Throwable cause) {
        return new RuntimeFailure(Kind.FAILED, "sandbox " + id() + " is not running (" + (cause == null ? channel.closedReason() : cause.getMessage()) + ")", cause);
    }

    /** Collects one command's output, capped, while always draining. */
    private static final class ExecCall implements AgentChannel.Handler {
        final CompletableFuture<Void> result = new CompletableFuture<>();
        final Capped out, err;
        final OutputListener listener;
        int exitCode;
        boolean timedOut;

        ExecCall(long max, OutputListener listener) {
            this.listener = listener;
            this.out = new Capped(max);
            this.err = new Capped(max);
        }

        @Override
        public boolean onFrame(int type, byte[] p) {
            switch (type) {
                case Wire.R_OUT -> {
                    byte[] pass = out.add(p);
                    if (listener != null && pass != null) listener.onStdout(pass);
                    return false;
                }
                case Wire.R_ERR -> {
                    byte[] pass = err.add(p);
                    if (listener != null && pass != null) listener.onStderr(pass);
                    return false;
                }
                case Wire.R_EXIT -> {
                    Wire.In in = new Wire.In(p);
                    exitCode = in.i32();
                    in.u8();
                    timedOut = in.u8() != 0;
                    result.complete(null);
                    return true;
                }
                case Wire.R_FAIL -> {
                    Wire.In in = new Wire.In(p);
                    long errno = in.u32();
                    result.completeExceptionally(new CommandNotStarted(errno, in.str()));
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        @Override
        public void onClosed(String reason) {
            result.completeExceptionally(new IOException(reason));
        }

        ExecResult toResult(Duration d) {
            return new ExecResult(exitCode, out.bytes(), err.bytes(), out.truncated, err.truncated, timedOut, d);
        }
    }

    /** Keeps at most {@code max} bytes, then the truncation marker once; the rest is dropped. */
    static final class Capped {
        final long max;
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long seen;
        boolean truncated;

        Capped(long max) {
            this.max = max;
        }

        /** Returns what a listener should get from this chunk (null: nothing). */
        synchronized byte[] add(byte[] chunk) {
            long room = max - seen;
            seen += chunk.length;
            if (truncated) return null;
            if (chunk.length <= room) {
                buf.writeBytes(chunk);
                return chunk;
            }
            truncated = true;
            byte[] head = java.util.Arrays.copyOf(chunk, (int) Math.max(0, room));
            buf.writeBytes(head);
            byte[] marker = ("\n[agentbox: output truncated at " + max + " bytes]\n").getBytes(StandardCharsets.UTF_8);
            buf.writeBytes(marker);
            byte[] pass = new byte[head.length + marker.length];
            System.arraycopy(head, 0, pass, 0, head.length);
            System.arraycopy(marker, 0, pass, head.length, marker.length);
            return pass;
        }

        synchronized byte[] bytes() {
            return buf.toByteArray();
        }
    }

    @Override
    public boolean isAlive() {
        return process.isAlive() && channel.isOpen();
    }

    @Override
    public MainProcessState mainProcess() {
        Integer exit = mainExit;
        if (!mainStarted) return new MainProcessState(false, null);
        if (exit != null) return new MainProcessState(false, exit);
        return new MainProcessState(isAlive(), null);
    }

    @Override
    public SandboxFiles files() {
        return files;
    }

    @Override
    public Path logFile() {
        return logFile;
    }

    @Override
    public void destroy() {
        destroyer.run();
    }

    private AgentChannel.Frame await(CompletableFuture<AgentChannel.Frame> f, Duration timeout, String what) throws RuntimeFailure {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure(Kind.FAILED, what + " interrupted", e);
        } catch (ExecutionException e) {
            throw gone(e.getCause());
        } catch (TimeoutException e) {
            throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + ": no answer to " + what + " within " + timeout.toMillis() + " ms");
        }
    }

    private static final int ENOENT = 2;

    private static Kind kindOf(long errno) {
        if (errno == ENOENT) return Kind.NOT_FOUND;
        return switch ((int) errno) {
            case 1, 13, 17, 20, 21, 22, 27, 30, 36, 39 -> Kind.INVALID; // EPERM EACCES EEXIST ENOTDIR EISDIR EINVAL EFBIG EROFS ENAMETOOLONG ENOTEMPTY
            default -> Kind.FAILED;
        };
    }

    private byte[] fileCall(int type, byte[] payload, String what) throws RuntimeFailure {
        AgentChannel.Frame f = await(channel.call(type, payload), Duration.ofMinutes(2), what);
        if (f.type() == Wire.R_FAIL) {
            Wire.In in = new Wire.In(f.payload());
            long errno = in.u32();
            throw new RuntimeFailure(kindOf(errno), in.str());
        }
        return f.payload();
    }

    private static FileEntry entry(Wire.In in, String dir) {
        String name = in.str();
        int t = in.u8();
        long size = in.u64();
        int mode = (int) in.u32();
        long mtime = in.u64();
        String type = switch (t) {
            case 0 -> "file";
            case 1 -> "dir";
            case 2 -> "symlink";
            default -> "other";
        };
        String path = dir == null ? name : (dir.equals("/") ? "/" + name : dir + "/" + name);
        String shortName = dir == null ? (name.equals("/") ? "/" : name.substring(name.lastIndexOf('/') + 1)) : name;
        return new FileEntry(path, shortName, type, size, mode, mtime);
    }

    private final class Files implements SandboxFiles {
        @Override
        public void write(String path, byte[] content, int mode) throws RuntimeFailure {
            String p = PathRules.resolve(path, workingDir);
            fileCall(Wire.T_WRITE, new Wire.Out().str(p).u32(mode <= 0 ? 0644 : mode).u32(config.uid()).u32(config.gid())
                    .bytes(content == null ? new byte[0] : content).toBytes(), "write " + p);
        }

        @Override
        public byte[] read(String path, long maxBytes) throws RuntimeFailure {
            String p = PathRules.resolve(path, workingDir);
            return fileCall(Wire.T_READ, new Wire.Out().str(p).u64(maxBytes <= 0 ? DEFAULT_READ_LIMIT : maxBytes).toBytes(), "read " + p);
        }

        @Override
        public List<FileEntry> list(String path) throws RuntimeFailure {
            String p = PathRules.resolve(path, workingDir);
            Wire.In in = new Wire.In(fileCall(Wire.T_LIST, new Wire.Out().str(p).toBytes(), "list " + p));
            long n = in.u32();
            List<FileEntry> out = new ArrayList<>();
            for (long i = 0; i < n; i++) out.add(entry(in, p));
            out.sort(Comparator.comparing(FileEntry::name));
            return out;
        }

        @Override
        public FileEntry stat(String path) throws RuntimeFailure {
            String p = PathRules.resolve(path, workingDir);
            return entry(new Wire.In(fileCall(Wire.T_STAT, new Wire.Out().str(p).toBytes(), "stat " + p)), null);
        }

        @Override
        public void delete(String path, boolean recursive) throws RuntimeFailure {
            String p = PathRules.resolve(path, workingDir);
            if (p.equals("/")) throw new RuntimeFailure(Kind.INVALID, "path " + path + ": refusing to delete the root directory");
            fileCall(Wire.T_DELETE, new Wire.Out().str(p).u8(recursive ? 1 : 0).toBytes(), "delete " + p);
        }

        @Override
        public void mkdir(String path, boolean parents) throws RuntimeFailure {
            String p = PathRules.resolve(path, workingDir);
            fileCall(Wire.T_MKDIR, new Wire.Out().str(p).u8(parents ? 1 : 0).u32(config.uid()).u32(config.gid()).toBytes(), "mkdir " + p);
        }
    }
}
