package dev.agentbox.client;

import dev.agentbox.api.InvalidException;
import dev.agentbox.client.internal.HttpSandboxClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import javax.net.ssl.SSLContext;

/**
 * Entry point of the agentbox SDK.
 *
 * <pre>{@code
 * try (SandboxClient client = SandboxClient.fromEnvironment();
 *      Sandbox sandbox = client.createSandbox("python-pool")) {
 *     CommandResult r = sandbox.commands().run("python3 -c 'print(6*7)'");
 * }
 * }</pre>
 *
 * The built-in backend speaks agentboxd's HTTP API; other backends (Kubernetes) plug in through
 * {@link SandboxClientProvider}.
 */
public interface SandboxClient extends AutoCloseable {

    String DEFAULT_NAMESPACE = "default";

    /**
     * A client configured from the environment: the backend named by {@code AGENTBOX_BACKEND} (default
     * {@code local}); for the local backend the endpoint and token from {@code AGENTBOX_URL} /
     * {@code AGENTBOX_TOKEN}, else from the files {@code endpoint} and {@code admin.token} in
     * {@code $AGENTBOX_HOME} (default {@code ~/.agentbox}); for an https endpoint the CA certificate from
     * {@code AGENTBOX_CA_FILE}, else {@code tls/ca.crt} there; the namespace from {@code AGENTBOX_NAMESPACE}.
     */
    static SandboxClient fromEnvironment() {
        Map<String, String> env = System.getenv();
        String backend = env.getOrDefault("AGENTBOX_BACKEND", "local");
        if (backend.isBlank() || backend.equals("local") || backend.equals("http")) return builder().build();
        for (SandboxClientProvider p : ServiceLoader.load(SandboxClientProvider.class)) {
            if (p.name().equals(backend)) return p.fromEnvironment(env);
        }
        throw new InvalidException("AGENTBOX_BACKEND", "no backend named \"" + backend
                + "\" on the class path; use local, or add the module that provides it");
    }

    static Builder builder() {
        return new Builder(System.getenv(), defaultHome(System.getenv()));
    }

    /** The namespace this client works in unless told otherwise. */
    String namespace();

    /** Claims a sandbox from the warm pool and waits until it is Ready (at most 60 s). */
    default Sandbox createSandbox(String warmPool) {
        return createSandbox(warmPool, CreateOptions.defaults());
    }

    /**
     * Creates a SandboxClaim on the warm pool and waits until its Ready condition is True. On agentboxd this is one
     * request when the pool has a ready member ({@code POST ...?wait=Ready}: the claim is bound in the request and
     * answered Ready); otherwise, or on a server without that extension, it waits on a watch of the claim.
     *
     * @throws dev.agentbox.api.SandboxTimeoutException when it is not Ready within the options' timeout
     *         (the message names the claim and its last condition; the claim is deleted)
     * @throws dev.agentbox.api.SandboxFailedException when the claim fails for good (its sandbox failed or expired)
     */
    Sandbox createSandbox(String warmPool, CreateOptions options);

    /** A handle to an existing, running sandbox by its Sandbox name (not owned: close() leaves it running). */
    Sandbox attach(String sandboxName);

    /** A handle to the sandbox bound to an existing claim (not owned); the claim must be bound. */
    Sandbox attachClaim(String claimName);

    /** Generic resource access (templates, pools, claims, sandboxes). */
    ResourceClient resources();

    ImageClient images();

    @Override
    void close();

    private static Path defaultHome(Map<String, String> env) {
        String home = env.get("AGENTBOX_HOME");
        if (home != null && !home.isBlank()) return Path.of(home);
        return Path.of(System.getProperty("user.home"), ".agentbox");
    }

    /** Configures the local (HTTP) backend. Unset values come from the environment, then the state directory. */
    final class Builder {
        private final Map<String, String> env;
        private Path home;
        private URI endpoint;
        private Path caFile;
        private String token;
        private String namespace;
        private Duration requestTimeout = Duration.ofMinutes(2);

        Builder(Map<String, String> env, Path home) {
            this.env = env;
            this.home = home;
        }

        public Builder endpoint(URI endpoint) { this.endpoint = endpoint; return this; }

        public Builder endpoint(String endpoint) {
            return endpoint(endpoint == null ? null : URI.create(endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint));
        }

        public Builder token(String token) { this.token = token; return this; }
        public Builder namespace(String namespace) { this.namespace = namespace; return this; }
        /** Limit for ordinary requests (not watches, not exec, which run as long as the command). */
        public Builder requestTimeout(Duration timeout) { this.requestTimeout = timeout; return this; }
        /** The state directory to read {@code endpoint}, {@code admin.token} and {@code tls/ca.crt} from. */
        public Builder stateDir(Path dir) { this.home = dir; return this; }

        /**
         * The CA certificate (PEM) an https endpoint's certificate must chain to: agentboxd's {@code STATE_DIR/tls/ca.crt}.
         * Only the certificates in it are trusted.
         */
        public Builder caFile(Path file) { this.caFile = file; return this; }

        /**
         * The agentboxd address {@link #build()} uses: the one set, else {@code AGENTBOX_URL}, else the state directory's
         * {@code endpoint} file, else {@code https://127.0.0.1:7878}.
         */
        public URI resolveEndpoint() {
            URI ep = endpoint;
            if (ep == null && notBlank(env.get("AGENTBOX_URL"))) ep = URI.create(strip(env.get("AGENTBOX_URL")));
            if (ep == null) {
                String fromFile = readIfExists(home.resolve("endpoint"));
                ep = URI.create(fromFile != null ? strip(fromFile) : "https://127.0.0.1:7878");
            }
            return ep;
        }

        /**
         * The CA certificate {@link #build()} trusts for an https endpoint: the one set, else {@code AGENTBOX_CA_FILE},
         * else the state directory's {@code tls/ca.crt} when it exists, else null (then the JDK's default trust store,
         * for an agentboxd behind a proxy with a publicly trusted certificate).
         */
        public Path resolveCaFile() {
            if (caFile != null) return caFile;
            if (notBlank(env.get("AGENTBOX_CA_FILE"))) return Path.of(env.get("AGENTBOX_CA_FILE").trim());
            Path inHome = home.resolve(AgentboxTls.CA_FILE);
            return Files.isRegularFile(inHome) ? inHome : null;
        }

        /** The bearer token {@link #build()} sends: the one set, else {@code AGENTBOX_TOKEN}, else the state directory's {@code admin.token}, else null. */
        public String resolveToken() {
            if (token != null) return token;
            if (notBlank(env.get("AGENTBOX_TOKEN"))) return env.get("AGENTBOX_TOKEN").trim();
            return readIfExists(home.resolve("admin.token"));
        }

        public SandboxClient build() {
            URI ep = resolveEndpoint();
            String tok = resolveToken();
            String ns = namespace;
            if (ns == null && notBlank(env.get("AGENTBOX_NAMESPACE"))) ns = env.get("AGENTBOX_NAMESPACE").trim();
            if (ns == null) ns = DEFAULT_NAMESPACE;
            String scheme = ep.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
                throw new InvalidException("endpoint", "\"" + ep + "\" is not an http(s) URL, e.g. https://127.0.0.1:7878");
            }
            Path ca = scheme.equals("https") ? resolveCaFile() : null;
            SSLContext tls = ca != null ? AgentboxTls.trusting(ca) : null;
            return new HttpSandboxClient(ep, tok, ns, requestTimeout, tls, ca);
        }

        private static boolean notBlank(String s) {
            return s != null && !s.isBlank();
        }

        private static String strip(String s) {
            s = s.trim();
            return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        }

        private static String readIfExists(Path file) {
            try {
                if (!Files.isRegularFile(file)) return null;
                String s = Files.readString(file, StandardCharsets.UTF_8).trim();
                return s.isEmpty() ? null : s;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
