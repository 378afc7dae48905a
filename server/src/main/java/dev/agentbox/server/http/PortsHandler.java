package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.AgentboxException;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.ForbiddenException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.UnauthorizedException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.server.auth.Principal;
import dev.agentbox.server.auth.Tokens;
import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.server.sandbox.LiveSandboxes;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.ContainerPort;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes that reach servers inside sandboxes (issue 12, "ports without a network"); Jetty handlers, since they need
 * the raw connection (see {@link HttpTransport}):
 * <ul>
 *   <li>{@code /api/v1/namespaces/{ns}/sandboxes/{name}[:{port}]/proxy/{path}}: any HTTP request (and WebSocket
 *       upgrades) forwarded to that port inside the sandbox, as the Kubernetes API server's pods/proxy;</li>
 *   <li>{@code GET /api/v1/namespaces/{ns}/sandboxes/{name}/portforward?port=N}: a WebSocket whose binary messages
 *       are the bytes of one TCP connection to port N inside ({@code agentbox port-forward}, {@code ports().connect});</li>
 *   <li>every request on the router listener ({@code agentbox serve --router-listen}): upstream agent-sandbox's
 *       sandbox-router protocol, the sandbox named by {@code X-Sandbox-ID}/{@code X-Sandbox-Namespace}/{@code X-Sandbox-Port}.</li>
 * </ul>
 * Auth is the API's: a bearer token that may access the namespace (403 otherwise, as for exec); the router checks it
 * too unless started with {@code --router-no-auth}. The token is never passed to the server inside. A stream whose
 * token is revoked ends within about a second. Every connect into a sandbox has a timeout ({@link #CONNECT_TIMEOUT}).
 * Other requests go on to the API ({@code false} from {@link #handle}).
 */
public final class PortsHandler extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(PortsHandler.class);
    /** How long agentboxd waits for a connection to a port inside a sandbox. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long an open port-forward or upgraded (WebSocket) proxy connection may carry no byte at all before it is
     * closed: the kubelet's default streaming-connection-idle-timeout.
     */
    static final Duration STREAM_IDLE_TIMEOUT = Duration.ofHours(4);
    /** Upstream's defaults (sandbox-router): namespace and port when the headers leave them out. */
    static final String ROUTER_DEFAULT_NAMESPACE = "default";
    static final int ROUTER_DEFAULT_PORT = 8888;

    private static final String PREFIX = "/api/v1/namespaces/";
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private final Store store;
    private final LiveSandboxes live;
    private final Tokens tokens;
    private final ObjectMapper mapper;
    private final boolean routerRequiresToken;
    private final Map<Object, Stream> streams = new ConcurrentHashMap<>();
    private final ScheduledExecutorService revocations = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("agentboxd-stream-auth").factory());

    /**
     * @param routerRequiresToken whether the router listener asks for a bearer token as the API does (the default);
     *        false matches upstream's router exactly (no auth: anyone who reaches the port reaches every sandbox)
     */
    public PortsHandler(Store store, LiveSandboxes live, Tokens tokens, ObjectMapper mapper, boolean routerRequiresToken) {
        this.store = store;
        this.live = live;
        this.tokens = tokens;
        this.mapper = mapper;
        this.routerRequiresToken = routerRequiresToken;
        revocations.scheduleWithFixedDelay(this::endRevoked, 1, 1, TimeUnit.SECONDS);
    }

    /** Where a request goes: a port inside a sandbox. */
    record Target(String namespace, String name, int port) {
        String describe() {
            return "port " + port + " of sandbox " + namespace + "/" + name;
        }
    }

    /** A long-lived stream (a port-forward or an upgraded proxy connection) and how to end it when its token is revoked. */
    record Stream(String authorization, Runnable end) {}

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        boolean router = HttpTransport.ROUTER_CONNECTOR.equals(request.getConnectionMetaData().getConnector().getName());
        String path = request.getHttpURI().getPath();
        try {
            request.getHttpURI().toURI(); // what the HttpExchange handlers get; Jetty's parser lets through what java.net.URI refuses
        } catch (IllegalArgumentException e) {
            String why = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
            if (router) routerError(response, callback, 400, "malformed request URI: " + why);
            else status(request, response, callback, new HttpIO.BadRequest("malformed request URI (" + why + "); percent-encode '%' as %25"), "", null);
            return true;
        }
        if (router) {
            Thread.ofVirtual().name("agentboxd-router").start(() -> router(request, response, callback));
            return true;
        }
        if (path == null || !path.startsWith(PREFIX)) return false;
        Route route = Route.parse(path);
        if (route == null) return false;
        Thread.ofVirtual().name("agentboxd-" + route.action()).start(() -> api(route, request, response, callback));
        return true;
    }

    /** A parsed proxy or port-forward path, from the raw (still encoded) path. */
    record Route(String namespace, String nameAndPort, String action, String rest) {
        /** null when the path is none of ours (then the API answers it, usually with a 404). */
        static Route parse(String rawPath) {
            String tail = rawPath.substring(PREFIX.length());
            int a = tail.indexOf('/');
            if (a < 0) return null;
            String ns = tail.substring(0, a);
            if (!tail.startsWith("sandboxes/", a + 1)) return null;
            int b = a + 1 + "sandboxes/".length();
            int c = tail.indexOf('/', b);
            if (c < 0) return null;
            String nameAndPort = tail.substring(b, c);
            String after = tail.substring(c + 1);
            if (after.equals("portforward")) return new Route(ns, nameAndPort, "portforward", "");
            if (after.equals("proxy")) return new Route(ns, nameAndPort, "proxy", "/");
            if (after.startsWith("proxy/")) return new Route(ns, nameAndPort, "proxy", after.substring("proxy".length()));
            return null;
        }
    }

    // ---- the API listener: proxy and port-forward

    private void api(Route route, Request request, Response response, Callback callback) {
        String kindName = "Sandbox";
        try {
            String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
            Principal who = authenticate(authorization);
            checkName(route.namespace(), route.nameAndPort(), route.action());
            if (!who.mayAccess(route.namespace())) {
                throw new ForbiddenException("token " + who.name() + " may not access namespace " + route.namespace());
            }
            if (route.action().equals("portforward")) {
                if (route.nameAndPort().contains(":")) throw new HttpIO.BadRequest("portforward takes the port as ?port=N, not in the sandbox name");
                Fields query = Request.extractQueryParameters(request);
                String port = query.getValue("port");
                if (port == null || port.isEmpty()) throw new InvalidException("port", "query parameter required, e.g. ?port=8000");
                Sandbox sandbox = sandbox(route.namespace(), route.nameAndPort());
                Target target = new Target(route.namespace(), route.nameAndPort(), resolvePort(sandbox, port));
                RunningSandbox running = running(target);
                PortForwardSocket.upgrade(this, request, response, callback, running, target, authorization);
                return;
            }
            String[] np = splitPort(route.nameAndPort());
            Sandbox sandbox = sandbox(route.namespace(), np[0]);
            Target target = new Target(route.namespace(), np[0], np[1] == null ? defaultPort(sandbox) : resolvePort(sandbox, np[1]));
            RunningSandbox running = running(target);
            String prefix = PREFIX + route.namespace() + "/sandboxes/" + route.nameAndPort() + "/proxy";
            SandboxHttpProxy.Options options = new SandboxHttpProxy.Options(true, prefix, authorization);
            new SandboxHttpProxy(this, request, response, callback, running, target, route.rest(), options).run();
        } catch (AgentboxException e) {
            status(request, response, callback, e, kindName, route.nameAndPort());
        } catch (RuntimeException | Error e) {
            log.error("unexpected error on {} {}", request.getMethod(), request.getHttpURI().getPath(), e);
            status(request, response, callback, new dev.agentbox.api.SandboxFailedException("internal error: " + e + "; see the agentboxd log"), kindName, null);
        }
    }

    private Principal authenticate(String authorization) {
        return tokens.authenticate(authorization).orElseThrow(() -> new UnauthorizedException(
                "missing or unknown bearer token; send 'Authorization: Bearer <token>' (the admin token is in " + tokens.adminTokenFile() + ")"));
    }

    /** The namespace and name segments as the raw path has them: a DNS label and subdomain, so no '..', '%' or '/'. */
    private static void checkName(String namespace, String nameAndPort, String action) {
        if (!DNS_LABEL.matcher(namespace).matches()) {
            throw new HttpIO.BadRequest("invalid namespace \"" + namespace + "\" in the path: a namespace is a DNS label (lower-case letters, digits and '-')");
        }
        String name = nameAndPort.contains(":") ? nameAndPort.substring(0, nameAndPort.indexOf(':')) : nameAndPort;
        if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
            throw new HttpIO.BadRequest("invalid sandbox name \"" + name + "\" in the path: use .../sandboxes/NAME[:PORT]/" + action
                    + ", where NAME is a DNS subdomain (lower-case letters, digits, '-' and '.')");
        }
    }

    /** {@code name}, {@code name:port}, {@code name:portName} or {@code http:name:port}, as pods/proxy takes them. */
    private static String[] splitPort(String nameAndPort) {
        String[] parts = nameAndPort.split(":", -1);
        return switch (parts.length) {
            case 1 -> new String[] {parts[0], null};
            case 2 -> new String[] {parts[0], parts[1]};
            case 3 -> {
                if (parts[0].equals("https")) {
                    throw new HttpIO.BadRequest("https to a server inside a sandbox is not supported: the connection into the sandbox never "
                            + "leaves the host; use .../sandboxes/" + parts[1] + ":" + parts[2] + "/proxy/");
                }
                if (!parts[0].equals("http") && !parts[0].isEmpty()) {
                    throw new HttpIO.BadRequest("unknown scheme " + parts[0] + " in " + nameAndPort + "; use NAME:PORT or http:NAME:PORT");
                }
                yield new String[] {parts[1], parts[2]};
            }
            default -> throw new HttpIO.BadRequest("malformed sandbox and port \"" + nameAndPort + "\"; use NAME:PORT, e.g. web:8000");
        };
    }

    private Sandbox sandbox(String ns, String name) {
        return store.get(Sandbox.class, ns, name).orElseThrow(() -> new NotFoundException(
                "sandbox " + ns + "/" + name + " not found; list them with `agentbox get sandboxes -n " + ns + "`"));
    }

    private RunningSandbox running(Target t) {
        Optional<RunningSandbox> sandbox = live.get(new ObjectKey(t.namespace(), t.name()));
        if (sandbox.isPresent() && sandbox.get().isAlive()) return sandbox.get();
        throw new ConflictException("sandbox " + t.namespace() + "/" + t.name() + " is not running (starting, suspended, expired or failed); "
                + "wait until it is Ready: `agentbox get sandbox " + t.name() + " -n " + t.namespace() + "`", false);
    }

    private static List<ContainerPort> ports(Sandbox sandbox) {
        var spec = sandbox.getSpec() == null || sandbox.getSpec().getPodTemplate() == null ? null : sandbox.getSpec().getPodTemplate().getSpec();
        if (spec == null || spec.getContainers() == null) return List.of();
        List<ContainerPort> out = new java.util.ArrayList<>();
        for (io.fabric8.kubernetes.api.model.Container c : spec.getContainers()) if (c.getPorts() != null) out.addAll(c.getPorts());
        return out;
    }

    /** The first declared containerPort, else 80 (as pods/proxy without a port). */
    static int defaultPort(Sandbox sandbox) {
        for (ContainerPort p : ports(sandbox)) if (p.getContainerPort() != null) return p.getContainerPort();
        return 80;
    }

    /** A port number, or the name of a declared container port. */
    static int resolvePort(Sandbox sandbox, String port) {
        if (port.matches("\\d{1,5}")) {
            int n = Integer.parseInt(port);
            if (n >= 1 && n <= 65535) return n;
        } else if (PORT_NAME.matcher(port).matches()) {
            for (ContainerPort p : ports(sandbox)) {
                if (port.equals(p.getName()) && p.getContainerPort() != null) return p.getContainerPort();
            }
            throw new NotFoundException("sandbox " + sandbox.getMetadata().getName() + " declares no container port named " + port
                    + "; give a port number, or one of " + ports(sandbox).stream().map(p -> p.getName() + "=" + p.getContainerPort()).toList());
        }
        throw new HttpIO.BadRequest("invalid port \"" + port + "\": use a number 1..65535 or the name of a container port");
    }

    /** Connects to the target's port; a refusal or a timeout is a 502 that names the port. */
    RunningSandbox.SandboxSocket connect(RunningSandbox sandbox, Target target) {
        try {
            return sandbox.connect(target.port(), CONNECT_TIMEOUT);
        } catch (RuntimeFailure e) {
            String why = switch (e.kind()) {
                case NOT_FOUND -> "nothing listens on " + target.describe() + " (connection refused); start a server on 127.0.0.1:" + target.port()
                        + " or 0.0.0.0:" + target.port() + " inside it";
                case INVALID -> "invalid " + target.describe() + ": " + e.getMessage();
                default -> "cannot connect to " + target.describe() + ": " + e.getMessage();
            };
            throw new BadGateway(why);
        }
    }

    // ---- the router listener (upstream agent-sandbox's sandbox-router protocol)

    private void router(Request request, Response response, Callback callback) {
        try {
            if (request.getHttpURI().getPath().equals("/healthz") && request.getHeaders().get("X-Sandbox-ID") == null) {
                detail(response, callback, 200, "{\"status\":\"ok\"}");
                return;
            }
            String id = request.getHeaders().get("X-Sandbox-ID");
            if (id == null || id.isEmpty()) {
                routerError(response, callback, 400, "X-Sandbox-ID header is required.");
                return;
            }
            String ns = request.getHeaders().get("X-Sandbox-Namespace");
            if (ns == null || ns.isEmpty()) ns = ROUTER_DEFAULT_NAMESPACE;
            if (!ns.matches("[A-Za-z0-9-]*[A-Za-z0-9][A-Za-z0-9-]*")) {
                routerError(response, callback, 400, "Invalid namespace format.");
                return;
            }
            String rawPort = request.getHeaders().get("X-Sandbox-Port");
            int port = ROUTER_DEFAULT_PORT;
            if (rawPort != null && !rawPort.isEmpty()) {
                if (!rawPort.matches("\\d{1,5}") || Integer.parseInt(rawPort) < 1 || Integer.parseInt(rawPort) > 65535) {
                    routerError(response, callback, 400, "Invalid port format.");
                    return;
                }
                port = Integer.parseInt(rawPort);
            }
            String authorization = null;
            if (routerRequiresToken) {
                authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
                Optional<Principal> who = tokens.authenticate(authorization);
                if (who.isEmpty()) {
                    routerError(response, callback, 401, "missing or unknown bearer token; send 'Authorization: Bearer <token>' of agentboxd "
                            + "(this router was started without --router-no-auth)");
                    return;
                }
                if (!who.get().mayAccess(ns)) {
                    routerError(response, callback, 403, "token " + who.get().name() + " may not access namespace " + ns);
                    return;
                }
            }
            Target target = new Target(ns, id, port);
            RunningSandbox running;
            try {
                if (!DNS_LABEL.matcher(ns).matches() || !DNS_SUBDOMAIN.matcher(id).matches()) throw new NotFoundException("no such sandbox");
                sandbox(ns, id);
                running = running(target);
            } catch (NotFoundException | ConflictException e) {
                // upstream answers 502 for a sandbox it cannot reach, whatever the reason; the detail says which
                routerError(response, callback, 502, "Could not connect to the backend sandbox: " + id + " (" + e.getMessage() + ")");
                return;
            }
            String path = request.getHttpURI().getPath();
            SandboxHttpProxy.Options options = new SandboxHttpProxy.Options(routerRequiresToken, null, authorization);
            new SandboxHttpProxy(this, request, response, callback, running, target, path, options).run();
        } catch (BadGateway e) {
            routerError(response, callback, 502, "Could not connect to the backend sandbox: " + request.getHeaders().get("X-Sandbox-ID") + " (" + e.getMessage() + ")");
        } catch (RuntimeException | Error e) {
            log.error("unexpected error on router request {} {}", request.getMethod(), request.getHttpURI().getPath(), e);
            routerError(response, callback, 500, "internal error: " + e + "; see the agentboxd log");
        }
    }

    private void routerError(Response response, Callback callback, int status, String detail) {
        try {
            detail(response, callback, status, mapper.writeValueAsString(Map.of("detail", detail)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            callback.failed(e);
        }
    }

    private static void detail(Response response, Callback callback, int status, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    // ---- errors, streams

    /** Answers with a Kubernetes Status object, as the API does; if the answer had begun, the connection is cut. */
    void status(Request request, Response response, Callback callback, AgentboxException e, String kind, String name) {
        if (response.isCommitted()) {
            callback.failed(e);
            return;
        }
        try {
            response.reset();
            if (e instanceof HttpIO.MethodNotAllowed) response.getHeaders().put(HttpHeader.ALLOW, "GET");
            byte[] body = mapper.writeValueAsBytes(HttpIO.status(mapper, e, kind, name));
            response.setStatus(e.httpStatus());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException x) {
            callback.failed(x);
        }
    }

    /** Registers a long-lived stream; it is ended within about a second of its token's revocation. Returns the key to forget it. */
    Object open(String authorization, Runnable end) {
        Object key = new Object();
        if (authorization != null) streams.put(key, new Stream(authorization, end));
        return key;
    }

    void closed(Object key) {
        streams.remove(key);
    }

    /** How many long-lived streams are open (tests, metrics). */
    public int openStreams() {
        return streams.size();
    }

    private void endRevoked() {
        try {
            Map<String, Boolean> valid = new java.util.HashMap<>();
            for (Map.Entry<Object, Stream> e : streams.entrySet()) {
                String auth = e.getValue().authorization();
                if (valid.computeIfAbsent(auth, a -> tokens.authenticate(a).isPresent())) continue;
                streams.remove(e.getKey());
                Thread.ofVirtual().start(e.getValue().end());
            }
        } catch (RuntimeException e) {
            log.warn("checking the tokens of open streams: {}", e.toString());
        }
    }

    @Override
    protected void doStop() throws Exception {
        revocations.shutdownNow();
        for (Stream s : Set.copyOf(streams.values())) s.end().run();
        streams.clear();
        super.doStop();
    }

    /** The server inside did not answer as it should (nothing listens, it closed early, it sent a malformed answer). HTTP 502. */
    static final class BadGateway extends AgentboxException {
        BadGateway(String message) {
            super(message);
        }

        @Override
        public int httpStatus() {
            return 502;
        }

        @Override
        public String reason() {
            return "BadGateway";
        }
    }
}
