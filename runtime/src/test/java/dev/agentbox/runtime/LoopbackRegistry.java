package dev.agentbox.runtime;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real registry (Debian's docker-registry, the CNCF distribution) on a free loopback port, with its own config and
 * storage in a directory the test owns; never the system service. Its request log is kept so tests can count requests.
 */
public final class LoopbackRegistry implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    final Path dir;
    final Path storage;
    final Path log;
    final int port;
    private Process process;

    public LoopbackRegistry(Path dir) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.storage = Files.createDirectories(dir.resolve("storage"));
        this.log = dir.resolve("registry.log");
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        // no blob descriptor cache: a blob changed on disk (the corruption test) is served as it now is
        Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log:
                  level: info
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                """.formatted(storage, port));
        start();
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    public void start() throws Exception {
        process = new ProcessBuilder(BINARY.toString(), "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host() + "/v2/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive()) throw new IllegalStateException("docker-registry exited: " + Files.readString(log));
            Thread.sleep(100);
        }
        throw new IllegalStateException("docker-registry did not answer on " + host() + ": " + Files.readString(log));
    }

    public void stop() throws InterruptedException {
        if (process == null) return;
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        process = null;
    }

    /**
     * Pushes a busybox-static image with jib: /bin/busybox in one layer (the same layer in every image pushed so), /marker
     * holding {@code marker} in its own, the given env, and {@code /bin/busybox sleep 3600} as its entrypoint.
     */
    public void pushBusybox(String nameTag, String arch, String marker, java.util.Map<String, String> env) throws Exception {
        Path m = Files.createTempFile(dir, "marker-", "");
        Files.writeString(m, marker);
        com.google.cloud.tools.jib.api.Jib.fromScratch()
                .setPlatforms(java.util.Set.of(new com.google.cloud.tools.jib.api.buildplan.Platform(arch, "linux")))
                .addFileEntriesLayer(com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer.builder().addEntry(Path.of("/bin/busybox"),
                        com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath.get("/bin/busybox"),
                        com.google.cloud.tools.jib.api.buildplan.FilePermissions.fromOctalString("755")).build())
                .addFileEntriesLayer(com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer.builder().addEntry(m,
                        com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath.get("/marker")).build())
                .setEnvironment(env)
                .setEntrypoint("/bin/busybox", "sleep", "3600")
                .containerize(com.google.cloud.tools.jib.api.Containerizer.to(com.google.cloud.tools.jib.api.RegistryImage.named(host() + "/" + nameTag))
                        .setAllowInsecureRegistries(true).setBaseImageLayersCache(dir.resolve("push-cache")).setApplicationLayersCache(dir.resolve("push-build")));
    }

    /** How many requests of this method whose path contains {@code pathPart} the registry's access log shows. */
    public long requests(String method, String pathPart) throws IOException {
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.startsWith("127.0.0.1 - ")).filter(l -> l.contains("\"" + method + " ") && l.contains(pathPart)).count();
        }
    }

    /** The blob's file in the registry's storage (the filesystem driver's layout). */
    Path blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return storage.resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
