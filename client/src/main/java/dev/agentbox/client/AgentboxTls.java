package dev.agentbox.client;

import dev.agentbox.api.InvalidException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for agentboxd's HTTPS port. agentboxd signs its serving certificate with a CA of its own, kept in
 * {@code STATE_DIR/tls/ca.crt}; the SDK trusts that certificate and nothing else (not the JDK's default trust store).
 * For your own HTTP clients:
 *
 * <pre>{@code
 * HttpClient http = HttpClient.newBuilder().sslContext(AgentboxTls.trusting(Path.of(home, "tls/ca.crt"))).build();
 * }</pre>
 *
 * Hostname verification stays on: the certificate names 127.0.0.1, ::1, localhost and the address agentboxd binds.
 */
public final class AgentboxTls {
    /** The CA certificate's path under a state directory. */
    public static final String CA_FILE = "tls/ca.crt";

    private AgentboxTls() {
    }

    /**
     * An SSLContext that trusts exactly the certificates in a PEM file.
     *
     * @throws InvalidException when the file cannot be read or holds no certificate (the message names it)
     */
    public static SSLContext trusting(Path caFile) {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(caFile)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.toString();
            throw new InvalidException("caFile", "cannot read the CA certificate " + caFile + " (" + why + "); agentboxd writes it to "
                    + "STATE_DIR/" + CA_FILE + " at its first start");
        } catch (GeneralSecurityException e) {
            throw new InvalidException("caFile", caFile + " is not a PEM certificate file (" + e.getMessage() + ")");
        }
        if (certificates.isEmpty()) throw new InvalidException("caFile", caFile + " holds no certificate");
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates) trust.setCertificateEntry("ca-" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context trusting " + caFile + ": " + e, e);
        }
    }
}
