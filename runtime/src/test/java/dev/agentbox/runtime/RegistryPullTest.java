package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.runtime.ImagePuller.Policy;
import dev.agentbox.runtime.internal.LocalImageStore;
import dev.agentbox.runtime.internal.RegistryFetch;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from a real registry on loopback (Debian's docker-registry), with images the test pushes there with jib: by tag
 * and by digest (and a real gVisor sandbox run from the pulled image), a multi-arch index, a corrupted layer, the layer
 * cache, the pull policies, and an unreachable registry.
 */
class RegistryPullTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
    static final String MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;

    static LoopbackRegistry registry;
    static String reg;
    static String busyboxLayer;
    static String markerTwoLayer;
    static int seq;

    @BeforeAll
    static void pushImages() throws Exception {
        registry = new LoopbackRegistry(dir.resolve("registry"));
        reg = registry.host();
        push("bb:1", "amd64", "one", Map.of("FROM_IMAGE", "one"));
        push("bb:2", "amd64", "two", Map.of());
        push("multi:amd64", "amd64", "amd64", Map.of());
        push("multi:arm64", "arm64", "arm64", Map.of());
        push("bad:1", "amd64", "this layer will be corrupted", Map.of());
        busyboxLayer = manifest("bb", "1").path("layers").path(0).path("digest").asText();
        markerTwoLayer = manifest("bb", "2").path("layers").path(1).path("digest").asText();
        assertThat(manifest("bb", "2").path("layers").path(0).path("digest").asText()).as("bb:1 and bb:2 share their busybox layer").isEqualTo(busyboxLayer);
        pushIndex("multi", "1", List.of("amd64", "arm64"));
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) registry.close();
    }

    static void push(String nameTag, String arch, String marker, Map<String, String> env) throws Exception {
        registry.pushBusybox(nameTag, arch, marker, env);
    }

    static HttpResponse<byte[]> get(String path, String accept) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + reg + path)).header("Accept", accept).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode manifest(String repo, String ref) throws Exception {
        HttpResponse<byte[]> r = get("/v2/" + repo + "/manifests/" + ref, MANIFEST_V2);
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static String digestOf(String repo, String ref) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(get("/v2/" + repo + "/manifests/" + ref, MANIFEST_V2).body()));
    }

    /** A manifest list over tags of {@code repo} named by their architecture, PUT by hand (jib pushes no lists to tars). */
    static void pushIndex(String repo, String tag, List<String> arches) throws Exception {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (String arch : arches) {
            byte[] body = get("/v2/" + repo + "/manifests/" + arch, MANIFEST_V2).body();
            entries.add(Map.of("mediaType", MANIFEST_V2, "size", body.length,
                    "digest", "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)),
                    "platform", Map.of("architecture", arch, "os", "linux")));
        }
        byte[] index = JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", MANIFEST_LIST, "manifests", entries));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + reg + "/v2/" + repo + "/manifests/" + tag))
                .header("Content-Type", MANIFEST_LIST).PUT(HttpRequest.BodyPublishers.ofByteArray(index)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    /** A store and a puller with their own (empty) layer cache. */
    record Fixture(LocalImageStore store, ImagePuller puller) { }

    static Fixture fresh() {
        Path d = dir.resolve("store-" + (++seq));
        LocalImageStore store = new LocalImageStore(d.resolve("images"));
        return new Fixture(store, new ImagePuller(store, new ImagePuller.Settings(d.resolve("cache"), dir.resolve("no-docker-config.json"), List.of(), Duration.ofMinutes(2))));
    }

    static String marker(Fixture f, String image) throws Exception {
        return Files.readString(f.store().rootfs(image).resolve("marker"));
    }

    @Test
    void pullByTagGivesARunnableImageWithItsConfig() throws Exception {
        Path base = dir.resolve("runtime");
        try (GvisorRuntime runtime = new GvisorRuntime(base)) {
            ImagePuller puller = new ImagePuller(runtime.images(), new ImagePuller.Settings(base.resolve("image-cache"), dir.resolve("no-docker-config.json"), List.of(), null));
            List<String> progress = new CopyOnWriteArrayList<>();
            ImagePuller.Result r = puller.pull(reg + "/bb:1", Policy.IfNotPresent, progress::add);
            assertThat(r.pulled()).isTrue();
            assertThat(r.imageId()).startsWith("sha256:");
            assertThat(progress).anyMatch(l -> l.contains("pulling " + reg + "/bb:1 from " + reg)).anyMatch(l -> l.endsWith("0%")).last().asString().startsWith("pulled ");
            ImageStore.ImageConfig config = runtime.images().config(reg + "/bb:1");
            assertThat(config.env()).contains("FROM_IMAGE=one");
            assertThat(config.entrypoint()).containsExactly("/bin/busybox", "sleep", "3600");

            RunningSandbox sb = runtime.start(new SandboxConfig("pull-" + ProcessHandle.current().pid(), reg + "/bb:1", List.of(), Map.of(), "/", 128L << 20, 0, 32,
                    0, 0, false, List.of(), List.of(), "pulled", 0, SandboxConfig.DEFAULT_CAPABILITIES, List.of()));
            try {
                ExecResult out = sb.exec(ExecRequest.of("/bin/busybox", "cat", "/marker"));
                assertThat(new String(out.stdout(), StandardCharsets.UTF_8)).isEqualTo("one");
                assertThat(out.exitCode()).isZero();
            } finally {
                sb.destroy();
            }
            runtime.stopAll();
            assertThat(runtime.listContainers()).isEmpty();
        }
    }

    @Test
    void pullByDigestGetsThatManifest() throws Exception {
        Fixture f = fresh();
        String ref = reg + "/bb@" + digestOf("bb", "2");
        assertThat(f.puller().pull(ref, Policy.IfNotPresent, null).pulled()).isTrue();
        assertThat(f.store().list()).contains(ref);
        assertThat(marker(f, ref)).isEqualTo("two");
    }

    @Test
    void pullByAnUnknownDigestFailsNamingIt() {
        Fixture f = fresh();
        String ref = reg + "/bb@sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> f.puller().pull(ref, Policy.IfNotPresent, null)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining(ref).hasMessageContaining(reg);
        assertThat(f.store().exists(ref)).isFalse();
    }

    @Test
    void multiArchIndexResolvesToLinuxAmd64() throws Exception {
        Fixture f = fresh();
        assertThat(get("/v2/multi/manifests/1", MANIFEST_LIST).headers().firstValue("Content-Type")).hasValue(MANIFEST_LIST);
        f.puller().pull(reg + "/multi:1", Policy.IfNotPresent, null);
        assertThat(marker(f, reg + "/multi:1")).isEqualTo("amd64");
    }

    @Test
    void corruptedLayerIsRefusedByItsDigest() throws Exception {
        String layer = manifest("bad", "1").path("layers").path(1).path("digest").asText();
        Path data = registry.blobData(layer);
        assertThat(data).exists();
        // a well-formed layer with other content: only the digest check can catch it
        Files.write(data, gzipTar("evil", "planted by a hostile registry"));
        Fixture f = fresh();
        assertThatThrownBy(() -> f.puller().pull(reg + "/bad:1", Policy.IfNotPresent, null)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining(reg + "/bad:1").hasMessageContaining("digest");
        assertThat(f.store().exists(reg + "/bad:1")).isFalse();
        try (var files = Files.walk(dir.resolve("store-" + seq))) {
            assertThat(files.filter(p -> p.getFileName().toString().equals("evil"))).as("nothing of the corrupted layer was extracted").isEmpty();
        }
    }

    @Test
    void rePullIsServedFromTheCacheAndLayersAreSharedBetweenImages() throws Exception {
        Fixture f = fresh();
        String ref = reg + "/bb:1";
        long busyboxBefore = registry.requests("GET", "/blobs/" + busyboxLayer);
        assertThat(f.puller().pull(ref, Policy.IfNotPresent, null).pulled()).isTrue();
        assertThat(registry.requests("GET", "/blobs/" + busyboxLayer)).isEqualTo(busyboxBefore + 1);

        long allBefore = registry.requests("GET", "/v2/") + registry.requests("HEAD", "/v2/");
        assertThat(f.puller().pull(ref, Policy.IfNotPresent, null).pulled()).as("IfNotPresent uses the stored image").isFalse();
        assertThat(registry.requests("GET", "/v2/") + registry.requests("HEAD", "/v2/")).as("without asking the registry").isEqualTo(allBefore);

        long manifestsBefore = registry.requests("GET", "/v2/bb/manifests/1");
        Path rootfs = f.store().rootfs(ref);
        List<String> lines = new CopyOnWriteArrayList<>();
        ImagePuller.Result again = f.puller().pull(ref, Policy.Always, lines::add);
        assertThat(registry.requests("GET", "/v2/bb/manifests/1")).as("Always asks the registry again").isGreaterThan(manifestsBefore);
        assertThat(again.pulled()).as("and, the image being unchanged, keeps the extracted one").isFalse();
        assertThat(lines).anyMatch(l -> l.startsWith("image " + ref + " is up to date"));
        assertThat(f.store().rootfs(ref)).isEqualTo(rootfs).isDirectory();
        assertThat(registry.requests("GET", "/blobs/" + busyboxLayer)).as("but downloads no cached layer").isEqualTo(busyboxBefore + 1);

        long twoBefore = registry.requests("GET", "/blobs/" + markerTwoLayer);
        f.puller().pull(reg + "/bb:2", Policy.IfNotPresent, null);
        assertThat(registry.requests("GET", "/blobs/" + markerTwoLayer)).isEqualTo(twoBefore + 1);
        assertThat(registry.requests("GET", "/blobs/" + busyboxLayer)).as("the layer bb:2 shares with bb:1 comes from the cache").isEqualTo(busyboxBefore + 1);
        assertThat(marker(f, reg + "/bb:2")).isEqualTo("two");
    }

    @Test
    void concurrentPullsOfOneReferenceAreDoneOnce() throws Exception {
        Fixture f = fresh();
        long before = registry.requests("GET", "/blobs/" + markerTwoLayer);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<ImagePuller.Result>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) results.add(pool.submit(() -> f.puller().pull(reg + "/bb:2", Policy.Always, null)));
            int pulled = 0;
            for (Future<ImagePuller.Result> r : results) pulled += r.get().pulled() ? 1 : 0;
            assertThat(pulled).as("a pull that started after the first had ended finds the image up to date").isBetween(1, 3);
        } finally {
            pool.shutdownNow();
        }
        // three pulls started together, and, with an empty cache, every one done would download this layer
        assertThat(registry.requests("GET", "/blobs/" + markerTwoLayer)).isBetween(before + 1, before + 2);
    }

    @Test
    void neverFailsClearlyWhenTheImageIsAbsentAndUsesAPresentOne() throws Exception {
        Fixture f = fresh();
        String ref = reg + "/bb:1";
        long before = registry.requests("GET", "/v2/bb/");
        assertThatThrownBy(() -> f.puller().pull(ref, Policy.Never, null)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining(ref).hasMessageContaining("Never").hasMessageContaining("agentbox image pull " + ref);
        assertThat(registry.requests("GET", "/v2/bb/")).as("Never asks no registry").isEqualTo(before);
        f.puller().pull(ref, Policy.IfNotPresent, null);
        assertThat(f.puller().pull(ref, Policy.Never, null).pulled()).isFalse();
    }

    @Test
    void unreachableRegistryGivesAnErrorNamingItAndWhatToDo() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Fixture f = fresh();
        String ref = "127.0.0.1:" + closed + "/nothing:1";
        assertThatThrownBy(() -> f.puller().pull(ref, Policy.IfNotPresent, null)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("registry 127.0.0.1:" + closed + " is unreachable").hasMessageContaining("agentbox image import");
    }

    @Test
    void aRegistryThatNeverAnswersHitsThePullDeadline() throws Exception {
        // accepts connections and never says a word: only the pull's own deadline ends the wait
        try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            List<java.net.Socket> held = new CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) held.add(silent.accept());
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            Path d = dir.resolve("store-" + (++seq));
            LocalImageStore store = new LocalImageStore(d.resolve("images"));
            ImagePuller puller = new ImagePuller(store, new ImagePuller.Settings(d.resolve("cache"), dir.resolve("no-docker-config.json"), List.of(), Duration.ofSeconds(2)));
            String ref = "127.0.0.1:" + silent.getLocalPort() + "/silent:1";
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> puller.pull(ref, Policy.IfNotPresent, null)).isInstanceOf(RuntimeFailure.class)
                    .hasMessageContaining(ref).hasMessageContaining("did not finish within PT2S");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
            for (java.net.Socket s : held) s.close();
            silent.close();
            acceptor.join(5_000);
        }
    }

    @Test
    void plainHttpIsAllowedOnlyForLoopbackAndListedRegistries() {
        assertThat(RegistryFetch.insecureAllowed("127.0.0.1:5000", List.of())).isTrue();
        assertThat(RegistryFetch.insecureAllowed("localhost:5000", List.of())).isTrue();
        assertThat(RegistryFetch.insecureAllowed("[::1]:5000", List.of())).isTrue();
        assertThat(RegistryFetch.insecureAllowed("registry.example.com", List.of())).isFalse();
        assertThat(RegistryFetch.insecureAllowed("127.0.0.1.evil.example:5000", List.of())).isFalse();
        assertThat(RegistryFetch.insecureAllowed("localhost.evil.example", List.of())).isFalse();
        assertThat(RegistryFetch.insecureAllowed("registry.lan:5000", List.of("registry.lan:5000"))).isTrue();
        assertThat(RegistryFetch.insecureAllowed("registry.lan:5001", List.of("registry.lan:5000"))).isFalse();
        assertThat(RegistryFetch.insecureAllowed("registry.lan", List.of("registry.lan"))).isTrue();
    }

    @Test
    void aReferenceTheStoreCannotNameIsRefusedBeforeAnyRequest() throws Exception {
        Fixture f = fresh();
        long before = registry.requests("GET", "/v2/");
        for (String ref : List.of(reg + "/../etc:1", reg + "/Bad:1", reg + "/bb:1@sha256:short", "")) {
            assertThatThrownBy(() -> f.puller().pull(ref, Policy.Always, null)).isInstanceOf(RuntimeFailure.class).hasMessageContaining("image");
        }
        assertThat(registry.requests("GET", "/v2/")).isEqualTo(before);
    }

    @Test
    void aBadPullPolicyIsRefusedNamingTheField() {
        assertThatThrownBy(() -> Policy.parse("Sometimes", "spec.containers[0].imagePullPolicy")).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("spec.containers[0].imagePullPolicy").hasMessageContaining("IfNotPresent, Always or Never");
    }

    static byte[] gzipTar(String name, String content) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            byte[] b = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(b.length);
            tar.putArchiveEntry(e);
            tar.write(b);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }
}
