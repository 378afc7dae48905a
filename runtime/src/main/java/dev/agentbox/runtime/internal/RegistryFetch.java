package dev.agentbox.runtime.internal;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.InvalidImageReferenceException;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.registry.RegistryCredentialsNotSentException;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.Platform;
import com.google.cloud.tools.jib.event.events.ProgressEvent;
import com.google.cloud.tools.jib.frontend.CredentialRetrieverFactory;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One image from a registry into a {@code docker save} tar, with jib-core: jib resolves the reference (Docker Hub by
 * default), authenticates (anonymous, bearer token or basic, with the docker config's credentials), picks linux/amd64
 * from a manifest list or OCI index, checks every blob against its digest, and keeps blobs by digest in the cache
 * directory, so a layer two images share is downloaded once and a re-pull downloads only what changed. jib's tar
 * writer copies the cached compressed layers as they are (no re-compression). jib has no public "pull only" call: the
 * pull is a jib build that adds nothing to the base image and writes it as a tar. jib then writes its own image config
 * (same User, Env, WorkingDir, Entrypoint, Cmd and layers; creation time reset), so the returned id is jib's config digest,
 * not the registry's.
 */
public final class RegistryFetch {
    private static final Logger log = LoggerFactory.getLogger(RegistryFetch.class);
    private static final Platform LINUX_AMD64 = new Platform("amd64", "linux");

    private final Path cacheDir;
    private final Path dockerConfig;
    private final List<String> insecureRegistries;
    private final Duration timeout;

    public RegistryFetch(Path cacheDir, Path dockerConfig, List<String> insecureRegistries, Duration timeout) {
        this.cacheDir = cacheDir;
        this.dockerConfig = dockerConfig;
        this.insecureRegistries = List.copyOf(insecureRegistries);
        this.timeout = timeout;
    }

    /** A registry may be reached over plain HTTP only when it is on loopback or listed in insecureRegistries. */
    public static boolean insecureAllowed(String registry, List<String> insecureRegistries) {
        String host = registry.replaceFirst(":[0-9]+$", "");
        if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
        boolean loopback = host.equals("localhost") || host.equals("::1") || host.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
        return loopback || insecureRegistries.contains(registry) || insecureRegistries.contains(host);
    }

    /** Writes the image {@code ref} as a docker-save tar at {@code tar}; returns its image id. */
    public String fetch(String ref, Path tar, Consumer<String> progress) throws RuntimeFailure {
        ImageReference image;
        try {
            image = ImageReference.parse(ref);
        } catch (InvalidImageReferenceException e) {
            throw new RuntimeFailure(Kind.INVALID, "image " + ref + ": not an image reference; write [registry[:port]/]name[:tag][@sha256:digest]");
        }
        String registry = image.getRegistry();
        Consumer<LogEvent> jibLog = e -> {
            // jib warns that a tag is not reproducible (it means the base of a build); a pull by tag is asked for
            boolean buildWarning = e.getMessage().contains("does not use a specific image digest");
            if (!buildWarning && (e.getLevel() == LogEvent.Level.WARN || e.getLevel() == LogEvent.Level.ERROR)) log.warn("pull {}: {}", ref, e.getMessage());
            else log.debug("pull {}: {}", ref, e.getMessage());
        };
        CredentialRetrieverFactory creds = CredentialRetrieverFactory.forImage(image, jibLog);
        RegistryImage from = RegistryImage.named(image).addCredentialRetriever(dockerConfig == null ? creds.dockerConfig() : creds.dockerConfig(dockerConfig));
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "image-pull");
            t.setDaemon(true);
            return t;
        });
        Containerizer to;
        try {
            to = Containerizer.to(TarImage.at(tar).named(ImageReference.of(null, "agentbox/pulled", null)))
                    .setToolName("agentbox")
                    .setExecutorService(pool)
                    .setAllowInsecureRegistries(insecureAllowed(registry, insecureRegistries))
                    .setBaseImageLayersCache(cacheDir.resolve("layers"))
                    .setApplicationLayersCache(cacheDir.resolve("build"))
                    .addEventHandler(LogEvent.class, jibLog)
                    .addEventHandler(ProgressEvent.class, progressLines(ref, progress));
        } catch (RuntimeException e) {
            pool.shutdownNow();
            throw new RuntimeFailure(Kind.INVALID, "image " + ref + ": " + e.getMessage(), e);
        }
        progress.accept("pulling " + ref + " from " + registry);
        boolean plainHttpAllowed = insecureAllowed(registry, insecureRegistries);
        Future<JibContainer> build = pool.submit(() -> {
            checkReachable(registry, plainHttpAllowed);
            return Jib.from(from).setPlatforms(Set.of(LINUX_AMD64)).containerize(to);
        });
        try {
            return build.get(timeout.toMillis(), TimeUnit.MILLISECONDS).getImageId().toString();
        } catch (TimeoutException e) {
            throw new RuntimeFailure(Kind.FAILED, "pull of " + ref + " from " + registry + " did not finish within " + timeout
                    + "; check the registry's speed, or raise images.pullTimeoutSeconds in agentboxd's config");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure(Kind.FAILED, "pull of " + ref + " interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw explain(ref, registry, e.getCause(), dockerConfigFile());
        } finally {
            build.cancel(true);
            pool.shutdownNow();
        }
    }

    /**
     * Resolves the registry and opens (and closes) one TCP connection to it first: jib retries an unknown host or a
     * refused connection for minutes, and this fails at once with the cause. Within the pull's deadline.
     */
    static void checkReachable(String registry, boolean plainHttpAllowed) throws java.io.IOException {
        String host = registry;
        Integer port = null;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\[[^]]+]|[^:]+)(?::([0-9]{1,5}))?$").matcher(registry);
        if (m.matches()) {
            host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
            if (m.group(2) != null) port = Integer.parseInt(m.group(2));
        }
        java.net.InetAddress address = java.net.InetAddress.getByName(host); // UnknownHostException: unreachable
        List<Integer> ports = port != null ? List.of(port) : plainHttpAllowed ? List.of(443, 80) : List.of(443);
        java.io.IOException last = null;
        for (int p : ports) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(address, p), 10_000);
                return;
            } catch (java.io.IOException e) {
                last = e;
            }
        }
        throw last;
    }

    /** The docker config file whose credentials are used: the configured one, else docker's default. */
    Path dockerConfigFile() {
        if (dockerConfig != null) return dockerConfig;
        String env = System.getenv("DOCKER_CONFIG");
        return env != null && !env.isBlank() ? Path.of(env, "config.json") : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** jib's failures as messages that name the registry and say what to do. */
    static RuntimeFailure explain(String ref, String registry, Throwable cause, Path dockerConfigFile) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t instanceof SocketTimeoutException) {
                return new RuntimeFailure(Kind.FAILED, "registry " + registry + " is unreachable (" + t.getMessage() + ") while pulling " + ref
                        + "; check the registry name and port and that agentboxd's host can reach it, or import the image with `agentbox image import`", cause);
            }
            if (t instanceof RegistryUnauthorizedException || t instanceof RegistryCredentialsNotSentException) {
                // jib's message names the registry and the image; it never holds a credential
                String status = "";
                for (Throwable r = t; r != null; r = r.getCause()) {
                    if (r instanceof com.google.cloud.tools.jib.http.ResponseException http) status = "HTTP " + http.getStatusCode() + ", ";
                }
                return new RuntimeFailure(Kind.FAILED, "registry " + registry + " refused access to " + ref + " (" + status + t.getMessage()
                        + "); give agentboxd credentials for it: an `auths` entry for " + registry + " in " + dockerConfigFile
                        + " (`docker login " + registry + "` as the user agentboxd runs as writes it; images.dockerConfig of agentboxd's config names another file),"
                        + " or check the image name", cause);
            }
            if (t instanceof javax.net.ssl.SSLException) {
                return new RuntimeFailure(Kind.FAILED, "registry " + registry + ": TLS failed (" + t.getMessage() + ") while pulling " + ref
                        + "; if it serves plain HTTP or an untrusted certificate on purpose, list it in images.insecureRegistries of agentboxd's config", cause);
            }
        }
        String msg = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        if (msg.contains("digest")) {
            return new RuntimeFailure(Kind.FAILED, "pull of " + ref + " from " + registry + " refused: " + msg + "; the registry served content that does not match its digest", cause);
        }
        return new RuntimeFailure(Kind.FAILED, "pull of " + ref + " from " + registry + " failed: " + msg, cause);
    }

    /** jib's progress (fractions of one root allocation) as a line at every further 10 %. */
    private static Consumer<ProgressEvent> progressLines(String ref, Consumer<String> progress) {
        DoubleAdder done = new DoubleAdder();
        AtomicInteger reported = new AtomicInteger();
        return e -> {
            long units = e.getAllocation().getAllocationUnits();
            if (units <= 0) return;
            done.add(e.getAllocation().getFractionOfRoot() * e.getUnits() / units);
            int tenth = (int) Math.min(10, Math.floor(done.sum() * 10));
            int before = reported.get();
            if (tenth > before && reported.compareAndSet(before, tenth)) progress.accept("pulling " + ref + ": " + tenth * 10 + "%");
        };
    }
}
