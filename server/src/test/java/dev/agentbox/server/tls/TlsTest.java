package dev.agentbox.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import dev.agentbox.server.config.DaemonSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** agentboxd serves HTTPS with its own CA from the state directory; plain HTTP only when asked for. */
class TlsTest {
    static final Set<String> LOOPBACK = Set.of("IP:127.0.0.1", "IP:0:0:0:0:0:0:0:1", "DNS:localhost");
    private final List<Path> dirs = new java.util.ArrayList<>();

    /** A state directory, deleted after the test (the runtime's image holds links to the host's /usr: never followed). */
    Path dir() throws IOException {
        Path d = Files.createTempDirectory("agentboxd-tls-test");
        dirs.add(d);
        return d;
    }

    @AfterEach
    void deleteStateDirectories() throws IOException {
        for (Path d : dirs) {
            try (var walk = Files.walk(d)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    static Agentboxd start(Path state) {
        return Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", 0).withStopSandboxesOnExit(true));
    }

    /** An SSLContext that trusts exactly the certificate in {@code caFile} (as the SDK builds it). */
    static SSLContext trusting(Path caFile) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static HttpResponse<String> get(HttpClient http, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDaemonAnswersOverTlsWithACertificateThatChainsToTheStateDirectorysCaAndNamesLoopback() throws Exception {
        Path state = dir();
        try (Agentboxd d = start(state)) {
            Path caFile = state.resolve("tls/ca.crt");
            assertThat(d.caFile()).isEqualTo(caFile);
            assertThat(d.endpoint().toString()).matches("https://127\\.0\\.0\\.1:\\d+");
            assertThat(Files.readString(state.resolve("endpoint")).strip()).isEqualTo(d.endpoint().toString());

            HttpClient http = HttpClient.newBuilder().sslContext(trusting(caFile)).build();
            HttpResponse<String> health = get(http, d.endpoint() + "/healthz", null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            HttpResponse<String> list = get(http, d.endpoint() + "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxtemplates", d.adminToken());
            assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
            assertThat(list.body()).contains("\"items\":[]");
            // hostname verification is on, and "localhost" is a name of the certificate too
            assertThat(get(http, "https://localhost:" + d.endpoint().getPort() + "/healthz", null).statusCode()).isEqualTo(200);

            X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caFile)));
            assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
            assertThat(ca.getKeyUsage()[5]).as("keyCertSign").isTrue();
            assertThat(Duration.between(Instant.now(), ca.getNotAfter().toInstant())).isGreaterThan(Duration.ofDays(3600));
            try (SSLSocket s = (SSLSocket) trusting(caFile).getSocketFactory().createSocket("127.0.0.1", d.endpoint().getPort())) {
                s.startHandshake();
                X509Certificate[] chain = Arrays.stream(s.getSession().getPeerCertificates()).map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
                X509Certificate leaf = chain[0];
                assertThat(ServerCertificates.subjectAltNamesOf(leaf)).containsAll(LOOPBACK);
                assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
                assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1"); // serverAuth
                assertThat(Duration.between(Instant.now(), leaf.getNotAfter().toInstant())).isBetween(Duration.ofDays(360), Duration.ofDays(366));
                PKIXParameters pkix = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
                pkix.setRevocationEnabled(false);
                CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), pkix);
            }
        }
    }

    @Test
    void anIpv6BindAddressIsNamedByTheCertificateAndBracketedInTheEndpoint() throws Exception {
        Path state = dir();
        try (Agentboxd d = Agentboxd.start(new AgentboxdConfig(state, "::1", 0).withStopSandboxesOnExit(true))) {
            assertThat(d.endpoint().toString()).matches("https://\\[::1\\]:\\d+");
            HttpClient http = HttpClient.newBuilder().sslContext(trusting(d.caFile())).build();
            assertThat(get(http, d.endpoint() + "/healthz", null).body()).isEqualTo("ok\n");
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCaFailsTheHandshake() throws Exception {
        Path state = dir();
        Path other = dir();
        try (Agentboxd d = start(state)) {
            // the JDK's default trust store (public CAs) does not know agentboxd's CA
            assertThatThrownBy(() -> get(HttpClient.newHttpClient(), d.endpoint() + "/healthz", null)).isInstanceOf(SSLHandshakeException.class);
            // nor does another agentboxd's CA
            ServerCertificates foreign = ServerCertificates.loadOrCreate(other, "127.0.0.1", Clock.systemUTC());
            HttpClient wrongCa = HttpClient.newBuilder().sslContext(trusting(foreign.caFile())).build();
            assertThatThrownBy(() -> get(wrongCa, d.endpoint() + "/healthz", d.adminToken())).isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void plainHttpToTheTlsPortGetsNoAnswer() throws Exception {
        Path state = dir();
        try (Agentboxd d = start(state)) {
            URI plain = URI.create("http://127.0.0.1:" + d.endpoint().getPort() + "/healthz");
            assertThatThrownBy(() -> get(HttpClient.newHttpClient(), plain.toString(), d.adminToken())).isInstanceOf(IOException.class);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", d.endpoint().getPort()), 5000);
                s.setSoTimeout(20_000);
                s.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + d.adminToken() + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] answer = s.getInputStream().readNBytes(64); // until the server closes the connection
                assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/").doesNotContain("ok");
            }
        }
    }

    @Test
    void keysAndCertificatesAreOwnerOnlyInAnOwnerOnlyDirectory() throws Exception {
        Path state = dir();
        try (Agentboxd d = start(state)) {
            Path dir = state.resolve("tls");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
            for (String f : List.of("ca.crt", "ca.key", "server.crt", "server.key")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f)))).as(f).isEqualTo("rw-------");
            }
            assertThat(Files.readString(dir.resolve("ca.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
            assertThat(Files.readString(dir.resolve("ca.crt"))).startsWith("-----BEGIN CERTIFICATE-----");
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("ca.crt", "ca.key", "server.crt", "server.key");
            }
        }
    }

    @Test
    void aRestartReusesTheCaSoClientsThatTrustItKeepWorking() throws Exception {
        Path state = dir();
        byte[] ca;
        byte[] serving;
        SSLContext trusted;
        try (Agentboxd first = start(state)) {
            ca = Files.readAllBytes(state.resolve("tls/ca.crt"));
            serving = Files.readAllBytes(state.resolve("tls/server.crt"));
            trusted = trusting(first.caFile());
        }
        try (Agentboxd second = start(state)) {
            assertThat(Files.readAllBytes(state.resolve("tls/ca.crt"))).isEqualTo(ca);
            assertThat(Files.readAllBytes(state.resolve("tls/server.crt"))).as("a good serving certificate is kept too").isEqualTo(serving);
            assertThat(get(HttpClient.newBuilder().sslContext(trusted).build(), second.endpoint() + "/healthz", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theReissueDecisionLooksAtTheSignerTheValidityAndTheNames() throws Exception {
        Instant now = Instant.now();
        ServerCertificates.Issued ca = ServerCertificates.newCa(now);
        ServerCertificates.Issued otherCa = ServerCertificates.newCa(now);
        Set<String> names = ServerCertificates.subjectAltNames("127.0.0.1");
        assertThat(names).containsExactlyInAnyOrderElementsOf(LOOPBACK);

        X509Certificate good = ServerCertificates.issueServer(ca, names, now.minusSeconds(60), now.plus(Duration.ofDays(365))).certificate();
        assertThat(ServerCertificates.reissueReason(good, ca.certificate(), names, now)).isNull();

        X509Certificate nearExpiry = ServerCertificates.issueServer(ca, names, now.minus(Duration.ofDays(300)), now.plus(Duration.ofDays(29))).certificate();
        assertThat(ServerCertificates.reissueReason(nearExpiry, ca.certificate(), names, now)).startsWith("it expires on");
        X509Certificate expired = ServerCertificates.issueServer(ca, names, now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(1))).certificate();
        assertThat(ServerCertificates.reissueReason(expired, ca.certificate(), names, now)).startsWith("it expired on");
        X509Certificate notYet = ServerCertificates.issueServer(ca, names, now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(365))).certificate();
        assertThat(ServerCertificates.reissueReason(notYet, ca.certificate(), names, now)).startsWith("it is not valid before");

        Set<String> elsewhere = ServerCertificates.subjectAltNames("10.1.2.3");
        assertThat(elsewhere).containsAll(LOOPBACK).contains("IP:10.1.2.3");
        assertThat(ServerCertificates.reissueReason(good, ca.certificate(), elsewhere, now)).isEqualTo("it does not name IP:10.1.2.3");
        assertThat(ServerCertificates.subjectAltNames("Agentbox.Example")).contains("DNS:agentbox.example");
        assertThat(ServerCertificates.subjectAltNames("[::1]")).containsExactlyInAnyOrderElementsOf(LOOPBACK);
        assertThat(ServerCertificates.subjectAltNames("0.0.0.0")).containsAll(LOOPBACK).noneMatch(n -> n.equals("IP:0.0.0.0"));

        assertThat(ServerCertificates.reissueReason(good, otherCa.certificate(), names, now)).isEqualTo("it is not signed by the CA in ca.crt");
    }

    @Test
    void aServingCertificateNearExpiryOrForAnotherHostIsIssuedAgainAtStartWithTheSameCa() throws Exception {
        Path state = dir();
        Clock clock = Clock.systemUTC();
        ServerCertificates first = ServerCertificates.loadOrCreate(state, "127.0.0.1", clock);
        Path dir = state.resolve("tls");
        byte[] ca = Files.readAllBytes(dir.resolve("ca.crt"));
        ServerCertificates.Issued caPair = new ServerCertificates.Issued(first.caCertificate(), ServerCertificates.readKey(dir.resolve("ca.key")).key());
        Instant now = clock.instant();
        ServerCertificates.Issued soon = ServerCertificates.issueServer(caPair, ServerCertificates.subjectAltNames("127.0.0.1"),
                now.minus(Duration.ofDays(340)), now.plus(Duration.ofDays(10)));
        Files.writeString(dir.resolve("server.crt"), ServerCertificates.pem(soon.certificate()));
        Files.writeString(dir.resolve("server.key"), ServerCertificates.pem(soon.key(), soon.certificate().getPublicKey()));

        ServerCertificates renewed = ServerCertificates.loadOrCreate(state, "127.0.0.1", clock);
        assertThat(renewed.serverCertificate().getSerialNumber()).isNotEqualTo(soon.certificate().getSerialNumber());
        assertThat(renewed.serverCertificate().getNotAfter().toInstant()).isAfter(now.plus(Duration.ofDays(360)));
        assertThat(Files.readAllBytes(dir.resolve("ca.crt"))).isEqualTo(ca);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("server.key")))).isEqualTo("rw-------");

        // a new bind host: the certificate is issued again, naming it
        ServerCertificates moved = ServerCertificates.loadOrCreate(state, "127.0.0.2", clock);
        assertThat(ServerCertificates.subjectAltNamesOf(moved.serverCertificate())).contains("IP:127.0.0.2").containsAll(LOOPBACK);
        assertThat(moved.serverCertificate().getSerialNumber()).isNotEqualTo(renewed.serverCertificate().getSerialNumber());
        // and kept when nothing changed
        assertThat(ServerCertificates.loadOrCreate(state, "127.0.0.2", clock).serverCertificate()).isEqualTo(moved.serverCertificate());

        // a damaged serving key: issued again; the CA stays
        Files.writeString(dir.resolve("server.key"), "not a key\n");
        ServerCertificates repaired = ServerCertificates.loadOrCreate(state, "127.0.0.2", clock);
        assertThat(repaired.serverCertificate()).isNotEqualTo(moved.serverCertificate());
        assertThat(Files.readAllBytes(dir.resolve("ca.crt"))).isEqualTo(ca);

        // a key that is not the certificate's (a crash between writing the two): issued again
        ServerCertificates.Issued stray = ServerCertificates.newCa(now);
        Files.writeString(dir.resolve("server.key"), ServerCertificates.pem(stray.key(), stray.certificate().getPublicKey()));
        ServerCertificates rematched = ServerCertificates.loadOrCreate(state, "127.0.0.2", clock);
        assertThat(rematched.serverCertificate()).isNotEqualTo(repaired.serverCertificate());
        // a key file in plain PKCS#8 (no public key in it, as other tools write it): checked with a signature, and kept
        var kept = (java.security.interfaces.ECPrivateKey) ServerCertificates.readKey(dir.resolve("server.key")).key();
        var plain = new org.bouncycastle.asn1.pkcs.PrivateKeyInfo(
                org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(kept.getEncoded()).getPrivateKeyAlgorithm(),
                new org.bouncycastle.asn1.sec.ECPrivateKey(256, kept.getS(), null));
        Files.writeString(dir.resolve("server.key"), ServerCertificates.pem(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", plain.getEncoded())));
        assertThat(ServerCertificates.readKey(dir.resolve("server.key")).publicKey()).isNull();
        assertThat(ServerCertificates.loadOrCreate(state, "127.0.0.2", clock).serverCertificate()).isEqualTo(rematched.serverCertificate());
    }

    @Test
    void insecureHttpServesPlainHttpOnlyWhenAskedFor() throws Exception {
        Path state = dir();
        Path configured = dir();
        try (Agentboxd d = Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", 0).withStopSandboxesOnExit(true).withTls(false))) {
            assertThat(d.endpoint().getScheme()).isEqualTo("http");
            assertThat(d.caFile()).isNull();
            assertThat(Files.readString(state.resolve("endpoint")).strip()).startsWith("http://127.0.0.1:");
            assertThat(get(HttpClient.newHttpClient(), d.endpoint() + "/healthz", null).body()).isEqualTo("ok\n");
            assertThat(state.resolve("tls")).doesNotExist();
        }
        assertThat(DaemonSettings.DEFAULTS.tls().enabled()).isTrue();
        Files.writeString(configured.resolve("config.yaml"), "tls:\n  enabled: false\n");
        try (Agentboxd d = start(configured)) {
            assertThat(d.endpoint().getScheme()).isEqualTo("http");
        }
        // the command line wins over the file
        try (Agentboxd d = Agentboxd.start(new AgentboxdConfig(configured, "127.0.0.1", 0).withStopSandboxesOnExit(true).withTls(true))) {
            assertThat(d.endpoint().getScheme()).isEqualTo("https");
        }
        assertThatThrownBy(() -> DaemonSettings.parse("tls: false\n", "config.yaml")).hasMessageContaining("tls");
    }

    @Test
    void aTamperedOrDamagedCaStopsTheStartWithAClearErrorInsteadOfBeingReplacedSilently() throws Exception {
        Path state = dir();
        Clock clock = Clock.systemUTC();
        ServerCertificates.loadOrCreate(state, "127.0.0.1", clock);
        Path dir = state.resolve("tls");
        byte[] goodCa = Files.readAllBytes(dir.resolve("ca.crt"));

        // ca.crt overwritten with something that is no certificate: the daemon does not start, and says what to do
        Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> start(state)).isInstanceOf(ServerCertificates.TlsFilesException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("ca.crt is unreadable").hasMessageContaining("delete " + dir);
        assertThat(state.resolve("endpoint")).doesNotExist();

        // a serving certificate must be issued (another bind host) but ca.key is not the CA's: no new CA either
        Files.write(dir.resolve("ca.crt"), goodCa);
        ServerCertificates.Issued stray = ServerCertificates.newCa(clock.instant());
        Files.writeString(dir.resolve("ca.key"), ServerCertificates.pem(stray.key(), stray.certificate().getPublicKey()));
        assertThatThrownBy(() -> ServerCertificates.loadOrCreate(state, "127.0.0.3", clock))
                .isInstanceOf(ServerCertificates.TlsFilesException.class).hasMessageContaining("ca.key does not match ca.crt");
        Files.writeString(dir.resolve("ca.key"), "garbage\n");
        assertThatThrownBy(() -> ServerCertificates.loadOrCreate(state, "127.0.0.3", clock))
                .isInstanceOf(ServerCertificates.TlsFilesException.class).hasMessageContaining("ca.key is missing or unreadable");
        assertThat(Files.readAllBytes(dir.resolve("ca.crt"))).as("the CA clients trust is left as it was").isEqualTo(goodCa);

        // ca.crt replaced by a directory
        Files.delete(dir.resolve("ca.crt"));
        Files.createDirectory(dir.resolve("ca.crt"));
        assertThatThrownBy(() -> ServerCertificates.loadOrCreate(state, "127.0.0.1", clock))
                .isInstanceOf(ServerCertificates.TlsFilesException.class).hasMessageContaining("ca.crt is unreadable");

        // the way out the message names: delete the directory, and a new CA is made (the lock of the failed starts is free)
        deleteTree(dir);
        try (Agentboxd d = start(state)) {
            assertThat(Files.readAllBytes(d.caFile())).isNotEqualTo(goodCa);
            assertThat(get(HttpClient.newBuilder().sslContext(trusting(d.caFile())).build(), d.endpoint() + "/healthz", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aTlsPathThatIsNotADirectoryStopsTheStartWithAClearError() throws Exception {
        Path state = dir();
        Files.writeString(state.resolve("tls"), "not a directory\n");
        assertThatThrownBy(() -> start(state)).isInstanceOf(ServerCertificates.TlsFilesException.class)
                .hasMessageContaining(state.resolve("tls") + " is not a directory");
        // a symbolic link is not followed either (it could point a new key anywhere)
        Path elsewhere = dir();
        Files.delete(state.resolve("tls"));
        Files.createSymbolicLink(state.resolve("tls"), elsewhere);
        assertThatThrownBy(() -> ServerCertificates.loadOrCreate(state, "127.0.0.1", Clock.systemUTC()))
                .isInstanceOf(ServerCertificates.TlsFilesException.class).hasMessageContaining("is not a directory");
        try (var files = Files.list(elsewhere)) {
            assertThat(files.toList()).as("nothing written through the link").isEmpty();
        }
    }

    @Test
    void keyFilesMadeReadableByOthersAreMadeOwnerOnlyAgainAtTheNextStart() throws Exception {
        Path state = dir();
        Clock clock = Clock.systemUTC();
        ServerCertificates first = ServerCertificates.loadOrCreate(state, "127.0.0.1", clock);
        Path dir = state.resolve("tls");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String f : List.of("ca.key", "server.key", "ca.crt")) Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
        ServerCertificates again = ServerCertificates.loadOrCreate(state, "127.0.0.1", clock);
        assertThat(again.serverCertificate()).isEqualTo(first.serverCertificate());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        for (String f : List.of("ca.key", "server.key", "ca.crt", "server.crt")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f)))).as(f).isEqualTo("rw-------");
        }
    }

    @Test
    void stalledTlsHandshakesDoNotStopAnHonestClient() throws Exception {
        Path state = dir();
        try (Agentboxd d = start(state)) {
            List<Socket> stalled = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 64; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", d.endpoint().getPort()), 5000);
                    // the first bytes of a TLS handshake record, then nothing: the server waits for the rest
                    s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
                    s.getOutputStream().flush();
                    stalled.add(s);
                }
                HttpClient http = HttpClient.newBuilder().sslContext(trusting(d.caFile())).connectTimeout(Duration.ofSeconds(5)).build();
                long t0 = System.nanoTime();
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(d.endpoint() + "/healthz")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            } finally {
                for (Socket s : stalled) s.close();
            }
        }
    }

    static void deleteTree(Path d) throws IOException {
        try (var walk = Files.walk(d)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
