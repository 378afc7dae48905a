package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.agentbox.api.AgentboxException;
import dev.agentbox.api.ForbiddenException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.UnauthorizedException;
import dev.agentbox.runtime.ImageStore;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.server.Admission;
import dev.agentbox.server.Metrics;
import dev.agentbox.server.auth.Principal;
import dev.agentbox.server.auth.Tokens;
import dev.agentbox.server.sandbox.LiveSandboxes;
import dev.agentbox.server.store.Store;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** agentboxd's HTTP API (see docs/http-api.md): routing, bearer-token auth, and errors as Status objects. */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    static {
        // TCP_NODELAY on accepted connections: a watch event is written as several small chunks, and with
        // Nagle's algorithm each one waits for the client's delayed ACK (measured: claim Ready reached the
        // SDK 15-60 ms after the store had it; with no delay, within a few ms). Read once, when the JDK's
        // HttpServer is first used, so it must be set before HttpServer.create.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
        // An answer given before the body was read (401, 403, 404, 405, 413, ...): on close the JDK's HttpServer reads
        // what is left of the body only up to drainAmount (default 64 KiB) and then closes the socket with the rest
        // unread, which makes the kernel reset the connection, and a client still sending loses the answer (seen by the
        // API fuzz test with java.net.http: 600 KB bodies to a 404 got "header parser received no bytes"). Draining up
        // to the request body limit costs no more than reading a valid body; past it the client may still see a reset.
        if (System.getProperty("sun.net.httpserver.drainAmount") == null) {
            System.setProperty("sun.net.httpserver.drainAmount", Integer.toString(HttpIO.MAX_REQUEST_BYTES));
        }
    }
    private static final Pattern RESOURCE = Pattern.compile(
            "^/apis/([^/]+)/([^/]+)(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+)(?:/([^/]+))?)?/?$");
    /** The core group's kinds (Event, ConfigMap, Secret): {@code /api/v1[/namespaces/{ns}]/{plural}[/{name}]}. */
    private static final Pattern CORE_RESOURCE = Pattern.compile("^/api/v1(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?/?$");
    private static final Pattern DATA_PLANE = Pattern.compile(
            "^/api/v1/namespaces/([^/]+)/sandboxes/([^/]+)/(exec|files|files/list|files/stat|files/mkdir|log|contexts(?:/ctx-[0-9a-f]{1,32}(?:/[a-z]+)?)?)$");

    private final HttpTransport transport;
    private final PortsHandler ports;
    private final HttpServer server;
    private final ObjectMapper mapper;
    private final Tokens tokens;
    private final Metrics metrics;
    private final ImageStore images;
    private final ImagePullHandler pulls;
    private final ResourceHandler resources;
    private final DataPlaneHandler dataPlane;
    private final LogHandler logs;
    private final DiscoveryHandler discovery;
    private final OpenApiHandler openApi;

    /**
     * @param tls the server's TLS context (HTTPS), or null for plain HTTP
     * @param puller pulls images for {@code POST /api/v1/images} with {@code pull: true}; null: pulls are refused
     * @param logFileOf the log file of a container id's main process (container null) or of one of its init containers, as the runtime keeps them
     * @param routerAddress where the router listener (upstream's sandbox-router protocol, see {@link PortsHandler}) listens,
     *        a loopback address; null: no router listener
     * @param routerRequiresToken whether the router asks for a bearer token (false: as upstream's router, no auth)
     */
    public ApiServer(InetSocketAddress address, SSLContext tls, Store store, Admission admission, Tokens tokens, LiveSandboxes live, Metrics metrics,
                     ImageStore images, dev.agentbox.runtime.ImagePuller puller, java.util.function.BiFunction<String, String, Path> logFileOf,
                     ObjectMapper mapper, InetSocketAddress routerAddress, boolean routerRequiresToken) throws IOException {
        this.pulls = puller == null ? null : new ImagePullHandler(puller, mapper);
        this.mapper = mapper;
        this.tokens = tokens;
        this.metrics = metrics;
        this.images = images;
        this.resources = new ResourceHandler(store, admission, mapper);
        this.dataPlane = new DataPlaneHandler(store, live, metrics, mapper);
        this.logs = new LogHandler(store, live, logFileOf);
        this.discovery = new DiscoveryHandler(mapper);
        this.openApi = new OpenApiHandler(mapper);
        // Jetty under the JDK's HttpServer API (see HttpTransport): the handlers below are unchanged;
        // proxy, port-forward and router routes (issue 12) see each request first
        this.ports = new PortsHandler(store, live, tokens, mapper, routerRequiresToken);
        this.transport = new HttpTransport(address, 256, tls, ports, routerAddress);
        this.server = transport.http();
        server.createContext("/", this::dispatch);
    }

    public void start() {
        server.start();
    }

    /**
     * What binds a claim created with {@code wait=Ready} in its own request (the daemon's ClaimRoundTrip); set before
     * {@link #start()}. Without one, such a create answers at once.
     */
    public void claimBinder(ClaimBinder binder) {
        resources.claimBinder(binder);
    }

    /** Binds a just-created SandboxClaim and waits (at most {@code timeout}) until it is Ready or finished; empty: deleted meanwhile. */
    @FunctionalInterface
    public interface ClaimBinder {
        java.util.Optional<? extends io.fabric8.kubernetes.api.model.HasMetadata> bindAndAwait(String ns, String name, java.time.Duration timeout)
                throws InterruptedException;
    }

    public int port() {
        return transport.port();
    }

    /** The router listener's port, or -1 when agentboxd runs none. */
    public int routerPort() {
        return transport.routerPort();
    }

    /** Open port-forwards and proxied connections (tests). */
    public int openStreams() {
        return ports.openStreams();
    }

    private void dispatch(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        String kindName = null;
        String objectName = null;
        try {
            if (path.equals("/healthz")) {
                HttpIO.requireMethod(ex, path, "GET");
                HttpIO.bytes(ex, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (path.equals("/metrics")) {
                HttpIO.requireMethod(ex, path, "GET");
                HttpIO.bytes(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
                return;
            }
            String authorization = ex.getRequestHeaders().getFirst("Authorization");
            Principal who = tokens.authenticate(authorization)
                    .orElseThrow(() -> new UnauthorizedException(
                            "missing or unknown bearer token; send 'Authorization: Bearer <token>' (the admin token is in "
                                    + tokens.adminTokenFile() + ")"));
            // long requests (a watch, an exec) ask this again every second, and end when the token has been revoked
            BooleanSupplier stillAuthorized = () -> tokens.authenticate(authorization).isPresent();
            // discovery and OpenAPI: any valid token (scoped ones too), as kube-apiserver lets authenticated users read them
            if (DiscoveryHandler.handles(path)) {
                discovery.handle(ex, path);
                return;
            }
            if (OpenApiHandler.handles(path)) {
                openApi.handle(ex, path);
                return;
            }
            Matcher m = DATA_PLANE.matcher(path);
            if (m.matches()) {
                kindName = "Sandbox";
                objectName = m.group(2);
                if (!who.mayAccess(m.group(1))) throw new ForbiddenException("token " + who.name() + " may not access namespace " + m.group(1));
                if (m.group(3).equals("log")) logs.handle(ex, m.group(1), m.group(2), stillAuthorized);
                else dataPlane.handle(ex, m.group(1), m.group(2), m.group(3), who, stillAuthorized);
                return;
            }
            Matcher core = CORE_RESOURCE.matcher(path);
            ResourceKind coreKind = core.matches() ? ResourceKinds.byPlural("", "v1", core.group(2)).orElse(null) : null;
            if (coreKind != null) {
                kindName = coreKind.kind();
                objectName = core.group(3);
                resources.handle(ex, who, coreKind, core.group(1), core.group(3), null, stillAuthorized);
                return;
            }
            Matcher r = RESOURCE.matcher(path);
            if (r.matches()) {
                ResourceKind kind = ResourceKinds.byPlural(r.group(1), r.group(2), r.group(4))
                        .orElseThrow(() -> new NotFoundException("the server does not serve " + r.group(1) + "/" + r.group(2) + " " + r.group(4)
                                + "; served kinds: " + ResourceKinds.all().stream().map(k -> k.apiVersion() + "/" + k.plural()).toList()));
                kindName = kind.kind();
                objectName = r.group(5);
                resources.handle(ex, who, kind, r.group(3), r.group(5), r.group(6), stillAuthorized);
                return;
            }
            if (path.equals("/api/v1/tokens")) {
                tokensEndpoint(ex, who);
                return;
            }
            if (path.equals("/api/v1/images")) {
                imagesEndpoint(ex, who);
                return;
            }
            throw new NotFoundException("no such path " + path + "; see docs/http-api.md");
        } catch (AgentboxException e) {
            respond(ex, e, kindName, objectName);
        } catch (RuntimeFailure e) {
            AgentboxException mapped = switch (e.kind()) {
                case NOT_FOUND -> new NotFoundException(e.getMessage());
                case INVALID -> new InvalidException(e.getMessage());
                case FAILED -> new SandboxFailedException(e.getMessage());
                case LIMIT -> new dev.agentbox.api.LimitExceededException(e.getMessage());
            };
            respond(ex, mapped, kindName, objectName);
        } catch (IllegalArgumentException e) {
            respond(ex, new InvalidException(e.getMessage()), kindName, objectName);
        } catch (IOException e) {
            log.debug("client connection failed on {}: {}", path, e.toString());
            ex.close();
        } catch (RuntimeException | Error e) { // an Error too: an unanswered exchange would hang the client forever
            if (e.getCause() instanceof IOException io) {
                // Jetty's HttpExchange wraps a write to a client that went away (a watch it closed) in a RuntimeException
                log.debug("client connection failed on {}: {}", path, io.toString());
                try {
                    ex.close();
                } catch (RuntimeException ignored) {
                    // the connection is gone already
                }
                return;
            }
            log.error("unexpected error on {} {}", ex.getRequestMethod(), path, e);
            respond(ex, new SandboxFailedException("internal error: " + e + "; see the agentboxd log"), kindName, objectName);
        }
    }

    /** What an error answer reads of an unread request body first (see {@link #drain}). */
    private static final long DRAIN_LIMIT = 8L * 1024 * 1024;

    /**
     * Reads the rest of a request body the handler did not want (at most {@link #DRAIN_LIMIT}): Jetty closes a
     * connection whose body is left unread right after the answer, and the client, still sending, then gets a reset
     * instead of the answer (the JDK server drained it). A bigger body is not read: that client gets the reset.
     */
    private static void drain(HttpExchange ex) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        try {
            if (length != null && Long.parseLong(length.trim()) > DRAIN_LIMIT) return;
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            for (int n; total <= DRAIN_LIMIT && (n = ex.getRequestBody().read(buf)) >= 0; ) total += n;
        } catch (IOException | RuntimeException ignored) {
            // the body broke off: the answer may still get through
        }
    }

    private void respond(HttpExchange ex, AgentboxException e, String kind, String name) {
        drain(ex);
        try {
            HttpIO.error(ex, mapper, e, kind, name);
        } catch (IOException | RuntimeException io) {
            ex.close(); // headers were already sent (a stream): nothing more to say
        }
    }

    private void tokensEndpoint(HttpExchange ex, Principal who) throws IOException {
        requireAdmin(who);
        HttpIO.requireMethod(ex, "/api/v1/tokens", "GET", "POST", "DELETE");
        switch (ex.getRequestMethod()) {
            case "POST" -> {
                JsonNode body = HttpIO.jsonObject(ex, "the token request");
                HashSet<String> namespaces = new HashSet<>();
                body.path("namespaces").forEach(n -> namespaces.add(n.asText()));
                String name = body.path("name").asText(null);
                String secret = tokens.create(name, namespaces);
                HttpIO.json(ex, 201, mapper, Map.of("name", name, "token", secret, "namespaces", List.copyOf(namespaces)));
            }
            case "GET" -> HttpIO.json(ex, 200, mapper, tokens.list().stream()
                    .map(t -> Map.of("name", t.name(), "namespaces", List.copyOf(t.namespaces()))).toList());
            case "DELETE" -> {
                String name = HttpIO.query(ex).get("name");
                if (name == null || name.isEmpty()) throw new HttpIO.BadRequest("name: query parameter required, e.g. DELETE /api/v1/tokens?name=ci");
                if (!tokens.revoke(name)) throw new NotFoundException("token " + name + " not found");
                HttpIO.bytes(ex, 204, "text/plain", new byte[0]);
            }
            default -> throw new IllegalStateException("unreachable: the method was checked");
        }
    }

    private void imagesEndpoint(HttpExchange ex, Principal who) throws IOException, RuntimeFailure {
        HttpIO.requireMethod(ex, "/api/v1/images", "GET", "POST");
        switch (ex.getRequestMethod()) {
            case "GET" -> HttpIO.json(ex, 200, mapper, images.list().stream().map(n -> Map.of("name", n)).toList());
            case "POST" -> {
                requireAdmin(who);
                JsonNode body = HttpIO.jsonObject(ex, "the image request");
                String name = body.path("name").asText("");
                String source = body.path("source").asText("");
                if (name.isEmpty()) throw new InvalidException("name", "required, e.g. python:3.12");
                if (body.path("pull").asBoolean(false)) {
                    if (!source.isEmpty()) throw new InvalidException("source", "give either source (an import) or pull: true, not both");
                    if (pulls == null) throw new InvalidException("pull", "this agentboxd pulls no images");
                    pulls.pull(ex, name, dev.agentbox.runtime.ImagePuller.Policy.parse(body.path("policy").asText(""), "policy"));
                    return;
                }
                if (source.isEmpty() || !Path.of(source).isAbsolute()) throw new InvalidException("source", "an absolute path of a rootfs directory or image tar on the daemon's host");
                images.importImage(name, Path.of(source));
                HttpIO.json(ex, 201, mapper, Map.of("name", name));
            }
            default -> throw new IllegalStateException("unreachable: the method was checked");
        }
    }

    private static void requireAdmin(Principal who) {
        if (!who.admin()) throw new ForbiddenException("this needs the admin token");
    }

    @Override
    public void close() {
        transport.close();
        dataPlane.close();
    }
}
