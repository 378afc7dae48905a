package dev.agentbox.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import dev.agentbox.runtime.internal.AgentChannel;
import dev.agentbox.runtime.internal.Bundle;
import dev.agentbox.runtime.internal.GvisorSandbox;
import dev.agentbox.runtime.internal.LocalImageStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SandboxRuntime} on gVisor. Each sandbox is one foreground {@code runsc run} whose
 * container process is the static init agent {@code agentbox-init}; exec and files travel
 * over that process's stdin/stdout (see runtime/DESIGN.md).
 *
 * <p>Layout of the base directory: {@code runsc/} (runsc --root), {@code bundles/<id>/}
 * (config.json, runsc.log), {@code logs/<id>.log} (the main process's output),
 * {@code agent/init} (the agent binary, the only file of the directory mounted at /.agentbox),
 * {@code images/}. Thread-safe.
 */
public final class GvisorRuntime implements SandboxRuntime {
    private static final Logger log = LoggerFactory.getLogger(GvisorRuntime.class);
    private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RUNSC_TIMEOUT = Duration.ofSeconds(30);

    private final Path base;
    private final Path root;
    private final Path bundles;
    private final Path logs;
    private final Path agentDir;
    private final String runsc;
    private final LocalImageStore images;
    private final Map<String, GvisorSandbox> sandboxes = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> idLocks = new ConcurrentHashMap<>();
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private volatile boolean closed;

    /** A runtime whose state (runsc root, bundles, images, logs) lives under {@code baseDir}; uses runsc from PATH. */
    public GvisorRuntime(Path baseDir) {
        this(baseDir, "runsc");
    }

    public GvisorRuntime(Path baseDir, String runscBinary) {
        this.base = baseDir.toAbsolutePath().normalize();
        this.root = base.resolve("runsc");
        this.bundles = base.resolve("bundles");
        this.logs = base.resolve("logs");
        this.agentDir = base.resolve("agent");
        this.runsc = runscBinary;
        try {
            for (Path p : List.of(base, root, bundles, logs, agentDir)) Files.createDirectories(p);
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
            installAgent();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare runtime directory " + base, e);
        }
        this.images = new LocalImageStore(base.resolve("images"));
    }

    private void installAgent() throws IOException {
        byte[] bin;
        try (InputStream in = GvisorRuntime.class.getResourceAsStream("agentbox-init")) {
            if (in == null) throw new IOException("agentbox-init is missing from the classpath (built by the runtime module's Maven build)");
            bin = in.readAllBytes();
        }
        Path target = agentDir.resolve("init");
        if (Files.exists(target) && Arrays.equals(Files.readAllBytes(target), bin)) return;
        Path tmp = agentDir.resolve(".agentbox-init.tmp-" + ProcessHandle.current().pid());
        Files.write(tmp, bin);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The directory under which this runtime keeps its state. */
    public Path baseDir() {
        return base;
    }

    @Override
    public ImageStore images() {
        return images;
    }

    private ReentrantLock lockFor(String id) {
        return idLocks.computeIfAbsent(id, k -> new ReentrantLock());
    }

    @Override
    public RunningSandbox start(SandboxConfig config) throws RuntimeFailure {
        return launch(config, null);
    }

    @Override
    public RunningSandbox restore(SandboxConfig config, Path imageDir) throws RuntimeFailure {
        if (imageDir == null || !Files.isRegularFile(imageDir.resolve(CHECKPOINT_META))) {
            throw new RuntimeFailure(Kind.NOT_FOUND, "no complete checkpoint image at " + imageDir);
        }
        return launch(config, imageDir.toAbsolutePath());
    }

    /** Name of the file, next to runsc's checkpoint.img, with what the host needs to re-attach (JSON). */
    public static final String CHECKPOINT_META = "agentbox-checkpoint.json";

    private RunningSandbox launch(SandboxConfig config, Path imageDir) throws RuntimeFailure {
        if (closed) throw new RuntimeFailure(Kind.FAILED, "runtime is closed");
        String id = config.id();
        Path rootfs = images.rootfs(config.image());
        for (SandboxConfig.EmptyDir e : config.emptyDirs()) {
            if (e.mountPath() == null || !e.mountPath().startsWith("/") || e.mountPath().contains("..")) {
                throw new RuntimeFailure(Kind.INVALID, "emptyDir " + e.name() + ": mountPath must be an absolute path without '..'");
            }
        }
        Map<?, ?> meta = Map.of();
        if (imageDir != null) {
            try {
                meta = json.readValue(imageDir.resolve(CHECKPOINT_META).toFile(), Map.class);
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "cannot read checkpoint metadata in " + imageDir + ": " + e.getMessage(), e);
            }
        }
        ReentrantLock lock = lockFor(id);
        lock.lock();
        try {
            if (sandboxes.containsKey(id) || listContainers().contains(id)) {
                throw new RuntimeFailure(Kind.INVALID, "sandbox " + id + " already exists; destroy it first");
            }
            long t0 = System.nanoTime();
            Path bundle = bundles.resolve(id);
            Path logFile = logs.resolve(id + ".log");
            Process process;
            try {
                LocalImageStore.deleteTree(bundle);
                Files.createDirectories(bundle);
                json.writeValue(bundle.resolve("config.json").toFile(),
                        Bundle.spec(config, rootfs, LocalImageStore.isBuiltin(config.image()), agentDir));
                Files.deleteIfExists(logFile);
                Files.createFile(logFile);
                List<String> cmd = new ArrayList<>(List.of(runsc, "--root", root.toString(), "--network=none", "--overlay2=root:memory"));
                if (imageDir == null) cmd.addAll(List.of("run", "--bundle", bundle.toString(), id));
                else cmd.addAll(List.of("restore", "--image-path", imageDir.toString(), "--bundle", bundle.toString(), id));
                ProcessBuilder pb = new ProcessBuilder(cmd);
                pb.redirectError(ProcessBuilder.Redirect.appendTo(bundle.resolve("runsc.log").toFile()));
                process = pb.start();
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "cannot start sandbox " + id + ": " + e.getMessage(), e);
            }
            int firstId = meta.get("nextRequestId") instanceof Number n ? n.intValue() : 0;
            AgentChannel channel = new AgentChannel(id, process.getInputStream(), process.getOutputStream(), firstId);
            GvisorSandbox sb = new GvisorSandbox(config, process, channel, logFile, () -> destroy(id), this::checkpoint);
            sandboxes.put(id, sb);
            try {
                if (imageDir != null) {
                    try {
                        channel.resume(HELLO_TIMEOUT.toMillis());
                    } catch (IOException e) {
                        throw new RuntimeFailure(Kind.FAILED, e.getMessage(), e);
                    }
                    sb.hello(HELLO_TIMEOUT);
                    sb.adoptMain(meta.get("mainRequestId") instanceof Number n ? n.intValue() : 0);
                    log.info("sandbox {} restored from {} in {} ms", id, imageDir, (System.nanoTime() - t0) / 1_000_000);
                } else {
                    sb.hello(HELLO_TIMEOUT);
                    log.info("sandbox {} started in {} ms (image {})", id, (System.nanoTime() - t0) / 1_000_000, config.image());
                    sb.startMain();
                }
            } catch (RuntimeFailure e) {
                String detail = tail(bundle.resolve("runsc.log"));
                destroyLocked(id);
                throw new RuntimeFailure(Kind.FAILED, "sandbox " + id + " did not " + (imageDir == null ? "start" : "restore") + ": " + e.getMessage()
                        + (detail.isBlank() ? "" : "; runsc said: " + detail), e);
            }
            process.onExit().thenRun(() -> {
                channel.close("runsc exited with " + process.exitValue());
                log.info("sandbox {}: runsc exited with {}", id, process.exitValue());
            });
            return sb;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Quiesces the agent (frame boundary on both pipes), runs {@code runsc checkpoint} into a temporary
     * directory next to {@code imageDir}, writes the re-attach metadata, fsyncs and renames it into place.
     */
    private CheckpointInfo checkpoint(GvisorSandbox sb, Path imageDir, boolean leaveRunning) throws RuntimeFailure {
        String id = sb.id();
        Path target = imageDir.toAbsolutePath().normalize();
        if (Files.exists(target)) throw new RuntimeFailure(Kind.INVALID, "checkpoint target " + target + " already exists");
        Path tmp = target.resolveSibling(".partial-" + target.getFileName() + "-" + System.nanoTime());
        ReentrantLock lock = lockFor(id);
        lock.lock();
        long t0 = System.nanoTime();
        boolean quiesced = false;
        boolean stopped = false;
        try {
            if (sandboxes.get(id) != sb || !sb.isAlive()) throw new RuntimeFailure(Kind.FAILED, "sandbox " + id + " is not running");
            Files.createDirectories(tmp);
            AgentChannel channel = sb.channel();
            try {
                channel.quiesce(HELLO_TIMEOUT.toMillis());
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "sandbox " + id + ": " + e.getMessage(), e);
            }
            quiesced = true;
            // uncompressed by default: runsc's flate compression made a 300 MB heap's restore take ~3 s here
            List<String> cmd = new ArrayList<>(List.of(runsc, "--root", root.toString(), "checkpoint", "--image-path", tmp.toString(),
                    "--compression=" + System.getProperty("agentbox.checkpoint.compression", "none")));
            if (leaveRunning) cmd.add("--leave-running");
            cmd.add(id);
            Result r = run(cmd);
            if (r.code != 0) throw new RuntimeFailure(Kind.FAILED, "runsc checkpoint of " + id + " failed: " + r.err.strip());
            if (!leaveRunning) stopped = true;
            Map<String, Object> meta = new java.util.LinkedHashMap<>();
            meta.put("sourceId", id);
            meta.put("image", sb.config().image());
            meta.put("mainRequestId", sb.mainRequestId());
            meta.put("nextRequestId", channel.lastId() + 1_000_000);
            meta.put("createdAt", java.time.Instant.now().toString());
            json.writeValue(tmp.resolve(CHECKPOINT_META).toFile(), meta);
            long size = 0;
            try (var files = Files.list(tmp)) {
                for (Path f : files.toList()) {
                    size += Files.size(f);
                    try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.READ)) {
                        ch.force(true);
                    }
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            try (var ch = java.nio.channels.FileChannel.open(target.getParent(), java.nio.file.StandardOpenOption.READ)) {
                ch.force(true);
            } catch (IOException ignored) {
                // fsync of a directory is best effort
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            log.info("sandbox {} checkpointed to {} in {} ms ({} bytes{})", id, target, took.toMillis(), size, leaveRunning ? ", left running" : ", stopped");
            return new CheckpointInfo(target, size, took);
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "checkpoint of " + id + " failed: " + e.getMessage(), e);
        } finally {
            try {
                LocalImageStore.deleteTree(tmp);
            } catch (IOException e) {
                log.warn("cannot delete partial checkpoint {}", tmp, e);
            }
            if (quiesced) {
                if (stopped || !sb.process().isAlive()) {
                    sb.channel().releaseQuiesce();
                } else {
                    try {
                        sb.channel().resume(HELLO_TIMEOUT.toMillis());
                    } catch (IOException e) {
                        log.warn("sandbox {}: agent did not resume after checkpoint: {}", id, e.getMessage());
                    }
                }
            }
            if (stopped) destroyLocked(id);
            lock.unlock();
        }
    }

    private static String tail(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public Optional<RunningSandbox> get(String id) {
        GvisorSandbox sb = sandboxes.get(id);
        return sb != null && sb.isAlive() ? Optional.of(sb) : Optional.empty();
    }

    @Override
    public List<String> listContainers() {
        try {
            Result r = run(List.of(runsc, "--root", root.toString(), "list", "-quiet"));
            if (r.code != 0) {
                log.warn("runsc list failed: {}", r.err);
                return List.of();
            }
            List<String> ids = new ArrayList<>();
            for (String line : r.out.split("\n")) if (!line.isBlank()) ids.add(line.strip());
            return ids;
        } catch (IOException e) {
            log.warn("runsc list failed", e);
            return List.of();
        }
    }

    @Override
    public void destroy(String id) {
        ReentrantLock lock = lockFor(id);
        lock.lock();
        try {
            destroyLocked(id);
        } finally {
            lock.unlock();
        }
    }

    private void destroyLocked(String id) {
        GvisorSandbox sb = sandboxes.remove(id);
        if (sb != null) {
            // Kill the sandbox's init first and let our foreground `runsc run` exit and clean up; a
            // `delete --force` racing with it times out ("context deadline exceeded").
            try {
                run(List.of(runsc, "--root", root.toString(), "kill", id, "KILL"));
                sb.process().waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                log.debug("sandbox {}: runsc kill failed", id, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Result r = run(List.of(runsc, "--root", root.toString(), "delete", "--force", id));
            if (r.code != 0 && !r.err.contains("does not exist") && !r.err.contains("not found")) {
                log.warn("sandbox {}: runsc delete failed: {}", id, r.err.strip());
            }
        } catch (IOException e) {
            log.warn("sandbox {}: runsc delete failed", id, e);
        }
        if (sb != null) {
            sb.channel().close("sandbox destroyed");
            Process p = sb.process();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            log.info("sandbox {} destroyed", id);
        }
        try {
            LocalImageStore.deleteTree(bundles.resolve(id));
        } catch (IOException e) {
            log.warn("sandbox {}: cannot delete bundle", id, e);
        }
    }

    /**
     * BASELINE ONLY, for the benchmark: runs one command through a separate {@code runsc exec}
     * process, the way a naive runtime would. Slow (~35 ms) and known to lose output; the real
     * data plane is {@link RunningSandbox#exec(ExecRequest)}.
     */
    public ExecResult execViaRunscExec(String id, List<String> argv) throws RuntimeFailure {
        GvisorSandbox sb = sandboxes.get(id);
        if (sb == null) throw new RuntimeFailure(Kind.NOT_FOUND, "sandbox " + id + " not found");
        List<String> cmd = new ArrayList<>(List.of(runsc, "--root", root.toString(), "exec",
                "--user", sb.config().uid() + ":" + sb.config().gid(), id));
        cmd.addAll(argv);
        long t0 = System.nanoTime();
        try {
            Result r = run(cmd);
            return new ExecResult(r.code, r.out.getBytes(StandardCharsets.UTF_8), r.err.getBytes(StandardCharsets.UTF_8),
                    false, false, false, Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "runsc exec failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closed = true;
        List<Thread> threads = new ArrayList<>();
        for (String id : List.copyOf(sandboxes.keySet())) threads.add(Thread.ofVirtual().start(() -> destroy(id)));
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private record Result(int code, String out, String err) {}

    private Result run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        byte[][] errBytes = new byte[1][];
        Thread err = Thread.ofVirtual().start(() -> {
            try {
                errBytes[0] = p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                errBytes[0] = new byte[0];
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(RUNSC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
            err.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(errBytes[0] == null ? new byte[0] : errBytes[0], StandardCharsets.UTF_8));
    }
}
