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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gVisor sandbox whose data plane is the init agent's channel (through its shim).
 *
 * <p>Output flow control: the agent sends at most {@link Wire#WINDOW} bytes of a request's output before
 * the host grants more ({@code CREDIT}), and the host grants only what the request's consumer has taken.
 * The channel's reader thread only queues a chunk; the thread that made the request takes it, hands it to
 * its listener (a client socket, which may be slow), and then grants credit. A slow reader therefore
 * pauses only its own command (its writes to stdout block), never the channel or other requests.
 */
public final class GvisorSandbox implements RunningSandbox {
    private static final Logger log = LoggerFactory.getLogger(GvisorSandbox.class);
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final long DEFAULT_READ_LIMIT = 64L * 1024 * 1024;
    /** How long past an exec's own timeout the host waits for the agent before giving up. */
    private static final Duration AGENT_GRACE = Duration.ofSeconds(30);
    /** Credit is returned in steps of this size (or when the consumer has caught up). */
    private static final int CREDIT_STEP = 64 * 1024;

    private final SandboxConfig config;
    private final AgentChannel channel;
    private final Path logFile;
    private final Runnable destroyer;
    private final String workingDir;
    private final long capabilityMask;
    private final Files files = new Files();
    private volatile Integer mainExit;
    private volatile boolean mainStarted;
    private volatile int mainRequestId;
    private final Checkpointer checkpointer;

    /** Does the runsc part of a checkpoint (the runtime owns runsc and its state directory). */
    public interface Checkpointer {
        dev.agentbox.runtime.CheckpointInfo checkpoint(GvisorSandbox sandbox, Path imageDir, boolean leaveRunning) throws RuntimeFailure;
    }

    public GvisorSandbox(SandboxConfig config, AgentChannel channel, Path logFile, Runnable destroyer, Checkpointer checkpointer) {
        this.checkpointer = checkpointer;
        this.config = config;
        this.channel = channel;
        this.logFile = logFile;
        this.destroyer = destroyer;
        this.capabilityMask = Capabilities.mask(config.capabilities());
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
        return environment(config.uid(), config.env(), extra);
    }

    private List<String> environment(int uid, Map<String, String> base, Map<String, String> extra) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", DEFAULT_PATH);
        env.put("HOME", uid == 0 ? "/root" : "/home/sandbox");
        env.put("HOSTNAME", config.hostname() == null || config.hostname().isBlank() ? config.id() : config.hostname());
        env.put("LANG", "C.UTF-8");
        env.putAll(base);
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
        channel.onEvent(e -> {
            if (e.startsWith("snapshot")) listener.accept(e.substring(8).strip());
        });
    }

    /** Starts the pod's main process; the shim writes its output to {@link #logFile()}. */
    public void startMain() throws RuntimeFailure {
        if (config.command().isEmpty()) return;
        byte[] payload = new Wire.Out()
                .strs(config.command())
                .strs(environment(Map.of()))
                .str(workingDir)
                .u32(config.uid())
                .u32(config.gid())
                .u64(capabilityMask)
                .toBytes();
        mainStarted = true;
        try {
            mainRequestId = channel.send(Wire.T_MAIN, payload, mainHandler());
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + ": cannot start main process: " + e.getMessage(), e);
        }
    }

    /**
     * A re-attached or restored sandbox: its main process is request {@code id} of the channel it was
     * started on (0: none); the shim says whether it already ended.
     */
    public void adoptMain(int id, boolean exited, int status) {
        if (id == 0) return;
        mainStarted = true;
        mainRequestId = id;
        if (exited) mainExit = status;
        else channel.adopt(id, mainHandler());
    }

    /** The main process's output goes to the log through the shim; only its end comes here. */
    private AgentChannel.Handler mainHandler() {
        return new AgentChannel.Handler() {
            @Override
            public boolean onFrame(int type, byte[] p) {
                switch (type) {
                    case Wire.R_EXIT -> {
                        mainExit = new Wire.In(p).i32();
                        log.info("sandbox {}: main process exited with {}", id(), mainExit);
                        return true;
                    }
                    case Wire.R_FAIL -> {
                        mainExit = 127;
                        log.info("sandbox {}: main process could not start: {}", id(), failMessage(p));
                        return true;
                    }
                    default -> {
                        return false;
                    }
                }
            }

            @Override
            public void onClosed(String reason) {
                // the sandbox is gone; isAlive() says so
            }
        };
    }

    private static String failMessage(byte[] p) {
        Wire.In in = new Wire.In(p);
        in.u32();
        return in.str();
    }

    @Override
    public ExecResult exec(ExecRequest request) throws RuntimeFailure {
        return exec(request, null);
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) throws RuntimeFailure {
        String cwd = request.workingDir() == null || request.workingDir().isBlank() ? workingDir
                : request.workingDir().startsWith("/") ? request.workingDir() : workingDir + "/" + request.workingDir();
        return exec(request, listener, environment(request.env()), cwd, config.uid(), config.gid(), capabilityMask, "");
    }

    /**
     * Runs an init container to completion in its own root ({@link SandboxConfig.InitContainer#root()}), with its own
     * user, capabilities and environment; its output goes to {@code listener} only (nothing is kept).
     */
    public ExecResult runInit(SandboxConfig.InitContainer init, Duration timeout, long maxLogBytes, OutputListener listener) throws RuntimeFailure {
        String cwd = init.workingDir() == null || init.workingDir().isBlank() ? "/" : init.workingDir();
        ExecRequest request = new ExecRequest(init.command(), Map.of(), null, null, timeout, maxLogBytes);
        return exec(request, listener, environment(init.uid(), init.env(), Map.of()), cwd, init.uid(), init.gid(),
                Capabilities.mask(init.capabilities()), init.root());
    }

    private ExecResult exec(ExecRequest request, OutputListener listener, List<String> env, String cwd, int uid, int gid,
                            long caps, String root) throws RuntimeFailure {
        long timeoutMs = Math.max(1, Math.min(request.timeout().toMillis(), 0xffffffffL));
        Wire.Out w = new Wire.Out()
                .strs(request.argv())
                .strs(env)
                .str(cwd)
                .u32(uid)
                .u32(gid)
                .u64(caps)
                .u32(timeoutMs)
                .u8(request.stdin() == null ? 0 : 1)
                .bytes(request.stdin() == null ? new byte[0] : request.stdin());
        if (!root.isEmpty()) w.str(root); // optional field: agents before init containers never see it
        byte[] payload = w.toBytes();
        ExecCall call = new ExecCall();
        long start = System.nanoTime();
        int reqId;
        try {
            reqId = channel.send(Wire.T_EXEC, payload, call);
        } catch (IOException e) {
            throw gone(e);
        }
        boolean keep = root.isEmpty(); // an init container's output goes to its listener (a log file) only
        Capped out = new Capped(request.maxOutputBytes(), keep);
        Capped err = new Capped(request.maxOutputBytes(), keep);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs + AGENT_GRACE.toMillis());
        int owed = 0;
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                Object ev = left <= 0 ? null : call.events.poll(left, TimeUnit.NANOSECONDS);
                if (ev == null) {
                    kill(reqId);
                    throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + ": the agent did not report the end of " + request.argv().get(0) + " in time");
                }
                if (ev instanceof Chunk c) {
                    byte[] pass = (c.stdout ? out : err).add(c.bytes);
                    if (listener != null && pass != null) {
                        if (c.stdout) listener.onStdout(pass);
                        else listener.onStderr(pass);
                    }
                    owed += c.bytes.length;
                    // credit in steps: the window (256 KiB) is larger than a step, so the agent never waits on one
                    if (owed >= CREDIT_STEP) {
                        call.credited(owed);
                        channel.credit(reqId, owed);
                        owed = 0;
                    }
                    if (listener != null && call.events.isEmpty()) listener.flush();
                } else if (ev instanceof Exit x) {
                    return new ExecResult(x.code, out.bytes(), err.bytes(), out.truncated, err.truncated, x.timedOut,
                            Duration.ofNanos(System.nanoTime() - start), x.oomKilled);
                } else if (ev instanceof NotStarted f) {
                    throw f.toRuntimeFailure(request.argv().get(0), config.maxProcesses());
                } else if (ev instanceof Closed c) {
                    throw gone(new IOException(c.reason));
                }
            }
        } catch (InterruptedException e) {
            kill(reqId);
            Thread.currentThread().interrupt();
            throw new RuntimeFailure(Kind.FAILED, "exec interrupted", e);
        }
    }

    /** Cancels a request: the agent kills every process it started. */
    private void kill(int reqId) {
        try {
            channel.write(Wire.T_SIGNAL, 0, new Wire.Out().u32(reqId).u32(9).toBytes());
        } catch (IOException ignored) {
            // the sandbox is gone anyway
        }
    }

    private record Chunk(boolean stdout, byte[] bytes) {}

    private record Exit(int code, boolean timedOut, boolean oomKilled) {}

    private record Closed(String reason) {}

    /** The agent is alive but could not start the command (fork or pipe failed inside the sandbox). */
    private record NotStarted(long errno, String message) {
        private static final int EAGAIN = 11;

        RuntimeFailure toRuntimeFailure(String command, int maxProcesses) {
            String hint = errno == EAGAIN
                    ? "; the sandbox is at its process limit (" + (maxProcesses > 0 ? maxProcesses : "default") + " processes): stop background processes"
                      + " or delete the sandbox (raise the limit with the agentbox.dev/max-processes annotation)"
                    : "";
            return new RuntimeFailure(errno == EAGAIN ? Kind.LIMIT : kindOf(errno), "cannot start " + command + ": " + message + hint);
        }
    }

    private RuntimeFailure gone(Throwable cause) {
        return new RuntimeFailure(Kind.FAILED, "sandbox " + id() + " is not running (" + (cause == null ? channel.closedReason() : cause.getMessage()) + ")", cause);
    }

    /**
     * The frames of one command, queued for the thread that waits for it. The queue is bounded by the
     * window: more output than was granted is a protocol violation that breaks the channel.
     */
    private static final class ExecCall implements AgentChannel.Handler {
        final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        private long received;
        private volatile long credited;

        void credited(int bytes) {
            credited += bytes;
        }

        @Override
        public boolean onFrame(int type, byte[] p) {
            switch (type) {
                case Wire.R_OUT, Wire.R_ERR -> {
                    received += p.length;
                    if (received - credited > 2L * Wire.WINDOW) {
                        throw new AgentChannel.HandlerViolation("the agent sent " + (received - credited) + " bytes of output past its window of " + Wire.WINDOW);
                    }
                    events.add(new Chunk(type == Wire.R_OUT, p));
                    return false;
                }
                case Wire.R_EXIT -> {
                    Wire.In in = new Wire.In(p);
                    int code = in.i32();
                    in.u8();
                    boolean timedOut = in.u8() != 0;
                    boolean oom = in.hasMore() && in.u8() != 0;
                    events.add(new Exit(code, timedOut, oom));
                    return true;
                }
                case Wire.R_FAIL -> {
                    Wire.In in = new Wire.In(p);
                    long errno = in.u32();
                    events.add(new NotStarted(errno, in.str()));
                    return true;
                }
                default -> throw new AgentChannel.HandlerViolation("unexpected frame type " + type + " for a command");
            }
        }

        @Override
        public void onClosed(String reason) {
            events.add(new Closed(reason));
        }
    }

    /** Keeps at most {@code max} bytes, then the truncation marker once; the rest is dropped. */
    static final class Capped {
        final long max;
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        final boolean keep;
        long seen;
        boolean truncated;

        Capped(long max) {
            this(max, true);
        }

        /** @param keep false: only count and cut what listeners get, keep nothing */
        Capped(long max, boolean keep) {
            this.max = max;
            this.keep = keep;
        }

        /** Returns what a listener should get from this chunk (null: nothing). */
        byte[] add(byte[] chunk) {
            long room = max - seen;
            seen += chunk.length;
            if (truncated) return null;
            if (chunk.length <= room) {
                if (keep) buf.writeBytes(chunk);
                return chunk;
            }
            truncated = true;
            byte[] head = java.util.Arrays.copyOf(chunk, (int) Math.max(0, room));
            byte[] marker = ("\n[agentbox: output truncated at " + max + " bytes]\n").getBytes(StandardCharsets.UTF_8);
            if (keep) {
                buf.writeBytes(head);
                buf.writeBytes(marker);
            }
            byte[] pass = new byte[head.length + marker.length];
            System.arraycopy(head, 0, pass, 0, head.length);
            System.arraycopy(marker, 0, pass, head.length, marker.length);
            return pass;
        }

        byte[] bytes() {
            return buf.toByteArray();
        }
    }

    @Override
    public boolean isAlive() {
        return channel.isOpen();
    }

    @Override
    public String failure() {
        if (channel.isOpen()) return null;
        if (channel.broken() != null) return channel.broken();
        if (channel.runscExit() != null) return "the sandbox's processes exited (runsc exited with " + channel.runscExit() + ")";
        return channel.closedReason();
    }

    @Override
    public SandboxSocket connect(int port, Duration timeout) throws RuntimeFailure {
        return StreamConnection.open(channel, port, timeout, id());
    }

    @Override
    public void whenGone(Runnable action) {
        channel.closedFuture().thenRunAsync(action, r -> Thread.ofVirtual().start(r));
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
            // EPERM EACCES EEXIST ENOTDIR EISDIR EINVAL EFBIG EROFS ENAMETOOLONG ENOTEMPTY; ELOOP (a write to a path
            // whose last component is a symlink: the agent opens it O_NOFOLLOW) and ENXIO (a write to a FIFO nobody
            // reads: the agent opens it O_NONBLOCK) were 500s
            case 1, 6, 13, 17, 20, 21, 22, 27, 30, 36, 39, 40 -> Kind.INVALID;
            case 28 -> Kind.LIMIT; // ENOSPC: the sandbox's storage limit
            default -> Kind.FAILED;
        };
    }

    private byte[] fileCall(int type, byte[] payload, String what) throws RuntimeFailure {
        return fileCall(type, payload, what, 0);
    }

    /**
     * A file request. Its answer is one OK or FAIL, preceded (read, list) by DATA chunks, collected here up
     * to {@code maxData} bytes (more is a protocol violation).
     */
    private byte[] fileCall(int type, byte[] payload, String what, long maxData) throws RuntimeFailure {
        CompletableFuture<AgentChannel.Frame> done = new CompletableFuture<>();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        AgentChannel.Handler h = new AgentChannel.Handler() {
            @Override
            public boolean onFrame(int t, byte[] p) {
                if (t == Wire.R_DATA) {
                    if (data.size() + (long) p.length > maxData) {
                        throw new AgentChannel.HandlerViolation("the agent sent more than the " + maxData + " bytes asked for by " + what);
                    }
                    data.writeBytes(p);
                    return false;
                }
                done.complete(new AgentChannel.Frame(t, p));
                return true;
            }

            @Override
            public void onClosed(String reason) {
                done.completeExceptionally(new IOException("sandbox agent gone: " + reason));
            }
        };
        try {
            channel.send(type, payload, h);
        } catch (IOException e) {
            throw gone(e);
        }
        AgentChannel.Frame f = await(done, Duration.ofMinutes(2), what);
        if (f.type() == Wire.R_FAIL) {
            Wire.In in = new Wire.In(f.payload());
            long errno = in.u32();
            throw new RuntimeFailure(kindOf(errno), in.str());
        }
        if (f.type() != Wire.R_OK) throw new RuntimeFailure(Kind.FAILED, "sandbox " + id() + ": unexpected answer " + f.type() + " to " + what);
        return maxData > 0 ? data.toByteArray() : f.payload();
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
            long max = maxBytes <= 0 ? DEFAULT_READ_LIMIT : maxBytes;
            return fileCall(Wire.T_READ, new Wire.Out().str(p).u64(max).toBytes(), "read " + p, max);
        }

        @Override
        public List<FileEntry> list(String path) throws RuntimeFailure {
            String p = PathRules.resolve(path, workingDir);
            byte[] chunks = fileCall(Wire.T_LIST, new Wire.Out().str(p).toBytes(), "list " + p, 256L << 20);
            Wire.In in = new Wire.In(chunks);
            List<FileEntry> out = new ArrayList<>();
            while (in.hasMore()) {
                long n = in.u32();
                for (long i = 0; i < n; i++) out.add(entry(in, p));
            }
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
