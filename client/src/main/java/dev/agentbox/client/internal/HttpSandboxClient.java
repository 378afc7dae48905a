package dev.agentbox.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.SandboxTimeoutException;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.ImageClient;
import dev.agentbox.client.ResourceClient;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.client.Watch;
import dev.agentbox.client.WatchEvent;
import dev.agentbox.client.Watcher;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The local backend: agentboxd over HTTP. */
public final class HttpSandboxClient implements SandboxClient {
    private static final Logger log = LoggerFactory.getLogger(HttpSandboxClient.class);
    /** Ready=False reasons after which a claim never becomes Ready. */
    static final Set<String> TERMINAL_REASONS = Set.of("PodFailed", "PodSucceeded", "PodTerminated", "SandboxExpired", "ClaimExpired");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** agentboxd holds a {@code wait=Ready} create at most this long (its limit); a longer readyTimeout watches the rest. */
    static final long MAX_WAIT_SECONDS = 300;
    /** Beyond the server's wait, for its answer to arrive. */
    private static final Duration WAIT_SLACK = Duration.ofSeconds(10);

    private final Http http;
    private final String namespace;
    private final HttpResourceClient resources;

    public HttpSandboxClient(URI endpoint, String token, String namespace, Duration requestTimeout) {
        this(endpoint, token, namespace, requestTimeout, null, null);
    }

    /**
     * @param tls the TLS context for an https endpoint (trusting {@code caFile}); null: the JDK's default
     * @param caFile the CA certificate {@code tls} trusts, named in handshake errors; null when none was given
     */
    public HttpSandboxClient(URI endpoint, String token, String namespace, Duration requestTimeout, javax.net.ssl.SSLContext tls, Path caFile) {
        this.http = new Http(endpoint, token, requestTimeout, tls, caFile);
        this.namespace = namespace;
        this.resources = new HttpResourceClient(http, namespace);
    }

    public URI endpoint() {
        return http.endpoint();
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public ResourceClient resources() {
        return resources;
    }

    @Override
    public Sandbox createSandbox(String warmPool, CreateOptions options) {
        if (warmPool == null || warmPool.isBlank()) throw new InvalidException("spec.warmPoolRef.name", "required: the warm pool to claim from");
        String ns = options.namespace() == null ? namespace : options.namespace();
        String claimName = options.claimName() == null ? generateName(warmPool) : options.claimName();
        ObjectNode claim = claimManifest(warmPool, ns, claimName, options);
        ResourceClient inNs = resources.inNamespace(ns);
        Instant start = Instant.now();
        long deadline = System.nanoTime() + options.readyTimeout().toNanos();
        // one round trip: agentboxd binds a warm member in this request and answers with the Ready claim (wait=Ready);
        // a server that does not know wait=Ready answers with the new claim at once, and the watch below waits instead
        long waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.max(1, (options.readyTimeout().toMillis() + 999) / 1000));
        Http.Response created;
        try {
            created = http.send("POST", HttpResourceClient.collection(ResourceType.SANDBOX_CLAIM, ns)
                            + "?wait=Ready&timeoutSeconds=" + waitSeconds, Http.toJson(claim), "application/json",
                    Duration.ofSeconds(waitSeconds).plus(WAIT_SLACK));
        } catch (SandboxTimeoutException e) {
            // agentboxd held the create past its own wait: the claim was made, so it must not be left behind
            try {
                inNs.delete(ResourceType.SANDBOX_CLAIM, claimName);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        created.warnings().forEach(w -> log.warn("claim {}/{}: {}", ns, claimName, w));
        try {
            JsonNode ready = settled(ns, claimName, created.json());
            if (ready == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw notReadyInTime(ns, claimName, options.readyTimeout(), created.json());
                ready = awaitReady(inNs, ns, claimName, Duration.ofNanos(left), options.readyTimeout());
            }
            String sandboxName = sandboxNameOf(ready);
            log.debug("claim {}/{} Ready with sandbox {} after {} ms", ns, claimName, sandboxName, Duration.between(start, Instant.now()).toMillis());
            return new HttpSandbox(http, ns, sandboxName, claimName, true);
        } catch (RuntimeException e) {
            try {
                inNs.delete(ResourceType.SANDBOX_CLAIM, claimName);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    static String generateName(String pool) {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder sb = new StringBuilder(pool.length() > 50 ? pool.substring(0, 50) : pool).append('-');
        for (int i = 0; i < 5; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }

    static ObjectNode claimManifest(String warmPool, String ns, String name, CreateOptions o) {
        ObjectNode claim = Http.MAPPER.createObjectNode();
        claim.put("apiVersion", ResourceType.SANDBOX_CLAIM.apiVersion());
        claim.put("kind", ResourceType.SANDBOX_CLAIM.kind());
        ObjectNode meta = claim.putObject("metadata");
        meta.put("name", name);
        meta.put("namespace", ns);
        if (!o.labels().isEmpty()) o.labels().forEach(meta.putObject("labels")::put);
        if (!o.annotations().isEmpty()) o.annotations().forEach(meta.putObject("annotations")::put);
        ObjectNode spec = claim.putObject("spec");
        spec.putObject("warmPoolRef").put("name", warmPool);
        Instant shutdown = o.effectiveShutdownTime(Instant.now());
        if (shutdown != null || o.shutdownPolicy() != null) {
            ObjectNode lifecycle = spec.putObject("lifecycle");
            if (shutdown != null) lifecycle.put("shutdownTime", shutdown.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            if (o.shutdownPolicy() != null) lifecycle.put("shutdownPolicy", o.shutdownPolicy());
        }
        if (!o.env().isEmpty()) {
            ArrayNode env = spec.putArray("env");
            o.env().forEach((k, v) -> env.addObject().put("name", k).put("value", v));
        }
        return claim;
    }

    /** The bound sandbox's name: {@code status.sandbox.name} (upstream also spells it {@code Name}). */
    static String sandboxNameOf(JsonNode claim) {
        JsonNode s = claim.path("status").path("sandbox");
        String n = s.path("name").asText(null);
        if (n == null || n.isEmpty()) n = s.path("Name").asText(null);
        if (n == null || n.isEmpty()) n = claim.path("metadata").path("annotations").path("agents.x-k8s.io/sandbox-name").asText(null);
        return n == null || n.isEmpty() ? null : n;
    }

    static JsonNode readyCondition(JsonNode object) {
        for (JsonNode c : object.path("status").path("conditions")) {
            if ("Ready".equals(c.path("type").asText())) return c;
        }
        return null;
    }

    private record Closed(Throwable error) {}

    /** The claim when it is Ready with a bound sandbox; null while it may still become so; throws when it failed for good. */
    static JsonNode settled(String ns, String claimName, JsonNode claim) {
        JsonNode ready = readyCondition(claim);
        if (ready == null) return null;
        String status = ready.path("status").asText();
        if ("True".equals(status) && sandboxNameOf(claim) != null) return claim;
        if ("False".equals(status) && TERMINAL_REASONS.contains(ready.path("reason").asText(""))) {
            throw new SandboxFailedException("SandboxClaim " + ns + "/" + claimName + " failed: " + describe(ready));
        }
        return null;
    }

    /** Waits on a watch of the claim until Ready=True with a bound sandbox; no polling. */
    private JsonNode awaitReady(ResourceClient inNs, String ns, String claimName, Duration wait, Duration timeout) {
        long deadline = System.nanoTime() + wait.toNanos();
        JsonNode last = null;
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        while (true) {
            Watch watch = inNs.watch(ResourceType.SANDBOX_CLAIM, null, claimName, new Watcher() {
                @Override
                public void onEvent(WatchEvent event) {
                    events.add(event);
                }

                @Override
                public void onClose(Throwable error) {
                    events.add(new Closed(error));
                }
            });
            try {
                while (true) {
                    long left = deadline - System.nanoTime();
                    Object next = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) throw notReadyInTime(ns, claimName, timeout, last);
                    if (next instanceof Closed) break; // the stream ended (daemon restart?): watch again
                    WatchEvent event = (WatchEvent) next;
                    JsonNode obj = Http.MAPPER.valueToTree(event.object());
                    if (event.type() == WatchEvent.Type.DELETED) {
                        throw new SandboxFailedException("SandboxClaim " + ns + "/" + claimName + " was deleted while waiting for it to become Ready");
                    }
                    last = obj;
                    if (settled(ns, claimName, obj) != null) return obj;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxTimeoutException("interrupted while waiting for SandboxClaim " + ns + "/" + claimName + " to become Ready", e);
            } finally {
                watch.close();
            }
            // the watch ended early: pause briefly before watching again, within the deadline
            try {
                Thread.sleep(Math.min(200, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxTimeoutException("interrupted while waiting for SandboxClaim " + ns + "/" + claimName, e);
            }
            events.clear();
            if (System.nanoTime() >= deadline) throw notReadyInTime(ns, claimName, timeout, last);
        }
    }

    private static String describe(JsonNode condition) {
        String reason = condition.path("reason").asText("");
        String message = condition.path("message").asText("");
        return "Ready=" + condition.path("status").asText("Unknown") + (reason.isEmpty() ? "" : ", reason " + reason)
                + (message.isEmpty() ? "" : ": " + message);
    }

    private static SandboxTimeoutException notReadyInTime(String ns, String claimName, Duration timeout, JsonNode last) {
        JsonNode ready = last == null ? null : readyCondition(last);
        String state = last == null ? "the claim was never seen on the watch"
                : ready == null ? "no Ready condition yet" : "last condition " + describe(ready);
        return new SandboxTimeoutException("SandboxClaim " + ns + "/" + claimName + " did not become Ready within "
                + human(timeout) + " (" + state + "); the claim was deleted. Check the warm pool with `agentbox get sandboxwarmpools -n "
                + ns + "`, or wait longer (CreateOptions.readyTimeout)");
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    @Override
    public Sandbox attach(String sandboxName) {
        if (sandboxName == null || sandboxName.isBlank()) throw new InvalidException("sandbox", "name required");
        return new HttpSandbox(http, namespace, sandboxName, null, false);
    }

    @Override
    public Sandbox attachClaim(String claimName) {
        GenericKubernetesResource claim = resources.get(ResourceType.SANDBOX_CLAIM, claimName);
        String sandboxName = sandboxNameOf(Http.MAPPER.valueToTree(claim));
        if (sandboxName == null) {
            throw new ConflictException("SandboxClaim " + namespace + "/" + claimName + " is not bound to a sandbox yet; wait until it is Ready", false);
        }
        return new HttpSandbox(http, namespace, sandboxName, claimName, false);
    }

    @Override
    public ImageClient images() {
        return new ImageClient() {
            @Override
            public List<String> list() {
                List<String> out = new java.util.ArrayList<>();
                for (JsonNode n : http.send("GET", "/api/v1/images", null, null).json()) out.add(n.path("name").asText());
                return out;
            }

            @Override
            public void importImage(String name, Path source) {
                ObjectNode body = Http.MAPPER.createObjectNode().put("name", name).put("source", source.toAbsolutePath().normalize().toString());
                http.send("POST", "/api/v1/images", Http.toJson(body), "application/json", null);
            }

            @Override
            public boolean pulls() {
                return true;
            }

            @Override
            public Pulled pull(String reference, String policy, java.util.function.Consumer<String> progress) {
                ObjectNode body = Http.MAPPER.createObjectNode().put("name", reference).put("pull", true);
                if (policy != null) body.put("policy", policy);
                try (java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(
                        http.stream("POST", "/api/v1/images", Http.toJson(body), "application/json"), java.nio.charset.StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        JsonNode n = Http.MAPPER.readTree(line);
                        if (n.has("progress")) {
                            if (progress != null) progress.accept(n.path("progress").asText());
                        } else if (n.has("result")) {
                            JsonNode r = n.path("result");
                            return new Pulled(r.path("name").asText(), r.path("pulled").asBoolean(), r.path("imageId").isTextual() ? r.path("imageId").asText() : null);
                        } else if (n.has("error")) {
                            String message = n.path("error").path("message").asText();
                            throw switch (n.path("error").path("reason").asText()) {
                                case "NOT_FOUND" -> new dev.agentbox.api.NotFoundException(message);
                                case "INVALID" -> new dev.agentbox.api.InvalidException(message);
                                default -> new dev.agentbox.api.SandboxFailedException(message);
                            };
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new dev.agentbox.api.SandboxFailedException("the pull of " + reference + " lost its connection to agentboxd: " + e.getMessage(), e);
                }
                throw new dev.agentbox.api.SandboxFailedException("agentboxd ended the pull of " + reference + " without a result; see its log");
            }
        };
    }

    @Override
    public void close() {
        http.close();
    }

}
