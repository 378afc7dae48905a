package dev.agentbox.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.Conditions;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.GvisorRuntime;
import dev.agentbox.runtime.ImagePuller;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.SandboxRuntime;
import dev.agentbox.server.auth.Tokens;
import dev.agentbox.server.config.DaemonSettings;
import dev.agentbox.server.controller.ClaimController;
import dev.agentbox.server.controller.EventRouter;
import dev.agentbox.server.controller.GarbageCollector;
import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.server.controller.PoolActivity;
import dev.agentbox.server.controller.SandboxController;
import dev.agentbox.server.controller.WarmPoolController;
import dev.agentbox.server.controller.WorkQueue;
import dev.agentbox.server.http.ApiServer;
import dev.agentbox.server.quota.QuotaGuard;
import dev.agentbox.server.sandbox.LiveSandboxes;
import dev.agentbox.server.sandbox.ProbeRunner;
import dev.agentbox.server.sandbox.PodObjects;
import dev.agentbox.server.sandbox.SandboxConfigs;
import dev.agentbox.server.sandbox.SandboxVolumes;
import dev.agentbox.server.snapshot.SnapshotConfigController;
import dev.agentbox.server.snapshot.SnapshotService;
import dev.agentbox.server.snapshot.TriggerController;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.server.store.Store;
import dev.agentbox.server.tls.ServerCertificates;
import io.fabric8.kubernetes.api.model.Condition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local daemon: SQLite store, gVisor runtime, the controllers and the HTTP API, wired
 * together. {@link #start} converges with what a previous process left behind: every runsc
 * container under the state directory is destroyed (its exec channel died with that process) and
 * every stored object is reconciled again, so ready sandboxes are replaced and no container leaks. Objects whose
 * owners are gone are collected first (and every 30 s), and the store enforces the configuration file's quotas.
 */
public final class Agentboxd implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agentboxd.class);

    private final AgentboxdConfig config;
    private final DaemonSettings settings;
    private final Store store;
    private final EventRecorder events;
    private final Tokens tokens;
    private final SandboxRuntime runtime;
    private final LiveSandboxes live = new LiveSandboxes();
    private final Metrics metrics = new Metrics();
    private final WorkQueue sandboxQueue;
    private final SnapshotService snapshots;
    private final WorkQueue triggerQueue;
    private final AutoCloseable triggerSubscription;
    private final WorkQueue claimQueue;
    private final WorkQueue poolQueue;
    private final WorkQueue snapshotConfigQueue;
    private final GarbageCollector gc;
    private final SandboxVolumes volumes;
    private final EventRouter router;
    private final ApiServer api;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("agentboxd-tick").factory());
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final URI endpoint;
    private final ServerCertificates certificates;
    private final URI routerEndpoint;
    private final java.nio.channels.FileChannel lockChannel;

    private Agentboxd(AgentboxdConfig config) throws IOException {
        long t0 = System.nanoTime();
        this.config = config;
        this.settings = config.readSettings(); // a bad config file fails here, before anything is touched
        Path dir = config.stateDir();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        // One daemon per state directory: a second one would destroy the first one's sandboxes as leftovers.
        this.lockChannel = java.nio.channels.FileChannel.open(dir.resolve("agentboxd.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by another agentboxd in this same JVM
        }
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("another agentboxd is already using the state directory " + dir
                    + (Files.exists(dir.resolve("endpoint")) ? " (it listens on " + Files.readString(dir.resolve("endpoint")).strip() + ")" : "")
                    + "; stop it first, or give this one its own --state-dir");
        }
        Clock clock = Clock.systemUTC();
        // The TLS files are read (or made) on a thread of their own while the store and the runtime open: most of that
        // time is loading the JDK's security classes, which the first handshake would load anyway.
        CompletableFuture<ServerCertificates> tlsFiles = !settings.tls().enabled() ? null : CompletableFuture.supplyAsync(() -> {
            ServerCertificates c = ServerCertificates.loadOrCreate(dir, config.host(), clock);
            c.sslContext();
            return c;
        }, r -> Thread.ofPlatform().name("agentboxd-tls").daemon().start(r));
        ObjectMapper mapper = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        this.store = new Store(dir.resolve("state.db"), mapper);
        store.setGuard(new QuotaGuard(store, settings.quotas(), config.effectiveConfigFile()));
        this.events = new EventRecorder(store, clock);
        this.tokens = new Tokens(dir, mapper);
        GvisorRuntime gvisor = new GvisorRuntime(dir.resolve("runtime"), new GvisorRuntime.Options("runsc", settings.logs().maxBytes().bytes(), settings.runtime().platform(),
                settings.runtime().networkPool(), settings.runtime().nameservers().isEmpty() ? null : settings.runtime().nameservers(),
                settings.runtime().proxyHosts(), settings.runtime().builtinPackages()));
        gvisor.prepareBuiltinImage(); // built once (seconds) while the rest of the daemon starts, not at its first sandbox
        this.runtime = gvisor;
        DaemonSettings.Images imageSettings = settings.images();
        ImagePuller puller = new ImagePuller(runtime.images(), new ImagePuller.Settings(dir.resolve("image-cache"), imageSettings.dockerConfigPath(),
                imageSettings.insecureRegistries(), java.time.Duration.ofSeconds(imageSettings.pullTimeoutSeconds())));
        SSLContext sslContext = null;
        long tTls0 = System.nanoTime();
        if (tlsFiles != null) {
            try {
                this.certificates = tlsFiles.join();
                sslContext = certificates.sslContext();
            } catch (CompletionException e) {
                runtime.close();
                store.close();
                lockChannel.close();
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        } else {
            this.certificates = null;
            log.warn("agentboxd serves plain HTTP ({}): bearer tokens cross the port in clear text, and kubectl sends none over it;"
                    + " leave TLS on unless something in front of agentboxd terminates it",
                    config.tls() != null ? "asked for with --insecure-http" : "tls.enabled is false in " + config.effectiveConfigFile());
        }
        long tTls = System.nanoTime() - tTls0;

        // bind the port before anything starts a sandbox: a port in use must fail with nothing to clean up
        try {
            this.api = new ApiServer(new InetSocketAddress(config.host(), config.port()), sslContext, store, new LocalAdmission(store, runtime.images(), puller),
                    tokens, live, metrics, runtime.images(), puller,
                    (id, container) -> container == null ? gvisor.logFile(id) : gvisor.initLogFile(id, container), mapper,
                    config.router() == null ? null : new InetSocketAddress(config.router().host(), config.router().port()),
                    config.router() == null || config.router().requireToken());
        } catch (IOException e) {
            runtime.close();
            events.close();
            store.close();
            lockChannel.close();
            String where = config.router() == null ? config.host() + ":" + config.port()
                    : config.host() + ":" + config.port() + " (API) or " + config.router().host() + ":" + config.router().port() + " (router)";
            throw new IOException("cannot listen on " + where + " (" + e.getMessage()
                    + "); is another program using the port? Choose another with --port" + (config.router() == null ? "" : " or --router-listen"), e);
        }
        long tOpen = System.nanoTime();
        markRestarted(clock);
        long tMarked = System.nanoTime();
        this.gc = new GarbageCollector(store);
        PoolActivity poolActivity = new PoolActivity(clock);
        ClaimController claims = new ClaimController(store, metrics, poolActivity, clock, events);
        this.snapshots = new SnapshotService(store, dir.resolve("snapshots"), clock, settings.quotas().workloadSnapshotsPerSandbox(), events);
        this.volumes = new SandboxVolumes(dir.resolve("volumes"));
        java.util.concurrent.atomic.AtomicReference<WorkQueue> sandboxQueueRef = new java.util.concurrent.atomic.AtomicReference<>();
        this.sandboxQueue = new WorkQueue(new SandboxController(store, runtime, live, new SandboxConfigs(settings.sandboxDefaults(), runtime.images(),
                new PodObjects(store), volumes), clock, snapshots,
                new ProbeRunner(key -> sandboxQueueRef.get().enqueue(key)), events,
                new dev.agentbox.server.sandbox.StartPulls(puller, key -> sandboxQueueRef.get().enqueue(key), clock),
                new dev.agentbox.server.sandbox.PoolStartSlots(dev.agentbox.server.sandbox.PoolStartSlots.defaultSlots(), key -> sandboxQueueRef.get().enqueue(key))), 32); // virtual threads; a start runs its init containers to completion
        WorkQueue sandboxes = sandboxQueue;
        sandboxQueueRef.set(sandboxes);
        live.onGone(sandboxes::enqueue); // a sandbox that fails is reconciled now, not at the next tick
        this.triggerQueue = new WorkQueue(new TriggerController(store, live, snapshots, clock, events), 2);
        this.triggerSubscription = store.watch(e -> {
            if (e.object() instanceof PodSnapshotManualTrigger t && e.type() != dev.agentbox.server.store.StoreEvent.Type.DELETED) {
                triggerQueue.enqueue(ObjectKey.of(t));
            }
        });
        this.claimQueue = new WorkQueue(claims, 4);
        this.poolQueue = new WorkQueue(new WarmPoolController(store, poolActivity, clock, events), 2);
        this.snapshotConfigQueue = new WorkQueue(new SnapshotConfigController(store, snapshots.storage(), clock), 1);
        this.router = new EventRouter(store, sandboxQueue, claimQueue, poolQueue, snapshotConfigQueue, claims, gc);
        api.claimBinder(new dev.agentbox.server.controller.ClaimRoundTrip(store, claimQueue)::bindAndAwait);
        long tWired = System.nanoTime();

        api.start();
        this.endpoint = URI.create((certificates != null ? "https://" : "http://") + endpointHost(config.host()) + ":" + api.port());
        AtomicFiles.writePrivate(dir.resolve("endpoint"), endpoint + "\n");
        this.routerEndpoint = config.router() == null ? null : URI.create("http://" + hostInUri(config.router().host()) + ":" + api.routerPort());
        if (routerEndpoint != null) {
            log.info("router listener (upstream sandbox-router protocol) on {}{}", routerEndpoint,
                    config.router().requireToken() ? "" : " WITHOUT authentication (--router-no-auth): anyone who reaches it reaches every sandbox's servers");
        }
        // The API answers now (what it says about sandboxes, claims and pools was marked not Ready above); the
        // rest of the convergence runs in the background: collect orphaned objects before anything reconciles
        // them, recover cut-off snapshots, then reconcile everything (the Sandbox controller re-attaches to each
        // running sandbox), and stop sandboxes that no object owns any more.
        Thread.ofVirtual().name("agentboxd-startup").start(() -> {
            try {
                int orphans = gc.collectOrphans();
                if (orphans > 0) log.info("deleted {} object(s) whose owners are gone", orphans);
                snapshots.recover();
                store.list(PodSnapshotManualTrigger.class, null).forEach(t -> triggerQueue.enqueue(ObjectKey.of(t)));
                router.resyncAll();
            } catch (RuntimeException e) {
                log.warn("start-up convergence: {}", e.toString());
            }
            stopOrphanedSandboxes();
        });

        ticker.scheduleWithFixedDelay(this::watchLiveSandboxes, 1, 1, TimeUnit.SECONDS);
        metrics.beforeScrape(() -> updateStateGauge(store.list(Sandbox.class, null)));
        ticker.scheduleWithFixedDelay(this::resync, 30, 30, TimeUnit.SECONDS);
        ticker.scheduleWithFixedDelay(this::collectGarbage, 30, 30, TimeUnit.SECONDS);
        ticker.scheduleWithFixedDelay(this::retention, 5, 5, TimeUnit.SECONDS);
        long tUp = System.nanoTime();
        log.info("agentboxd listening on {} (state in {}); started in {} ms (store and runtime {} ms, then waiting for the TLS files {} ms; marking {} ms, wiring {} ms, API {} ms)",
                endpoint, dir, ms(tUp - t0), ms(tOpen - t0), ms(tTls), ms(tMarked - tOpen), ms(tWired - tMarked), ms(tUp - tWired));
    }

    /**
     * Sandboxes keep running while agentboxd is away, but what the store says about them is what an earlier
     * process saw: until each is re-attached (the Sandbox controller does it, in the background), a Sandbox
     * that says Ready is not known to be, so it is not, and no claim can bind it.
     */
    private void markRestarted(Clock clock) {
        String now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        int sandboxes = store.updateStatusTrees(Sandbox.class, tree -> notReady(tree, SandboxController.REATTACHING, now));
        int claims = store.updateStatusTrees(dev.agentbox.api.extensions.v1beta1.SandboxClaim.class,
                tree -> notReady(tree, "agentboxd restarted; re-attaching to the claim's sandbox", now));
        int pools = store.updateStatusTrees(dev.agentbox.api.extensions.v1beta1.SandboxWarmPool.class, tree -> {
            com.fasterxml.jackson.databind.JsonNode status = tree.path("status");
            if (!status.isObject() || status.path("readyReplicas").asInt(0) == 0) return false;
            ((com.fasterxml.jackson.databind.node.ObjectNode) status).put("readyReplicas", 0); // recounted once re-attached
            return true;
        });
        if (sandboxes + claims + pools > 0) {
            log.info("{} sandbox(es), {} claim(s) and {} pool(s) were Ready when the last agentboxd stopped; re-attaching", sandboxes, claims, pools);
        }
    }

    /** Sets a Ready=True condition of the tree to False (DependenciesNotReady) with the message; true if it did. */
    private static boolean notReady(com.fasterxml.jackson.databind.node.ObjectNode tree, String message, String now) {
        for (com.fasterxml.jackson.databind.JsonNode c : tree.path("status").path("conditions")) {
            if (!Conditions.READY.equals(c.path("type").asText()) || !Conditions.TRUE.equals(c.path("status").asText())) continue;
            ((com.fasterxml.jackson.databind.node.ObjectNode) c).put("status", Conditions.FALSE).put("reason", Conditions.REASON_DEPENDENCIES_NOT_READY)
                    .put("message", message).put("lastTransitionTime", now);
            return true;
        }
        return false;
    }

    /**
     * Stops every sandbox of the runtime whose Sandbox object is gone (deleted while agentboxd was away, or by
     * the garbage collector before anything attached to it). The runtime is listed before the store is read: a
     * container found then was started for an object that existed then.
     */
    private void stopOrphanedSandboxes() {
        try {
            java.util.Set<String> present = new java.util.LinkedHashSet<>(runtime.listAttachable());
            present.addAll(runtime.listContainers());
            List<String> logIds = runtime.listLogs();
            java.util.Set<String> owned = new java.util.HashSet<>();
            for (Sandbox s : store.list(Sandbox.class, null)) owned.add(SandboxController.containerId(s));
            for (String id : present) {
                if (owned.contains(id)) continue;
                log.info("stopping sandbox {}: no Sandbox object owns it", id);
                runtime.destroy(id);
            }
            for (String id : logIds) if (!owned.contains(id)) runtime.deleteLogs(id);
            // volume directories (claims included) of Sandboxes deleted while agentboxd was away
            int swept = volumes.sweep(k -> store.list(Sandbox.class, null).stream().anyMatch(s -> SandboxVolumes.key(s).equals(k)));
            if (swept > 0) log.info("deleted the volume directories of {} sandbox(es) whose Sandbox objects are gone", swept);
        } catch (RuntimeException e) {
            log.warn("stopping orphaned sandboxes: {}", e.toString());
        } finally {
            orphansSwept = true;
        }
    }

    private volatile boolean orphansSwept;

    /** Starts the daemon; it runs until {@link #close()}. */
    public static Agentboxd start(AgentboxdConfig config) {
        try {
            return new Agentboxd(config);
        } catch (IOException e) {
            throw new UncheckedIOException("agentboxd could not start: " + e.getMessage(), e);
        }
    }

    /**
     * {@code java -cp ... dev.agentbox.server.Agentboxd [--state-dir DIR] [--port N] [--config FILE] [--stop-sandboxes-on-exit] [--insecure-http]
     * [--router-listen ADDR:PORT [--router-no-auth]]}; the CLI's
     * {@code agentbox serve} is the usual way.
     */
    public static void main(String[] args) throws InterruptedException {
        AgentboxdConfig config = AgentboxdConfig.defaults();
        String routerListen = null;
        boolean routerNoAuth = false;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--state-dir" -> config = new AgentboxdConfig(Path.of(need(args[i], value)), config.host(), config.port(), config.configFile(), config.stopSandboxesOnExit(), config.tls());
                case "--port" -> config = config.withPort(Integer.parseInt(need(args[i], value)));
                case "--config" -> config = new AgentboxdConfig(config.stateDir(), config.host(), config.port(), Path.of(need(args[i], value)), config.stopSandboxesOnExit(), config.tls());
                case "--stop-sandboxes-on-exit" -> {
                    config = config.withStopSandboxesOnExit(true);
                    continue;
                }
                case "--insecure-http" -> {
                    config = config.withTls(false);
                    continue;
                }
                case "--router-listen" -> routerListen = need(args[i], value);
                case "--router-no-auth" -> {
                    routerNoAuth = true;
                    continue;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --state-dir DIR, --port N, --config FILE, --stop-sandboxes-on-exit, --insecure-http, --router-listen ADDR:PORT and --router-no-auth");
            }
            i++;
        }
        if (routerNoAuth && routerListen == null) throw new IllegalArgumentException("--router-no-auth needs --router-listen ADDR:PORT");
        if (routerListen != null) config = config.withRouter(AgentboxdConfig.RouterListener.parse(routerListen, !routerNoAuth));
        Agentboxd daemon = start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close));
        daemon.awaitTermination();
    }

    /**
     * The host clients reach agentboxd at, as written to the endpoint file: the bind address, except loopback for a
     * wildcard one (which the serving certificate names; 0.0.0.0 does not), with an IPv6 literal in brackets.
     */
    static String endpointHost(String bindHost) {
        String h = bindHost.startsWith("[") && bindHost.endsWith("]") ? bindHost.substring(1, bindHost.length() - 1) : bindHost;
        if (h.equals("0.0.0.0")) return "127.0.0.1";
        if (h.contains(":")) {
            try {
                if (java.net.InetAddress.getByName(h).isAnyLocalAddress()) return "127.0.0.1"; // a literal: no lookup
            } catch (java.net.UnknownHostException e) {
                // not an address: leave it as given
            }
            return "[" + h + "]";
        }
        return h;
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static String need(String option, String value) {
        if (value == null) throw new IllegalArgumentException(option + " needs a value");
        return value;
    }

    /** {@code https://127.0.0.1:PORT} (or {@code http://} when plain HTTP was asked for), as in the state directory's endpoint file. */
    public URI endpoint() {
        return endpoint;
    }

    /** {@code STATE_DIR/tls/ca.crt}, the certificate clients trust for the HTTPS port; null when serving plain HTTP. */
    public Path caFile() {
        return certificates == null ? null : certificates.caFile();
    }

    /** The router listener's address ({@code --router-listen}), or null when there is none. */
    public URI routerEndpoint() {
        return routerEndpoint;
    }

    /** Open port-forwards and proxied connections into sandboxes (tests). */
    public int openStreams() {
        return api.openStreams();
    }

    private static String hostInUri(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    public AgentboxdConfig config() {
        return config;
    }

    /** The configuration file's settings in effect (defaults for what it leaves out). */
    public DaemonSettings settings() {
        return settings;
    }

    public String adminToken() {
        try {
            return Files.readString(tokens.adminTokenFile()).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SandboxRuntime runtime() {
        return runtime;
    }

    public Store store() {
        return store;
    }

    /** The recorder of the Events agentboxd writes about its objects. */
    public EventRecorder events() {
        return events;
    }

    /** Blocks until {@link #close()} is called (from another thread or a shutdown hook). */
    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    /** Sandboxes whose process died or whose main process exited need a reconcile now, not at the next resync. */
    /** Running sandboxes whose main process's exit was already handed to their controller. */
    private final java.util.Set<RunningSandbox> exitReported = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Hands each main process's exit to its sandbox's controller, once. Reads only the in-memory live sandboxes (no
     * store read, no JSON): an idle daemon's tick costs nothing per object. A sandbox that dies is reported at once by
     * {@link LiveSandboxes#onGone}; this covers the main process, whose exit the agent records without an event.
     */
    private void watchLiveSandboxes() {
        try {
            java.util.Set<RunningSandbox> current = new java.util.HashSet<>();
            live.forEach((key, r) -> {
                current.add(r);
                RunningSandbox.MainProcessState main = r.mainProcess();
                if (main != null && !main.running() && main.exitCode() != null && exitReported.add(r)) sandboxQueue.enqueue(key);
            });
            exitReported.retainAll(current);
        } catch (RuntimeException e) {
            log.warn("sandbox liveness check: {}", e.toString());
        }
    }

    private void updateStateGauge(List<Sandbox> sandboxes) {
        Map<String, Integer> byState = new TreeMap<>(Map.of("Ready", 0, "Starting", 0, "Suspended", 0, "Failed", 0, "Expired", 0, "Succeeded", 0));
        for (Sandbox s : sandboxes) {
            Condition ready = Conditions.get(s.getStatus(), Conditions.READY).orElse(null);
            String state;
            if (ready == null) state = "Starting";
            else if (Conditions.TRUE.equals(ready.getStatus())) state = "Ready";
            else state = switch (String.valueOf(ready.getReason())) {
                case Conditions.REASON_SANDBOX_SUSPENDED -> "Suspended";
                case Conditions.REASON_SANDBOX_EXPIRED -> "Expired";
                case Conditions.REASON_POD_FAILED -> "Failed";
                case Conditions.REASON_POD_SUCCEEDED -> "Succeeded";
                default -> "Starting";
            };
            byState.merge(state, 1, Integer::sum);
        }
        byState.forEach(metrics::sandboxesInState);
    }

    private void retention() {
        try {
            snapshots.enforceRetention();
        } catch (RuntimeException e) {
            log.warn("snapshot retention: {}", e.toString());
        }
    }

    /** Objects whose owners are gone, then sandboxes whose objects are gone (as the kubelet removes pods' leftovers). */
    private void collectGarbage() {
        try {
            gc.collectOrphans();
        } catch (RuntimeException e) {
            log.warn("garbage collection: {}", e.toString());
        }
        stopOrphanedSandboxes();
    }

    private void resync() {
        try {
            router.resyncAll();
        } catch (RuntimeException e) {
            log.warn("resync: {}", e.toString());
        }
    }

    /** True when no controller has work queued or running (tests use it to wait for quiescence). */
    public boolean idle() {
        return orphansSwept && sandboxQueue.idle() && claimQueue.idle() && poolQueue.idle() && triggerQueue.idle() && snapshotConfigQueue.idle();
    }

    @Override
    public void close() {
        if (stopped.getCount() == 0) return;
        log.info("agentboxd stopping");
        ticker.shutdownNow();
        api.close();
        router.close();
        try {
            triggerSubscription.close();
        } catch (Exception e) {
            log.debug("unsubscribe", e);
        }
        triggerQueue.close();
        snapshots.close();
        claimQueue.close();
        poolQueue.close();
        snapshotConfigQueue.close();
        sandboxQueue.close();
        if (settings.stopSandboxesOnExit()) {
            log.info("stopping every sandbox (stopSandboxesOnExit)");
            runtime.stopAll();
        }
        runtime.close(); // detaches: the sandboxes keep running for the next agentboxd
        events.close(); // writes what the controllers recorded last
        store.close();
        try {
            Files.deleteIfExists(config.stateDir().resolve("endpoint"));
            lockChannel.close(); // releases the state directory for the next agentboxd
        } catch (IOException e) {
            log.debug("endpoint file", e);
        }
        stopped.countDown();
    }
}
