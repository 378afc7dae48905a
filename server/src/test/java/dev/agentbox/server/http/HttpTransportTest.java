package dev.agentbox.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import dev.agentbox.server.AgentboxdConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.http.spi.JettyHttpServer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * agentboxd's HTTP transport (Jetty under the JDK's HttpServer API) keeps what the API's handlers relied on with the
 * JDK's server: requests on virtual threads, streams not cut while they wait, headers sent at the first flush, and
 * TLS through an SSLContext (also through jetty-http-spi's own HttpsConfigurator).
 */
class HttpTransportTest {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void apiHandlersRunOnVirtualThreads() throws Exception {
        try (HttpTransport t = new HttpTransport(new InetSocketAddress("127.0.0.1", 0), 16, null, null, null)) {
            CompletableFuture<Boolean> virtual = new CompletableFuture<>();
            t.http().createContext("/", ex -> {
                virtual.complete(Thread.currentThread().isVirtual());
                byte[] b = "ok".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            t.start();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + t.port() + "/x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).isEqualTo("ok");
            assertThat(virtual.get(5, TimeUnit.SECONDS)).as("the handler ran on a virtual thread").isTrue();
        }
    }

    @Test
    void aStreamThatWaitsLongerThanTheIdleTimeoutIsNotCutAndItsHeadersArriveAtTheFirstFlush() throws Exception {
        try (HttpTransport t = new HttpTransport(new InetSocketAddress("127.0.0.1", 0), 16, null, null, null, Duration.ofMillis(500))) {
            t.http().createContext("/", ex -> {
                ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                out.write("first\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                try {
                    Thread.sleep(2000); // four idle timeouts with nothing written, as a watch between events
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                out.write("second\n".getBytes(StandardCharsets.UTF_8));
                ex.close();
            });
            t.start();
            long t0 = System.nanoTime();
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + t.port() + "/w")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("headers at the first flush").isLessThan(Duration.ofMillis(1500));
            assertThat(r.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
            assertThat(new String(r.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first\nsecond\n");
        }
    }

    @Test
    void theApiSpeaksHttpsWithTheSslContextItIsGiven(@TempDir Path dir) throws Exception {
        SSLContext server = selfSigned(dir);
        try (HttpTransport t = new HttpTransport(new InetSocketAddress("127.0.0.1", 0), 16, server, null, null)) {
            t.http().createContext("/", ex -> {
                byte[] b = ("secure=" + (ex instanceof HttpsExchange)).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            t.start();
            HttpClient tls = HttpClient.newBuilder().sslContext(trusting(dir)).build();
            HttpResponse<String> r = tls.send(HttpRequest.newBuilder(URI.create("https://localhost:" + t.port() + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).isEqualTo("secure=true");
        }
    }

    @Test
    void jettysOwnHttpsServerWithAnHttpsConfiguratorWorksToo(@TempDir Path dir) throws Exception {
        Server jetty = new Server();
        jetty.setHandler(new ContextHandlerCollection());
        JettyHttpServer https = new JettyHttpServer(jetty, false);
        https.setHttpsConfigurator(new HttpsConfigurator(selfSigned(dir)));
        https.bind(new InetSocketAddress("127.0.0.1", 0), 16);
        https.createContext("/", ex -> {
            byte[] b = ("secure=" + (ex instanceof HttpsExchange)).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        https.start();
        try {
            HttpClient tls = HttpClient.newBuilder().sslContext(trusting(dir)).build();
            HttpResponse<String> r = tls.send(HttpRequest.newBuilder(URI.create("https://localhost:" + https.getAddress().getPort() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).isEqualTo("secure=true");
        } finally {
            https.stop(0);
        }
    }

    @Test
    void anUpperCasedTokenOnAConnectionThatSentTheValidOneArrivesAsSentNotAsTheCachedValidOne() throws Exception {
        try (HttpTransport t = new HttpTransport(new InetSocketAddress("127.0.0.1", 0), 16, null, null, null)) {
            t.http().createContext("/", ex -> {
                byte[] b = String.valueOf(ex.getRequestHeaders().getFirst("Authorization")).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            t.start();
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", t.port())) {
                s.setSoTimeout(10_000);
                String valid = "Bearer abx_41793662c05a13cac1053791436938703edd22b6";
                String req = "GET /a HTTP/1.1\r\nHost: x\r\nAuthorization: " + valid + "\r\n\r\n"
                        + "GET /b HTTP/1.1\r\nHost: x\r\nAuthorization: " + valid.toUpperCase(java.util.Locale.ROOT) + "\r\nConnection: close\r\n\r\n";
                s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
                String answers = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(answers).contains(valid).contains(valid.toUpperCase(java.util.Locale.ROOT));
            }
        }
    }

    @Test
    void theRouterListenerRefusesANonLoopbackAddress() {
        assertThatThrownBy(() -> new HttpTransport(new InetSocketAddress("127.0.0.1", 0), 16, null, null, new InetSocketAddress("0.0.0.0", 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback");
        assertThatThrownBy(() -> AgentboxdConfig.RouterListener.parse("0.0.0.0:8080", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.0.0.0 is not a loopback address");
        assertThatThrownBy(() -> AgentboxdConfig.RouterListener.parse("8.8.8.8:8080", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a loopback address");
        assertThat(AgentboxdConfig.RouterListener.parse("127.0.0.1:8080", true)).isEqualTo(new AgentboxdConfig.RouterListener("127.0.0.1", 8080, true));
        assertThat(AgentboxdConfig.RouterListener.parse("[::1]:0", false).host()).isEqualTo("::1");
        assertThat(AgentboxdConfig.RouterListener.parse("9000", true).host()).isEqualTo("127.0.0.1");
    }

    // ---- a self-signed certificate for localhost, made with the JDK's keytool

    private static SSLContext selfSigned(Path dir) throws Exception {
        Path ks = keystore(dir);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static SSLContext trusting(Path dir) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore(dir))) {
            store.load(in, "changeit".toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static Path keystore(Path dir) throws Exception {
        Path ks = dir.resolve("localhost.p12");
        if (Files.exists(ks)) return ks;
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "localhost", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return ks;
    }
}
