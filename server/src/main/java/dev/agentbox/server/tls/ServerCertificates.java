package dev.agentbox.server.tls;

import dev.agentbox.server.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * agentboxd's own certificate authority and the serving certificate of its HTTPS port, in {@code STATE_DIR/tls/}:
 * {@code ca.crt} and {@code ca.key} (EC P-256, 10 years, created at first start and kept across restarts, so clients
 * that trust {@code ca.crt} keep working), {@code server.crt} and {@code server.key} (EC P-256, 1 year, signed by the
 * CA, for 127.0.0.1, ::1, localhost and the bind host). At start the serving certificate is issued again when it is
 * missing, does not match its key or the CA, expires within {@link #RENEW_BEFORE}, or does not name the bind host
 * ({@link #reissueReason}). Every file is written with {@link AtomicFiles} (0600) in a 0700 directory.
 *
 * <p>BouncyCastle builds the certificates; keys and signatures use the JDK's own providers (no provider is registered).
 */
public final class ServerCertificates {
    private static final Logger log = LoggerFactory.getLogger(ServerCertificates.class);

    public static final String DIR = "tls";
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String SERVER_CERT = "server.crt";
    public static final String SERVER_KEY = "server.key";
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration SERVER_VALIDITY = Duration.ofDays(365);
    /** A certificate that expires sooner than this is replaced at start. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    /** notBefore is set this much in the past, for clients whose clock is slightly behind. */
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Pattern IPV4 = Pattern.compile("^\\d{1,3}(\\.\\d{1,3}){3}$");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path caFile;
    private final X509Certificate ca;
    private final X509Certificate server;
    private final PrivateKey serverKey;
    private SSLContext sslContext;

    private ServerCertificates(Path caFile, X509Certificate ca, X509Certificate server, PrivateKey serverKey) {
        this.caFile = caFile;
        this.ca = ca;
        this.server = server;
        this.serverKey = serverKey;
    }

    /**
     * Reads the CA and serving certificate from {@code STATE_DIR/tls/}, creating or re-issuing what is missing or no
     * longer good (see the class comment).
     *
     * @param bindHost the address agentboxd listens on; the serving certificate names it (a wildcard address: the
     *        host's interface addresses)
     */
    public static ServerCertificates loadOrCreate(Path stateDir, String bindHost, Clock clock) {
        Path dir = stateDir.resolve(DIR);
        try {
            if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new TlsFilesException(dir + " is not a directory (a symbolic link is not followed); agentboxd keeps its CA and serving certificate there. "
                        + "Move it away (agentboxd then creates a new CA, which clients must be given), or restore the directory");
            }
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            ownerOnly(dir);
            Instant now = clock.instant();
            // A start with good files does no signature or key arithmetic but one check that server.key belongs to
            // server.crt (measured: a cold JVM spends tens of ms per EC operation); ca.key is read only to issue.
            X509Certificate ca = readCertificate(dir.resolve(CA_CERT));
            String caProblem = caProblem(dir, ca, now);
            Set<String> wanted = subjectAltNames(bindHost);
            X509Certificate server = readCertificate(dir.resolve(SERVER_CERT));
            StoredKey serverKey = readKey(dir.resolve(SERVER_KEY));
            String reason = caProblem != null ? "the CA is new"
                    : server == null || serverKey == null ? "there is none"
                    : !serverKey.belongsTo(server.getPublicKey()) ? "server.key does not match server.crt"
                    : reissueReason(server, ca, wanted, now);
            PrivateKey key = serverKey == null ? null : serverKey.key();
            if (reason != null) {
                Issued caPair = null;
                if (caProblem == null) {
                    StoredKey caKey = readKey(dir.resolve(CA_KEY));
                    if (caKey != null && caKey.belongsTo(ca.getPublicKey())) caPair = new Issued(ca, caKey.key());
                    else caProblem = CA_KEY + (caKey == null ? " is missing or unreadable" : " does not match " + CA_CERT);
                }
                if (caPair == null && caProblem.startsWith(CA_CERT + " expires")) {
                    // the one damage-free reason to replace the CA: it is about to expire (after ~10 years)
                    log.warn("{} expires soon: creating a new certificate authority; clients must be given the new {}", dir.resolve(CA_CERT), CA_CERT);
                } else if (caPair == null && Files.exists(dir.resolve(CA_CERT))) {
                    // clients trust this CA: never replace a damaged one silently (that would also hide a tampered directory)
                    throw new TlsFilesException("agentboxd's TLS directory " + dir + " is damaged: " + caProblem + ". Restore "
                            + CA_CERT + " and " + CA_KEY + " from a backup, or delete " + dir + " to create a new CA at the next start "
                            + "(clients then need the new " + CA_CERT + ": rerun `agentbox kubeconfig`)");
                }
                if (caPair == null) {
                    if (Files.exists(dir.resolve(CA_CERT)) || Files.exists(dir.resolve(CA_KEY))) {
                        log.warn("creating a new certificate authority in {} because {}: clients that trusted the old {} must be given the new one",
                                dir, caProblem, CA_CERT);
                    }
                    caPair = newCa(now);
                    // the key first: a crash between the two leaves a pair that does not match, which is replaced at the next start
                    AtomicFiles.writePrivate(dir.resolve(CA_KEY), pem(caPair.key(), caPair.certificate().getPublicKey()));
                    AtomicFiles.writePrivate(dir.resolve(CA_CERT), pem(caPair.certificate()));
                    log.info("created agentboxd's certificate authority {} (valid until {}); clients trust it to reach the HTTPS port",
                            dir.resolve(CA_CERT), caPair.certificate().getNotAfter().toInstant());
                    ca = caPair.certificate();
                }
                Issued issued = issueServer(caPair, wanted, now.minus(BACKDATE), now.plus(SERVER_VALIDITY));
                AtomicFiles.writePrivate(dir.resolve(SERVER_KEY), pem(issued.key(), issued.certificate().getPublicKey()));
                AtomicFiles.writePrivate(dir.resolve(SERVER_CERT), pem(issued.certificate()));
                log.info("issued the HTTPS serving certificate {} ({}) for {}, valid until {}", dir.resolve(SERVER_CERT), reason, wanted,
                        issued.certificate().getNotAfter().toInstant());
                server = issued.certificate();
                key = issued.key();
            }
            return new ServerCertificates(dir.resolve(CA_CERT), ca, server, key);
        } catch (IOException e) {
            throw new TlsFilesException("cannot read or create agentboxd's TLS files in " + dir + ": " + e
                    + "; check that the directory and its files belong to the user agentboxd runs as", e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create agentboxd's TLS certificates in " + dir + ": " + e, e);
        }
    }

    /** The TLS directory cannot be used as it is; the message says what is wrong and what to do. */
    public static final class TlsFilesException extends IllegalStateException {
        TlsFilesException(String message) {
            super(message);
        }

        TlsFilesException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Makes every file in the TLS directory owner-only again (a key someone made readable to others is no secret any
     * more, but agentboxd cannot tell whether it was read: it logs that, so that the owner can decide to replace it).
     */
    private static void ownerOnly(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                var mode = Files.getPosixFilePermissions(f);
                if (mode.equals(PosixFilePermissions.fromString("rw-------"))) continue;
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
                log.warn("{} was {}: made it owner-only (0600){}", f, PosixFilePermissions.toString(mode),
                        f.getFileName().toString().endsWith(".key") ? "; if others may have read it, delete " + dir + " to create new keys" : "");
            }
        }
    }

    /** {@code STATE_DIR/tls/ca.crt}: the certificate clients trust. */
    public Path caFile() {
        return caFile;
    }

    public X509Certificate caCertificate() {
        return ca;
    }

    public X509Certificate serverCertificate() {
        return server;
    }

    /** The server-side SSLContext presenting the serving certificate (with the CA in its chain); made once. */
    public synchronized SSLContext sslContext() {
        if (sslContext == null) sslContext = newSslContext();
        return sslContext;
    }

    private SSLContext newSslContext() {
        try {
            // a key manager of its own rather than a PKCS12 key store: that one encrypts the key with PBKDF2 on the way in
            // and decrypts it on the way out (measured: ~0.5 s of agentboxd's start in a cold JVM)
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new KeyManager[] {new OneKey(serverKey, new X509Certificate[] {server, ca})}, null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the TLS context from " + caFile.getParent() + ": " + e, e);
        }
    }

    /** The key manager of the HTTPS port: one key and its chain, for any key type the key is. */
    private static final class OneKey extends X509ExtendedKeyManager {
        private static final String ALIAS = "agentboxd";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        OneKey(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        private String alias(String keyType) {
            return key.getAlgorithm().equals(keyType) ? ALIAS : null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return alias(keyType);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return alias(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return alias(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** Why the stored CA cannot be used (missing, unreadable, not a CA, expiring), or null. ca.key is checked only when it is needed. */
    private static String caProblem(Path dir, X509Certificate ca, Instant now) {
        if (ca == null) return Files.exists(dir.resolve(CA_CERT)) ? CA_CERT + " is unreadable" : CA_CERT + " is missing";
        if (ca.getBasicConstraints() < 0) return CA_CERT + " is not a CA certificate";
        if (!ca.getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))) return CA_CERT + " expires on " + ca.getNotAfter().toInstant();
        return null;
    }

    /**
     * Why a serving certificate must be issued again, or null when it can be kept: it is not the CA's (its issuer and
     * authority key identifier are not the CA's subject and key identifier), is not valid yet, expires within
     * {@link #RENEW_BEFORE}, or lacks one of the wanted subject alternative names ({@code IP:127.0.0.1},
     * {@code DNS:localhost}, as {@link #subjectAltNames} gives them). The signature itself is left to the clients: the
     * files are agentboxd's own, in its 0700 directory.
     */
    static String reissueReason(X509Certificate server, X509Certificate ca, Set<String> wantedSans, Instant now) {
        byte[] authority = keyIdentifier(server, Extension.authorityKeyIdentifier);
        if (!server.getIssuerX500Principal().equals(ca.getSubjectX500Principal()) || authority == null
                || !Arrays.equals(authority, keyIdentifier(ca, Extension.subjectKeyIdentifier))) {
            return "it is not signed by the CA in " + CA_CERT;
        }
        if (server.getNotBefore().toInstant().isAfter(now)) return "it is not valid before " + server.getNotBefore().toInstant();
        Instant notAfter = server.getNotAfter().toInstant();
        if (!notAfter.isAfter(now.plus(RENEW_BEFORE))) {
            return notAfter.isAfter(now) ? "it expires on " + notAfter : "it expired on " + notAfter;
        }
        Set<String> has = subjectAltNamesOf(server);
        Set<String> missing = new TreeSet<>(wantedSans);
        missing.removeAll(has);
        if (!missing.isEmpty()) return "it does not name " + String.join(", ", missing);
        return null;
    }

    /**
     * The names the serving certificate must hold, as {@code IP:address} (normalised) and {@code DNS:name}: loopback
     * (127.0.0.1, ::1, localhost) and the bind host; for a wildcard bind (0.0.0.0, ::) the addresses of the host's
     * interfaces that are up (not link-local), which change with the network and then cause a re-issue at start.
     */
    static Set<String> subjectAltNames(String bindHost) {
        Set<String> names = new LinkedHashSet<>(List.of("IP:127.0.0.1", "IP:" + normalise("::1"), "DNS:localhost"));
        String host = bindHost == null ? "" : bindHost.strip();
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        if (host.isEmpty()) return names;
        if (isIpLiteral(host)) {
            InetAddress a = literal(host);
            if (a.isAnyLocalAddress()) names.addAll(interfaceAddresses());
            else names.add("IP:" + a.getHostAddress());
        } else {
            names.add("DNS:" + host.toLowerCase(Locale.ROOT));
        }
        return names;
    }

    static boolean isIpLiteral(String host) {
        return IPV4.matcher(host).matches() || host.contains(":");
    }

    private static InetAddress literal(String host) {
        try {
            return InetAddress.getByName(host); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + host, e);
        }
    }

    private static String normalise(String ip) {
        return literal(ip).getHostAddress();
    }

    private static List<String> interfaceAddresses() {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) continue;
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a.isLinkLocalAddress() || a.isLoopbackAddress()) continue;
                    String s = a.getHostAddress();
                    int scope = s.indexOf('%');
                    out.add("IP:" + (scope >= 0 ? s.substring(0, scope) : s));
                }
            }
        } catch (SocketException e) {
            log.warn("cannot list the network interfaces for the serving certificate's names: {}", e.toString());
        }
        Collections.sort(out);
        return out;
    }

    static Set<String> subjectAltNamesOf(X509Certificate cert) {
        Set<String> out = new TreeSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) return out;
            for (List<?> san : sans) {
                int type = (Integer) san.get(0);
                if (type == GeneralName.dNSName) out.add("DNS:" + san.get(1).toString().toLowerCase(Locale.ROOT));
                else if (type == GeneralName.iPAddress) out.add("IP:" + normalise(san.get(1).toString()));
            }
        } catch (CertificateException | RuntimeException e) {
            return Set.of(); // unreadable names: treated as none
        }
        return out;
    }

    /** A certificate and its private key. */
    record Issued(X509Certificate certificate, PrivateKey key) {}

    /** The key identifier of a certificate's subject or authority key identifier extension, or null. */
    private static byte[] keyIdentifier(X509Certificate cert, ASN1ObjectIdentifier extension) {
        byte[] value = cert.getExtensionValue(extension.getId());
        if (value == null) return null;
        try {
            byte[] inner = ASN1OctetString.getInstance(value).getOctets();
            return extension.equals(Extension.subjectKeyIdentifier) ? SubjectKeyIdentifier.getInstance(inner).getKeyIdentifier()
                    : AuthorityKeyIdentifier.getInstance(inner).getKeyIdentifier();
        } catch (RuntimeException e) {
            return null;
        }
    }

    static Issued newCa(Instant now) throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair pair = newKeyPair();
        X500Name name = new X500Name("CN=agentboxd CA " + Long.toHexString(RANDOM.nextLong() >>> 1) + ",O=agentbox");
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)),
                name, pair.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
        return new Issued(sign(b, pair.getPrivate()), pair.getPrivate());
    }

    /** A serving certificate for {@code sans} ({@link #subjectAltNames}' form), signed by the CA. */
    static Issued issueServer(Issued ca, Set<String> sans, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair pair = newKeyPair();
        List<GeneralName> names = new ArrayList<>();
        for (String san : sans) {
            if (san.startsWith("IP:")) names.add(new GeneralName(GeneralName.iPAddress, san.substring(3)));
            else if (san.startsWith("DNS:")) names.add(new GeneralName(GeneralName.dNSName, san.substring(4)));
            else throw new IllegalArgumentException("a subject alternative name is IP:address or DNS:name, got " + san);
        }
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(), Date.from(notBefore), Date.from(notAfter),
                new X500Name("CN=agentboxd,O=agentbox"), pair.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
        return new Issued(sign(b, ca.key()), pair.getPrivate());
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(126); // positive, 16 bytes, never 0
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws OperatorCreationException, CertificateException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
    }

    /** True when the private key belongs to the public key (a signature made with one verifies with the other). */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        try {
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            String alg = key.getAlgorithm().equals("EC") ? SIGNATURE : "SHA256with" + key.getAlgorithm();
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    static String pem(Object o) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            if (o instanceof PemObject p) pw.writeObject(p);
            else pw.writeObject(o);
        }
        return w.toString();
    }

    /** The first certificate in a PEM file, or null when it is missing or does not parse. */
    static X509Certificate readCertificate(Path file) {
        try {
            if (!Files.isRegularFile(file)) return null;
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(file)));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            log.warn("{} does not hold a readable certificate ({}); it is replaced", file, e.toString());
            return null;
        }
    }

    /**
     * A private key as stored, with the public key its file holds (agentboxd writes it into the PKCS#8 structure, as
     * OpenSSL does) so that a start can tell the key belongs to its certificate by comparing bytes.
     *
     * @param publicKey the public key's bits as in a certificate's subjectPublicKeyInfo; null when the file has none
     */
    record StoredKey(PrivateKey key, byte[] publicKey) {
        /** True when this is the private key of {@code pub}. */
        boolean belongsTo(PublicKey pub) {
            if (publicKey != null) return Arrays.equals(publicKey, SubjectPublicKeyInfo.getInstance(pub.getEncoded()).getPublicKeyData().getOctets());
            return matches(key, pub); // a file without the public key: one signature made and checked
        }
    }

    /** The private key in a PEM file (PKCS#8, or OpenSSL's EC and RSA forms), or null when it is missing or does not parse. */
    static StoredKey readKey(Path file) {
        try {
            if (!Files.isRegularFile(file)) return null;
            try (PEMParser p = new PEMParser(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
                Object o = p.readObject();
                PrivateKeyInfo info = o instanceof PrivateKeyInfo i ? i : o instanceof PEMKeyPair kp ? kp.getPrivateKeyInfo() : null;
                if (info == null) {
                    log.warn("{} does not hold a private key; it is replaced", file);
                    return null;
                }
                boolean ec = info.getPrivateKeyAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey);
                PrivateKey key = KeyFactory.getInstance(ec ? "EC" : "RSA").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
                ASN1BitString pub = ec ? ECPrivateKey.getInstance(info.parsePrivateKey()).getPublicKey() : null;
                if (pub == null && o instanceof PEMKeyPair kp && kp.getPublicKeyInfo() != null) pub = kp.getPublicKeyInfo().getPublicKeyData();
                return new StoredKey(key, pub == null ? null : pub.getOctets());
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            log.warn("{} does not hold a readable private key ({}); it is replaced", file, e.toString());
            return null;
        }
    }

    /** A key pair as PEM (PKCS#8 "PRIVATE KEY"), with the public key in it for an EC key (see {@link StoredKey}). */
    static String pem(PrivateKey key, PublicKey pub) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        if (info.getPrivateKeyAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            ECPrivateKey ec = ECPrivateKey.getInstance(info.parsePrivateKey());
            ASN1BitString bits = SubjectPublicKeyInfo.getInstance(pub.getEncoded()).getPublicKeyData();
            int orderBits = ((java.security.interfaces.ECPrivateKey) key).getParams().getOrder().bitLength();
            info = new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), new ECPrivateKey(orderBits, ec.getKey(), bits, null));
        }
        return pem(new PemObject("PRIVATE KEY", info.getEncoded()));
    }
}
