package dev.agentbox.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import dev.agentbox.runtime.internal.AgentChannel;
import dev.agentbox.runtime.internal.Bundle;
import dev.agentbox.runtime.internal.BuiltinImage;
import dev.agentbox.runtime.internal.GvisorSandbox;
import dev.agentbox.runtime.internal.HostVolumes;
import dev.agentbox.runtime.internal.InitLog;
import dev.agentbox.runtime.internal.LocalImageStore;
import dev.agentbox.runtime.internal.Runsc;
import dev.agentbox.runtime.internal.SandboxNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SandboxRuntime} on gVisor. Each sandbox is one {@code runsc run} (or {@code restore}) owned by a
 * small per-sandbox shim process ({@code agentbox-shim}) that outlives this JVM; the sandbox's init
 * process is the static agent {@code agentbox-init}, whose channel the shim relays to a unix socket that
 * this runtime connects to. Exec and files travel over that channel (see runtime/DESIGN.md).
 *
 * <p>Layout of the base directory (0700): {@code runsc/} (runsc --root), {@code bundles/<id>/} (config.json,
 * runsc.log, shim.log), {@code s/<id>} (the shim's socket) and {@code s/<id>.pid}, {@code storage/<id>/}
 * (mount point of the sandbox's overlay tmpfs, mounted in the shim's own mount namespace),
 * {@code logs/<id>.log} (the main process's output, written and rotated by the shim), {@code agent/init}
 * (the only file of the directory mounted at /.agentbox), {@code bin/agentbox-shim}, {@code images/}.
 * Thread-safe.
 */
public final class GvisorRuntime implements SandboxRuntime {
    private static final Logger log = LoggerFactory.getLogger(GvisorRuntime.class);
    private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SHIM_START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration RUNSC_TIMEOUT = Duration.ofSeconds(30);
    /** How long one init container may run (Kubernetes has no such limit; a pod's activeDeadlineSeconds would be it). */
    private static final Duration INIT_TIMEOUT = Duration.ofMinutes(30);
    /** sun_path holds 108 bytes; longer socket paths go through a short link under /run/agentbox. */
    private static final int MAX_SOCKET_PATH = 100;

    /**
     * @param runsc the runsc binary (PATH is searched)
     * @param logMaxBytes size of a main process log file before the shim rotates it (one old file is kept)
     * @param platform gVisor's platform, {@code ptrace} or {@code systrap} (see {@link #DEFAULT_PLATFORM})
     * @param networkPool the IPv4 block from which sandboxes with an egress policy get a /30 each (null: 10.240.0.0/16)
     * @param nameservers the resolv.conf of a sandbox whose {@link Egress} names none (null: this host's non-loopback nameservers)
     * @param proxyHosts  names the egress proxy resolves from this table instead of DNS (name to IPv4 address): a test seam
     *                    (tests point names at their test hosts), and a way to pin a name's address
     * @param builtinPackages Debian packages the built-in image has besides its defaults (see docs/images.md)
     */
    public record Options(String runsc, long logMaxBytes, String platform, String networkPool, List<String> nameservers,
                          Map<String, String> proxyHosts, List<String> builtinPackages) {
        public static final long DEFAULT_LOG_MAX_BYTES = 10L << 20;
        /**
         * ptrace, not runsc's default systrap. Measured on this 2-core VM (runtime/DESIGN.md, "Platform"): an idle
         * systrap sandbox burns ~3 % of a core in the Sentry's threads, an idle ptrace one 0 (what caps density near 50
         * sandboxes), and ptrace was not slower for exec and syscalls here. kvm is not offered: it needs /dev/kvm and
         * hangs on machines like this one.
         */
        public static final String DEFAULT_PLATFORM = "ptrace";
        public static final java.util.Set<String> PLATFORMS = java.util.Set.of("ptrace", "systrap");

        public Options {
            if (runsc == null || runsc.isBlank()) runsc = "runsc";
            if (logMaxBytes <= 0) logMaxBytes = DEFAULT_LOG_MAX_BYTES;
            if (platform == null || platform.isBlank()) platform = DEFAULT_PLATFORM;
            if (!PLATFORMS.contains(platform)) {
                throw new IllegalArgumentException("runtime.platform must be ptrace or systrap, got '" + platform + "'");
            }
            if (networkPool == null || networkPool.isBlank()) networkPool = SandboxNetwork.DEFAULT_POOL;
            nameservers = nameservers == null ? SandboxNetwork.hostNameservers() : List.copyOf(nameservers);
            proxyHosts = Map.copyOf(proxyHosts == null ? Map.of() : proxyHosts);
            builtinPackages = BuiltinImage.Spec.checkNames(builtinPackages, "runtime.builtinPackages");
        }

        public Options(String runsc, long logMaxBytes, String platform) {
            this(runsc, logMaxBytes, platform, null, null, null, List.of());
        }

        public Options(String runsc, long logMaxBytes) {
            this(runsc, logMaxBytes, null);
        }

        public static Options defaults() {
            return new Options("runsc", DEFAULT_LOG_MAX_BYTES, null, null, null, null, List.of());
        }
    }

    private final Path base;
    private final Path root;
    private final Path bundles;
    private final Path logs;
    private final Path agentDir;
    private final Path shimBinary;
    private final Path shimDir;
    private final Path socketDir;
    private final Path storage;
    private final Options options;
    private final LocalImageStore images;
    private final SandboxNetwork network;
    private final Map<String, dev.agentbox.runtime.internal.EgressProxy> proxies = new ConcurrentHashMap<>();
    private final Map<String, GvisorSandbox> sandboxes = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> idLocks = new ConcurrentHashMap<>();
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private volatile boolean closed;

    /** A runtime whose state (runsc root, bundles, images, logs) lives under {@code baseDir}; uses runsc from PATH. */
    public GvisorRuntime(Path baseDir) {
        this(baseDir, Options.defaults());
    }

    public GvisorRuntime(Path baseDir, String runscBinary) {
        this(baseDir, new Options(runscBinary, 0));
    }

    public GvisorRuntime(Path baseDir, Options options) {
        this.base = baseDir.toAbsolutePath().normalize();
        this.options = options;
        this.root = base.resolve("runsc");
        this.bundles = base.resolve("bundles");
        this.logs = base.resolve("logs");
        this.agentDir = base.resolve("agent");
        this.shimBinary = base.resolve("bin").resolve("agentbox-shim");
        this.shimDir = base.resolve("s");
        this.storage = base.resolve("storage");
        try {
            for (Path p : List.of(base, root, bundles, logs, agentDir, shimBinary.getParent(), shimDir, storage)) Files.createDirectories(p);
            for (Path p : List.of(base, shimDir, storage, logs)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            install("agentbox-init", agentDir.resolve("init"));
            install("agentbox-shim", shimBinary);
            this.socketDir = shortSocketDir();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare runtime directory " + base, e);
        }
        this.images = new LocalImageStore(base.resolve("images"), BuiltinImage.Spec.withExtra(options.builtinPackages()), this::rootfsInUse);
        this.network = new SandboxNetwork(base.resolve("net"), options.networkPool());
        // networks of sandboxes that went while no agentboxd was there (it was killed, say); live ones keep theirs
        network.sweep(this::gone);
    }

    /**
     * Whether runsc says container {@code id} is gone (unknown, or stopped). An answer it cannot give (a timeout) counts as
     * not gone: a live sandbox's network is never removed on a guess.
     */
    private boolean gone(String id) {
        try {
            Runsc.Result r = Runsc.run(Runsc.cmd(options.runsc(), root.toString(), "state", id), RUNSC_TIMEOUT);
            if (r.code() != 0) return r.err().contains("does not exist") || r.err().contains("not found") || r.err().contains("no such");
            return r.out().contains("\"status\": \"stopped\"") || r.out().contains("\"status\":\"stopped\"");
        } catch (IOException e) {
            log.warn("sandbox {}: runsc state: {}", id, e.getMessage());
            return false;
        }
    }

    /**
     * Starts sandbox {@code config}'s egress proxy if it has a domain allow-list, and returns the config with the proxy's
     * environment (HTTPS_PROXY, ...) for every process of the sandbox.
     */
    private SandboxConfig withProxy(SandboxConfig config, SandboxNetwork.Handle handle) throws IOException {
        if (config.egress() == null || config.egress().domains().isEmpty()) return config;
        stopProxy(config.id());
        proxies.put(config.id(), new dev.agentbox.runtime.internal.EgressProxy(config.id(), handle.gateway(), config.egress(), this::resolve));
        return config.withEnv(dev.agentbox.runtime.internal.EgressProxy.environment(handle.gateway()));
    }

    private List<java.net.InetAddress> resolve(String host) {
        try {
            String pinned = options.proxyHosts().get(host.toLowerCase(java.util.Locale.ROOT));
            return pinned != null ? List.of(java.net.InetAddress.getByName(pinned)) : List.of(java.net.InetAddress.getAllByName(host));
        } catch (java.net.UnknownHostException e) {
            return List.of();
        }
    }

    private void stopProxy(String id) {
        var p = proxies.remove(id);
        if (p != null) p.close();
    }

    /** The network of sandbox {@code id}: its namespace, veth and addresses, if it has an egress policy. */
    public Optional<SandboxNetwork.Handle> network(String id) {
        return network.get(id);
    }

    /** Installs a binary from the classpath by atomic rename (running shims keep their old file). */
    private static void install(String resource, Path target) throws IOException {
        byte[] bin;
        try (InputStream in = GvisorRuntime.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException(resource + " is missing from the classpath (built by the runtime module's Maven build)");
            bin = in.readAllBytes();
        }
        if (Files.exists(target) && Arrays.equals(Files.readAllBytes(target), bin)) return;
        Path tmp = target.resolveSibling("." + resource + ".tmp-" + ProcessHandle.current().pid());
        Files.write(tmp, bin);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The directory through which sockets are reached: {@code s/}, or a short link to it when its path is long. */
    private Path shortSocketDir() throws IOException {
        if (shimDir.toString().length() + 1 + 64 <= MAX_SOCKET_PATH) return shimDir;
        Path run = Path.of("/run/agentbox");
        Files.createDirectories(run);
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
        Path link = run.resolve(sha256(shimDir.toString()).substring(0, 16));
        if (Files.isSymbolicLink(link)) {
            if (Files.readSymbolicLink(link).equals(shimDir)) return link;
            Files.delete(link);
        } else if (Files.exists(link)) {
            throw new IOException(link + " exists and is not agentboxd's link to " + shimDir + "; remove it");
        }
        Files.createSymbolicLink(link, shimDir);
        return link;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

    private Path socket(String id) {
        return socketDir.resolve(id);
    }

    private Path pidFile(String id) {
        return shimDir.resolve(id + ".pid");
    }

    /** The main process's log of a sandbox (the shim rotates it to {@code <id>.log.1}). */
    public Path logFile(String id) {
        return logs.resolve(id + ".log");
    }

    @Override
    public List<String> listLogs() {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        try (var files = Files.list(logs)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                int i = n.indexOf(".log");
                if (i > 0) ids.add(n.substring(0, i));
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", logs, e.toString());
        }
        return List.copyOf(ids);
    }

    @Override
    public void deleteLogs(String id) {
        try {
            Files.deleteIfExists(logFile(id));
            Files.deleteIfExists(Path.of(logFile(id) + ".1"));
            LocalImageStore.deleteTree(logs.resolve("init").resolve(id));
        } catch (IOException e) {
            log.warn("sandbox {}: cannot delete its log: {}", id, e.toString());
        }
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
        Map<String, Path> initRootfs = new LinkedHashMap<>();
        for (SandboxConfig.InitContainer init : config.initContainers()) initRootfs.put(init.name(), images.rootfs(init.image()));
        Map<SandboxConfig.Mount, Path> hostSources = HostVolumes.sources(config);
        Map<?, ?> meta = Map.of();
        if (imageDir != null) {
            try {
                meta = json.readValue(imageDir.resolve(CHECKPOINT_META).toFile(), Map.class);
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "cannot read checkpoint metadata in " + imageDir + ": " + e.getMessage(), e);
            }
        }
        int mainId = meta.get("mainRequestId") instanceof Number n ? n.intValue() : 0;
        // requests of the new channel must not reuse ids of requests that were in flight in the image
        int firstId = meta.get("nextRequestId") instanceof Number n ? n.intValue() : 0;
        ReentrantLock lock = lockFor(id);
        lock.lock();
        try {
            if (sandboxes.containsKey(id) || Files.exists(socket(id)) || listContainers().contains(id)) {
                throw new RuntimeFailure(Kind.INVALID, "sandbox " + id + " already exists; destroy it first");
            }
            long t0 = System.nanoTime();
            Path bundle = bundles.resolve(id);
            Path logFile = logFile(id);
            try {
                LocalImageStore.deleteTree(bundle);
                Files.createDirectories(bundle);
                Path volumesDir = bundle.resolve("volumes");
                for (SandboxConfig.Volume v : config.volumes()) if (v.scratch()) Files.createDirectories(volumesDir.resolve(v.name()));
                Map<String, Object> spec = Bundle.spec(config, rootfs, agentDir, volumesDir, initRootfs, hostSources::get);
                if (config.egress() != null) {
                    Path resolv = bundle.resolve("resolv.conf");
                    Egress egress = config.egress().nameservers().isEmpty()
                            ? new Egress(config.egress().rules(), options.nameservers()) : config.egress();
                    Files.writeString(resolv, dev.agentbox.runtime.internal.EgressRules.resolvConf(egress));
                    network.destroy(id); // a stale record of an earlier run under this id
                    SandboxNetwork.Handle handle = network.create(id, config.egress());
                    Bundle.addNetwork(spec, handle.netnsPath(), resolv);
                    config = withProxy(config, handle);
                }
                HostVolumes.createMountPoints(spec, rootfs, readOnlySources(config, rootfs, initRootfs));
                json.writeValue(bundle.resolve("config.json").toFile(), spec);
                if (imageDir == null && Files.exists(logFile)) {
                    // started again under the same id (restartPolicy): the last run's output becomes the previous file
                    Files.move(logFile, Path.of(logFile + ".1"), StandardCopyOption.REPLACE_EXISTING);
                }
                Runsc.Result r = Runsc.run(shimCommand(config, bundle, logFile, imageDir, mainId, firstId, rootfs, initRootfs), SHIM_START_TIMEOUT);
                if (r.code() != 0) {
                    throw new RuntimeFailure(Kind.FAILED, "the shim of sandbox " + id + " did not start (exit " + r.code() + "): " + r.err().strip());
                }
            } catch (IOException e) {
                cleanup(id);
                throw new RuntimeFailure(Kind.FAILED, "cannot start sandbox " + id + ": " + e.getMessage(), e);
            } catch (RuntimeFailure e) {
                cleanup(id);
                throw e;
            }
            try {
                AgentChannel channel;
                try {
                    channel = AgentChannel.connect(id, socket(id), SHIM_START_TIMEOUT);
                } catch (IOException e) {
                    throw new RuntimeFailure(Kind.FAILED, e.getMessage(), e);
                }
                GvisorSandbox sb = new GvisorSandbox(config, channel, logFile, () -> destroy(id), this::checkpoint);
                sandboxes.put(id, sb);
                if (imageDir != null) {
                    try {
                        channel.resume(HELLO_TIMEOUT.toMillis(), true);
                    } catch (IOException e) {
                        throw new RuntimeFailure(Kind.FAILED, e.getMessage(), e);
                    }
                    sb.hello(HELLO_TIMEOUT);
                    sb.adoptMain(mainId, false, 0);
                    markInitialized(bundle); // a checkpoint is taken of a running sandbox: its init containers had run
                    log.info("sandbox {} restored from {} in {} ms", id, imageDir, (System.nanoTime() - t0) / 1_000_000);
                } else {
                    sb.hello(HELLO_TIMEOUT);
                    log.info("sandbox {} started in {} ms (image {})", id, (System.nanoTime() - t0) / 1_000_000, config.image());
                    runInitContainers(sb);
                    markInitialized(bundle);
                    sb.startMain();
                }
                return sb;
            } catch (InitContainerFailure e) {
                destroyLocked(id); // the sandbox ran; its init container said no
                throw e;
            } catch (RuntimeFailure e) {
                String detail = tail(bundle.resolve("runsc.log"));
                destroyLocked(id);
                throw new RuntimeFailure(Kind.FAILED, "sandbox " + id + " did not " + (imageDir == null ? "start" : "restore") + ": " + e.getMessage()
                        + (detail.isBlank() ? "" : "; runsc said: " + detail), e);
            }
        } finally {
            lock.unlock();
        }
    }

    private List<String> shimCommand(SandboxConfig config, Path bundle, Path logFile, Path imageDir, int mainId, int firstId,
                                     Path rootfs, Map<String, Path> initRootfs) throws IOException {
        String id = config.id();
        List<String> cmd = new ArrayList<>(List.of(shimBinary.toString(), "--id", id, "--socket", shimDir.resolve(id).toString(),
                "--pid-file", pidFile(id).toString(), "--log", logFile.toString(), "--log-max-bytes", Long.toString(options.logMaxBytes()),
                "--runsc-log", bundle.resolve("runsc.log").toString(), "--shim-log", bundle.resolve("shim.log").toString()));
        // read-only for the host kernel too, in the shim's mount namespace: the sandbox's read-only binds
        // (a root process inside could otherwise truncate their host files, see agentbox-shim.c)
        for (Path ro : readOnlySources(config, rootfs, initRootfs)) cmd.addAll(List.of("--ro", ro.toString()));
        String overlay = "--overlay2=root:memory";
        if (config.ephemeralStorageBytes() > 0) {
            Path dir = storage.resolve(id);
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            cmd.addAll(List.of("--storage-dir", dir.toString(), "--storage-bytes", Long.toString(config.ephemeralStorageBytes())));
            // root only: volumes are tmpfs (scratch, see Bundle) or host directories whose writes must reach the host
            overlay = "--overlay2=root:dir=" + dir;
        }
        if (config.memoryLimitBytes() > 0) {
            cmd.addAll(List.of("--memcg", "agentbox/" + id, "--memory-limit", Long.toString(config.memoryLimitBytes())));
        }
        if (imageDir != null) cmd.addAll(List.of("--restored", "--main-id", Integer.toString(mainId), "--first-id", Integer.toString(firstId)));
        // With an egress policy the sandbox runs in its own network namespace (Bundle.addNetwork) with gVisor's own network
        // stack on its veth (--network=sandbox): the host kernel sees only Ethernet frames from it, on a veth whose other
        // end is filtered (SandboxNetwork, EgressRules). The shim hides /proc/sys/net from runsc, whose root-namespace
        // check is fooled by recent kernels (see agentbox-shim.c).
        if (config.egress() != null) cmd.add("--hide-proc-sys-net");
        cmd.add("--");
        String net = config.egress() == null ? "--network=none" : "--network=sandbox";
        cmd.addAll(List.of(options.runsc(), "--root", root.toString(), "--platform=" + options.platform(), net, overlay));
        if (imageDir == null) cmd.addAll(List.of("run", "--bundle", bundle.toString(), id));
        else cmd.addAll(List.of("restore", "--image-path", imageDir.toString(), "--bundle", bundle.toString(), id));
        return cmd;
    }

    /**
     * Builds the built-in image now, if it is not built yet (its first sandbox would otherwise wait for it), on a thread
     * of its own; a failure is logged here and reported again, with what to do, by the start that needs the image.
     */
    public void prepareBuiltinImage() {
        Thread.ofPlatform().daemon().name("agentbox-builtin-image").start(() -> {
            try {
                images.rootfs(ImageStore.BUILTIN);
            } catch (RuntimeFailure e) {
                log.warn("the built-in image {} is not available: {}", ImageStore.BUILTIN, e.getMessage());
            }
        });
    }

    /** Whether a sandbox of this runtime (a bundle, even of a sandbox an earlier agentboxd started) names this rootfs. */
    private boolean rootfsInUse(Path rootfs) {
        String quoted = "\"" + rootfs + "\"";
        try (java.util.stream.Stream<Path> s = Files.list(bundles)) {
            return s.anyMatch(b -> {
                try {
                    return Files.readString(b.resolve("config.json")).contains(quoted);
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (IOException e) {
            return true; // cannot tell: keep it
        }
    }

    /**
     * The host directories a sandbox sees read-only: the agent's, its image's root filesystem (writes inside go to the
     * sandbox's overlay; an image is shared by every sandbox of it, and the built-in image's files are hard links to
     * the host's package files, so the host kernel must refuse writes to them whatever the gofer does), init
     * containers' root filesystems and the file volumes (configMap, secret, ...).
     */
    private List<Path> readOnlySources(SandboxConfig config, Path rootfs, Map<String, Path> initRootfs) {
        java.util.Set<Path> ro = new java.util.LinkedHashSet<>(List.of(agentDir, rootfs));
        ro.addAll(initRootfs.values());
        for (SandboxConfig.Volume v : config.volumes()) if (v.medium() == SandboxConfig.Volume.Medium.HOST_FILES) ro.add(v.hostPath());
        return List.copyOf(ro);
    }

    /** Each init container, in order, to completion; the first that fails (or cannot start) fails the start. */
    private void runInitContainers(GvisorSandbox sb) throws RuntimeFailure {
        for (SandboxConfig.InitContainer init : sb.config().initContainers()) {
            Path logFile = initLogFile(sb.id(), init.name());
            try {
                Files.createDirectories(logFile.getParent());
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "init container " + init.name() + ": cannot create " + logFile.getParent() + ": " + e.getMessage(), e);
            }
            long t0 = System.nanoTime();
            ExecResult r;
            try (InitLog out = new InitLog(logFile, options.logMaxBytes())) {
                r = sb.runInit(init, INIT_TIMEOUT, options.logMaxBytes(), out);
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "init container " + init.name() + ": cannot write its log " + logFile + ": " + e.getMessage(), e);
            } catch (RuntimeFailure e) {
                throw new InitContainerFailure(init.name(), -1, e.getMessage(), InitLog.tail(logFile));
            }
            log.info("sandbox {}: init container {} exited with {} after {} ms", sb.id(), init.name(), r.exitCode(), (System.nanoTime() - t0) / 1_000_000);
            if (r.exitCode() != 0 || r.timedOut()) {
                throw new InitContainerFailure(init.name(), r.exitCode(), r.timedOut() ? "timed out after " + INIT_TIMEOUT.toMinutes() + " minutes"
                        : r.oomKilled() ? "killed: out of memory" : "exited with " + r.exitCode(), InitLog.tail(logFile));
            }
        }
    }

    /** In a sandbox's bundle: its init containers all succeeded (a re-attach to one without it must start over). */
    private static final String INITIALIZED = "initialized";

    private static void markInitialized(Path bundle) throws RuntimeFailure {
        try {
            Files.writeString(bundle.resolve(INITIALIZED), "");
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "cannot write " + bundle.resolve(INITIALIZED) + ": " + e.getMessage(), e);
        }
    }

    /** The output of init container {@code name} of sandbox {@code id} (its last run). */
    public Path initLogFile(String id, String name) {
        return logs.resolve("init").resolve(id).resolve(name + ".log");
    }

    @Override
    public RunningSandbox attach(SandboxConfig config) throws RuntimeFailure {
        if (closed) throw new RuntimeFailure(Kind.FAILED, "runtime is closed");
        String id = config.id();
        ReentrantLock lock = lockFor(id);
        lock.lock();
        try {
            GvisorSandbox existing = sandboxes.get(id);
            if (existing != null && existing.isAlive()) return existing;
            if (!Files.exists(socket(id))) {
                // a bundle without a shim: it was started, and its shim died (killed, or the host restarted)
                if (Files.exists(bundles.resolve(id))) throw new RuntimeFailure(Kind.FAILED, "the sandbox's shim is gone (killed, or the host restarted)");
                throw new RuntimeFailure(Kind.NOT_FOUND, "sandbox " + id + " is not running (no shim)");
            }
            AgentChannel channel;
            try {
                channel = AgentChannel.connect(id, socket(id), ATTACH_TIMEOUT);
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "the sandbox's shim is gone or does not answer (" + e.getMessage() + ")", e);
            }
            AgentChannel.ShimInfo info = channel.shimInfo();
            if (info.broken() != null) {
                channel.close("broken");
                throw new RuntimeFailure(Kind.FAILED, "the sandbox's channel was broken from inside: " + info.broken());
            }
            if (info.runscExitStatus() != null || !info.agentAlive()) {
                channel.close("stopped");
                throw new RuntimeFailure(Kind.FAILED, "the sandbox stopped while agentboxd was away (runsc exited with "
                        + info.runscExitStatus() + ")");
            }
            Optional<SandboxNetwork.Handle> handle = config.egress() == null ? Optional.empty() : network.get(id);
            if (handle.isPresent()) {
                try {
                    config = withProxy(config, handle.get()); // the proxy lived in the agentboxd that started the sandbox
                } catch (IOException e) {
                    channel.close("cannot start the egress proxy");
                    throw new RuntimeFailure(Kind.FAILED, "sandbox " + id + ": cannot start its egress proxy: " + e.getMessage(), e);
                }
            }
            GvisorSandbox sb = new GvisorSandbox(config, channel, logFile(id), () -> destroy(id), this::checkpoint);
            String version;
            try {
                version = sb.hello(Duration.ofSeconds(10));
            } catch (RuntimeFailure e) {
                channel.close("no hello");
                throw e;
            }
            if (!dev.agentbox.runtime.internal.Wire.AGENT_VERSION.equals(version)) {
                channel.close("incompatible agent");
                throw new RuntimeFailure(Kind.FAILED, "the sandbox runs " + version + ", this agentboxd speaks "
                        + dev.agentbox.runtime.internal.Wire.AGENT_VERSION + "; delete the sandbox to start it again with this version");
            }
            if (!config.initContainers().isEmpty() && !Files.exists(bundles.resolve(id).resolve(INITIALIZED))) {
                channel.close("init containers interrupted");
                throw new RuntimeFailure(Kind.FAILED, "agentboxd stopped while the sandbox was running its init containers; they must run again");
            }
            sb.adoptMain(info.mainId(), info.mainExited(), info.mainStatus());
            sandboxes.put(id, sb);
            log.info("sandbox {} re-attached (shim {}, runsc pid {})", id, info.version(), info.runscPid());
            return sb;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> listAttachable() {
        List<String> ids = new ArrayList<>();
        try (var files = Files.list(shimDir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (!n.endsWith(".pid") && !n.startsWith(".")) ids.add(n);
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", shimDir, e.toString());
        }
        return ids;
    }

    /**
     * Quiesces the agent (frame boundary on both directions), runs {@code runsc checkpoint} into a temporary
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
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
            AgentChannel channel = sb.channel();
            try {
                channel.quiesce(HELLO_TIMEOUT.toMillis());
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "sandbox " + id + ": " + e.getMessage(), e);
            }
            quiesced = true;
            // uncompressed by default: runsc's flate compression made a 300 MB heap's restore take ~3 s here
            List<String> cmd = Runsc.cmd(options.runsc(), root.toString(), "checkpoint", "--image-path", tmp.toString(),
                    "--compression=" + System.getProperty("agentbox.checkpoint.compression", "none"));
            if (leaveRunning) cmd.add("--leave-running");
            cmd.add(id);
            Runsc.Result r;
            try {
                r = Runsc.run(cmd, Duration.ofMinutes(5));
            } catch (IOException e) {
                throw new RuntimeFailure(Kind.FAILED, "runsc checkpoint of " + id + " failed: " + e.getMessage(), e);
            }
            if (r.code() != 0) throw new RuntimeFailure(Kind.FAILED, "runsc checkpoint of " + id + " failed: " + r.err().strip());
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
                if (stopped || !sb.isAlive()) {
                    sb.channel().releaseQuiesce();
                } else {
                    try {
                        sb.channel().resume(HELLO_TIMEOUT.toMillis(), false);
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
            Runsc.Result r = Runsc.run(Runsc.cmd(options.runsc(), root.toString(), "list", "-quiet"), RUNSC_TIMEOUT);
            if (r.code() != 0) {
                log.warn("runsc list failed: {}", r.err());
                return List.of();
            }
            List<String> ids = new ArrayList<>();
            for (String line : r.out().split("\n")) if (!line.isBlank()) ids.add(line.strip());
            return ids;
        } catch (IOException e) {
            log.warn("runsc list failed: {}", e.getMessage());
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
        boolean known = sb != null || Files.exists(socket(id)) || Files.exists(pidFile(id)) || Files.exists(bundles.resolve(id));
        if (!known && !listContainers().contains(id)) return;
        // Kill the sandbox's init first and let the shim's `runsc run` exit and clean up; a `delete --force`
        // racing with it times out ("context deadline exceeded").
        try {
            Runsc.run(Runsc.cmd(options.runsc(), root.toString(), "kill", id, "KILL"), RUNSC_TIMEOUT);
            if (sb != null) sb.channel().closedFuture().get(5, TimeUnit.SECONDS);
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.debug("sandbox {}: kill: {}", id, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runsc.Result r = Runsc.run(Runsc.cmd(options.runsc(), root.toString(), "delete", "--force", id), RUNSC_TIMEOUT);
            if (r.code() != 0 && !r.err().contains("does not exist") && !r.err().contains("not found")) {
                log.warn("sandbox {}: runsc delete failed: {}", id, r.err().strip());
            }
        } catch (IOException e) {
            log.warn("sandbox {}: runsc delete failed: {}", id, e.getMessage());
        }
        if (sb != null) sb.channel().close("sandbox destroyed");
        stopShim(id);
        cleanup(id);
        log.info("sandbox {} destroyed", id);
    }

    /** The shim exits once runsc has; one that does not (no daemon took its exit status) is killed. */
    private void stopShim(String id) {
        Path pid = pidFile(id);
        try {
            if (!Files.exists(pid)) return;
            long p = Long.parseLong(Files.readString(pid).strip());
            Optional<ProcessHandle> h = ProcessHandle.of(p);
            if (h.isEmpty()) return;
            String cmd = h.get().info().commandLine().orElse("");
            if (!cmd.contains("agentbox-shim") || !cmd.contains(id)) return; // the pid was reused
            try {
                h.get().onExit().get(2, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                h.get().destroyForcibly();
                h.get().onExit().get(5, TimeUnit.SECONDS);
            }
        } catch (IOException | NumberFormatException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.debug("sandbox {}: stopping its shim: {}", id, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void cleanup(String id) {
        try {
            Files.deleteIfExists(socket(id));
            Files.deleteIfExists(shimDir.resolve(id));
            Files.deleteIfExists(pidFile(id));
            if (!Boolean.getBoolean("agentbox.keepBundles")) LocalImageStore.deleteTree(bundles.resolve(id)); // kept for debugging
            LocalImageStore.deleteTree(storage.resolve(id));
        } catch (IOException e) {
            log.warn("sandbox {}: cleanup: {}", id, e.toString());
        }
        stopProxy(id);
        network.destroy(id);
    }

    /**
     * BASELINE ONLY, for the benchmark: runs one command through a separate {@code runsc exec}
     * process, the way a naive runtime would. Slow (~35 ms) and known to lose output; the real
     * data plane is {@link RunningSandbox#exec(ExecRequest)}.
     */
    public ExecResult execViaRunscExec(String id, List<String> argv) throws RuntimeFailure {
        GvisorSandbox sb = sandboxes.get(id);
        if (sb == null) throw new RuntimeFailure(Kind.NOT_FOUND, "sandbox " + id + " not found");
        List<String> cmd = Runsc.cmd(options.runsc(), root.toString(), "exec", "--user", sb.config().uid() + ":" + sb.config().gid(), id);
        cmd.addAll(argv);
        long t0 = System.nanoTime();
        try {
            Runsc.Result r = Runsc.run(cmd, RUNSC_TIMEOUT);
            return new ExecResult(r.code(), r.out().getBytes(StandardCharsets.UTF_8), r.err().getBytes(StandardCharsets.UTF_8),
                    false, false, false, Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "runsc exec failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void stopAll() {
        Set<String> ids = new LinkedHashSet<>(sandboxes.keySet());
        ids.addAll(listAttachable());
        ids.addAll(listContainers());
        List<Thread> threads = new ArrayList<>();
        for (String id : ids) threads.add(Thread.ofVirtual().start(() -> destroy(id)));
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (GvisorSandbox sb : sandboxes.values()) sb.channel().close("agentboxd detached; the sandbox keeps running");
        for (String id : List.copyOf(proxies.keySet())) stopProxy(id); // started again on re-attach
        sandboxes.clear();
    }
}
