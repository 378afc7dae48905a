package dev.agentbox.runtime;

import dev.agentbox.runtime.RuntimeFailure.Kind;
import dev.agentbox.runtime.internal.RegistryFetch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Pulls images from OCI registries into an {@link ImageStore}, by the Kubernetes pull policies. A pulled image is
 * stored under the reference as written ({@code python:3.12-slim}, {@code host:5000/app@sha256:...}), so a template
 * names it just as it names an imported one. The registry client is jib-core ({@link RegistryFetch}): token and basic
 * auth, docker config credentials, manifest lists (linux/amd64 chosen), digests verified, layers cached by digest
 * under {@link Settings#cacheDir} and shared between images. The image is then extracted by the same safe import as
 * {@code agentbox image import}.
 *
 * <p>Pulls of one reference at the same time are done once: later callers wait on the first pull and see its progress
 * from then on. Every pull has a deadline ({@link Settings#timeout}).
 */
public final class ImagePuller {
    /** As Kubernetes' {@code imagePullPolicy}. */
    public enum Policy {
        /** Pull unless the store has the image. */
        IfNotPresent,
        /** Ask the registry every time (only changed layers are downloaded). */
        Always,
        /** Never ask a registry: the image must be in the store. */
        Never;

        /** The container's {@code imagePullPolicy}, or IfNotPresent when unset; anything else is refused. */
        public static Policy parse(String value, String field) throws RuntimeFailure {
            if (value == null || value.isBlank()) return IfNotPresent;
            for (Policy p : values()) if (p.name().equals(value)) return p;
            throw new RuntimeFailure(Kind.INVALID, field + ": " + value + " is not a pull policy; use IfNotPresent, Always or Never");
        }
    }

    /**
     * @param cacheDir layer blobs (by digest), manifests and configs of pulled images
     * @param dockerConfig the docker config file whose credentials are used ({@code auths}, {@code credHelpers}); null:
     *        {@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json} as docker does
     * @param insecureRegistries registries ({@code host} or {@code host:port}) that may be reached over plain HTTP or with
     *        an unverified certificate; loopback registries always may
     * @param timeout the deadline of one whole pull
     */
    public record Settings(Path cacheDir, Path dockerConfig, List<String> insecureRegistries, Duration timeout) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

        public Settings {
            if (cacheDir == null) throw new IllegalArgumentException("cacheDir: required");
            insecureRegistries = insecureRegistries == null ? List.of() : List.copyOf(insecureRegistries);
            if (timeout == null) timeout = DEFAULT_TIMEOUT;
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout: must be positive, got " + timeout);
        }
    }

    /**
     * What a pull did: {@code pulled} false when the store's image was used (IfNotPresent, Never, or Always finding the
     * registry's image unchanged since this store's last pull of it).
     */
    public record Result(String name, boolean pulled, String imageId) { }

    private final ImageStore store;
    private final Settings settings;
    private final RegistryFetch fetch;
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();

    private record InFlight(CompletableFuture<Result> done, List<Consumer<String>> listeners) { }

    public ImagePuller(ImageStore store, Settings settings) {
        this.store = store;
        this.settings = settings;
        this.fetch = new RegistryFetch(settings.cacheDir(), settings.dockerConfig(), settings.insecureRegistries(), settings.timeout());
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Makes {@code ref} available in the store by {@code policy}. {@code progress} gets short human-readable lines
     * ("pulling X: layer 2 of 3, 40%"); it may be null.
     */
    public Result pull(String ref, Policy policy, Consumer<String> progress) throws RuntimeFailure {
        if (ref == null || ref.isBlank()) throw new RuntimeFailure(Kind.INVALID, "image: required, e.g. python:3.12-slim");
        if (ImageStore.BUILTIN.equals(ref)) return new Result(ref, false, null);
        dev.agentbox.runtime.internal.LocalImageStore.validateName(ref); // before any download: the name must be storable
        boolean present = store.exists(ref);
        switch (policy) {
            case Never -> {
                if (present) return new Result(ref, false, null);
                throw new RuntimeFailure(Kind.NOT_FOUND, "image " + ref + " is not in agentboxd's image store and its imagePullPolicy is Never;"
                        + " pull it with `agentbox image pull " + ref + "`, import it with `agentbox image import " + ref + " PATH`, or use imagePullPolicy IfNotPresent");
            }
            case IfNotPresent -> {
                if (present) return new Result(ref, false, null);
            }
            case Always -> { }
        }
        Consumer<String> sink = progress == null ? line -> { } : progress;
        InFlight mine = new InFlight(new CompletableFuture<>(), new CopyOnWriteArrayList<>(List.of(sink)));
        InFlight running = inFlight.putIfAbsent(ref, mine);
        if (running != null) { // the same reference is being pulled: wait for that pull
            running.listeners().add(sink);
            return join(running.done(), ref);
        }
        try {
            Result r = pullNow(ref, line -> mine.listeners().forEach(l -> l.accept(line)));
            mine.done().complete(r);
            return r;
        } catch (RuntimeFailure | RuntimeException e) {
            mine.done().completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(ref, mine);
        }
    }

    private Result join(CompletableFuture<Result> f, String ref) throws RuntimeFailure {
        try {
            return f.get(settings.timeout().toMillis() + 5_000, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeFailure rf) throw new RuntimeFailure(rf.kind(), rf.getMessage(), rf);
            throw new RuntimeFailure(Kind.FAILED, "pull of " + ref + " failed: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new RuntimeFailure(Kind.FAILED, "pull of " + ref + " did not finish within " + settings.timeout() + "; try again later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure(Kind.FAILED, "interrupted while waiting for the pull of " + ref);
        }
    }

    private Result pullNow(String ref, Consumer<String> progress) throws RuntimeFailure {
        Path work;
        try {
            Files.createDirectories(settings.cacheDir());
            work = Files.createTempDirectory(settings.cacheDir(), ".pull-");
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "cannot prepare the image cache " + settings.cacheDir() + ": " + e.getMessage(), e);
        }
        try {
            Path tar = work.resolve("image.tar");
            String imageId = fetch.fetch(ref, tar, progress);
            Path record = settings.cacheDir().resolve("refs").resolve(java.net.URLEncoder.encode(ref, java.nio.charset.StandardCharsets.UTF_8));
            if (store.exists(ref) && Files.exists(record) && Files.readString(record).equals(imageId)) {
                progress.accept("image " + ref + " is up to date (" + imageId + ")");
                return new Result(ref, false, imageId);
            }
            progress.accept("pulling " + ref + ": extracting");
            store.importImage(ref, tar);
            Files.createDirectories(record.getParent());
            Files.writeString(record, imageId); // jib's id is a digest of the config it writes, the same for the same image
            progress.accept("pulled " + ref + " (" + imageId + ")");
            return new Result(ref, true, imageId);
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "pull of " + ref + ": cannot record it in " + settings.cacheDir() + ": " + e.getMessage(), e);
        } finally {
            try {
                dev.agentbox.runtime.internal.LocalImageStore.deleteTree(work);
            } catch (IOException ignored) {
                // a leftover temporary tar in the cache directory; removed with the cache
            }
        }
    }
}
