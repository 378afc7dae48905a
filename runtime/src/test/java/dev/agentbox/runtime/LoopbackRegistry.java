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
 * With {@link Auth}: HTTPS (a self-signed certificate made with openssl) and htpasswd basic auth, as a private registry.
 */
public final class LoopbackRegistry implements AutoCloseable {
    /**
     * One htpasswd user; {@code htpasswdLine} is {@code user:bcrypt-hash}, made by the caller (the registry takes bcrypt
     * only), and the password is what pushes send.
     */
    public record Auth(String user, String password, String htpasswdLine) { }

    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    final Path dir;
    final Path storage;
    final Path log;
    final int port;
    final Auth auth;
    private Process process;

    public LoopbackRegistry(Path dir) throws Exception {
        this(dir, null);
    }

    public LoopbackRegistry(Path dir, Auth auth) throws Exception {
        this.auth = auth;
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
                """.formatted(storage, port) + (auth == null ? "" : tlsAndAuth()));
        start();
    }

    private String tlsAndAuth() throws Exception {
        Path key = dir.resolve("tls.key");
        Path cert = dir.resolve("tls.crt");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("openssl failed: " + out);
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, auth.htpasswdLine() + "\n");
        return """
                  tls:
                    certificate: %s
                    key: %s
                auth:
                  htpasswd:
                    realm: agentbox-test
                    path: %s
                """.formatted(cert, key, htpasswd);
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    public void start() throws Exception {
        process = new ProcessBuilder(BINARY.toString(), "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).sslContext(trustAll()).build();
        String scheme = auth == null ? "http://" : "https://";
        int expected = auth == null ? 200 : 401;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(scheme + host() + "/v2/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == expected) return;
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive()) throw new IllegalStateException("docker-registry exited: " + Files.readString(log));
            Thread.sleep(100);
        }
        throw new IllegalStateException("docker-registry did not answer on " + host() + ": " + Files.readString(log));
    }

    /** For the readiness check only: the certificate is the one this class just made. */
    private static javax.net.ssl.SSLContext trustAll() throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        return ctx;
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
                .containerize(com.google.cloud.tools.jib.api.Containerizer.to(target(nameTag))
                        .setAllowInsecureRegistries(true).setBaseImageLayersCache(dir.resolve("push-cache")).setApplicationLayersCache(dir.resolve("push-build")));
    }

    private com.google.cloud.tools.jib.api.RegistryImage target(String nameTag) throws Exception {
        var image = com.google.cloud.tools.jib.api.RegistryImage.named(host() + "/" + nameTag);
        return auth == null ? image : image.addCredential(auth.user(), auth.password());
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
