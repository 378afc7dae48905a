package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import dev.agentbox.server.ApiFuzzInputs.Auth;
import dev.agentbox.server.ApiFuzzInputs.Req;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue 8: a bounded fuzz of agentboxd's whole HTTP API. A fixed request budget and a wall-clock budget, whichever ends
 * first; one seed ({@code -Dfuzz.seed=N} replays a run, {@code -Dfuzz.requests} and {@code -Dfuzz.seconds} change the
 * budgets). Malformed and hostile bodies, paths, query parameters, verbs, framing and tokens go to every route
 * ({@link ApiFuzzInputs}); the oracle checks every answer, and the end state:
 * <ul>
 *   <li>no status 500 or above, and no stack trace in any body;</li>
 *   <li>no success for a request whose token may not do it (no token, a malformed or revoked one; team-a's token outside
 *       team-a, on cluster-scoped kinds, on admin endpoints), and no other namespace's object in an answer to team-a;</li>
 *   <li>no success for a body that cannot be valid where it would change a guarded object, no forged status kept, no
 *       files-API success on /proc, /sys, /dev, /.agentbox (directly or through a symlink inside the sandbox);</li>
 *   <li>every well-formed request is answered; /healthz answers 200 every 100 requests and at the end; the sandbox still runs commands;</li>
 *   <li>the objects created before (template, pool, claim, sandbox, PodSnapshotPolicy in default and team-a; the storage
 *       config) keep uid, spec and labels, and default and team-a hold exactly them; no object is stored under a hostile
 *       namespace or name;</li>
 *   <li>the heap (after GC) grows by less than {@link #HEAP_GROWTH_LIMIT}; RSS is reported.</li>
 * </ul>
 * The summary (per route and status, per token, time, memory) is printed and written to target/api-fuzz-summary.txt.
 */
class ApiFuzzTest {
    static final long SEED = Long.getLong("fuzz.seed", 8L);
    static final int MAX_REQUESTS = Integer.getInteger("fuzz.requests", 3000);
    static final long MAX_SECONDS = Long.getLong("fuzz.seconds", 35L);
    /**
     * The daemon runs in this JVM, so its heap is this heap (the test's own bookkeeping is a few hundred KiB). Measured
     * on this 2-core machine, 3000 requests, heap used after a full GC: +1.0 to +2.3 MiB (seeds 1 to 8; 18.4 MiB before).
     * The bound is about ten times the request body limit (3 MiB) and over ten times what was measured: a request that
     * kept its body (a run sends about a hundred bodies of 1 to 3 MiB, and several over the limits) or a few KiB per
     * request would pass it, while what legitimately stays (the objects the fuzzer created live in SQLite, off the heap;
     * Jackson's and the store's caches; tokens) does not come near.
     */
    static final long HEAP_GROWTH_LIMIT = 32L << 20;
    static final int MAX_REPORTED = 40;
    /** -Dfuzz.log=true: every request and its answer, one line each, in target/api-fuzz-requests.log (for a replay). */
    static final boolean LOG = Boolean.getBoolean("fuzz.log");

    static final String TEAM_A = ApiFuzzInputs.TEAM_A;
    static final Pattern STACK_FRAME = Pattern.compile("(?:\\t|\\\\t)at [A-Za-z_$][\\w$]*(?:\\.[\\w$<>]+)+\\(");
    static final Pattern JAVA_LOCATION = Pattern.compile("\\.java:\\d+\\)");
    static final Pattern EXCEPTION_THEN_AT = Pattern.compile("(?:Exception|Error)(?::[^\\n]*)?(?:\\n|\\\\n)\\s*at ");
    static final Pattern CLASS_NAME_LEAK = Pattern.compile("\\b(?:java|javax|jdk|sun|com\\.fasterxml|org\\.yaml|org\\.sqlite|dev\\.agentbox)\\.[\\w.$]*(?:Exception|Error)\\b");
    static final Pattern NAMESPACE_FIELD = Pattern.compile("\"namespace\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    static final Pattern TEAM_A_PATH = Pattern.compile("^/(?:apis/[^/]+/[^/]+|api/v1)/namespaces/team-a/([^/]+)(?:/[^/]+(?:/status|/scale)?)?/?$");
    /** Discovery and OpenAPI: any valid token may read them, as kube-apiserver lets authenticated users. */
    static final Pattern DISCOVERY = Pattern.compile("^/(?:version|api|api/v1|apis(?:/[^/]+){0,2}|openapi/v2|openapi/v3(?:/.*)?)/?$");
    static final Pattern TEAM_A_EVENTS = Pattern.compile("^/api/v1/namespaces/team-a/events(?:/[^/]+)?/?$");
    static final Pattern TEAM_A_DATA_PLANE = Pattern.compile("^/api/v1/namespaces/team-a/sandboxes/[^/]+/(?:exec|files|files/list|files/stat|files/mkdir|log)$");

    static final String SANDBOX_FIXTURES = "mkdir -p /tmp/fuzz && echo x > /tmp/fuzz/f1 && ln -s /.agentbox /tmp/fuzz-agent-link "
            + "&& ln -s /proc /tmp/fuzz-proc-link && ln -s / /tmp/fuzz-root-link && ln -s /dev /tmp/fuzz-dev-link && mkfifo /tmp/fuzz-fifo && echo done";

    Daemon d;
    int port;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    // ---- what the run saw (filled from the main thread and from the watch threads)
    final Map<String, Map<Integer, Integer>> byRoute = new TreeMap<>();
    final Map<Integer, Integer> byStatus = new TreeMap<>();
    final Map<String, Map<String, Integer>> byToken = new TreeMap<>();
    final Map<String, Integer> byMethod = new TreeMap<>();
    final Map<String, List<String>> problems = new LinkedHashMap<>();
    final Map<String, Integer> problemCounts = new LinkedHashMap<>();
    final Map<String, Integer> classNameLeaks = new TreeMap<>();
    final List<String> classNameLeakSamples = new ArrayList<>();
    final Set<String> createdClusterScoped = ConcurrentHashMap.newKeySet();
    /** Successful creates, replaces and deletes outside the fuzz-* namespaces: shown when a guarded object changed. */
    final List<String> successfulMutations = new ArrayList<>();
    final AtomicInteger viaHttpClient = new AtomicInteger();
    final AtomicInteger watches = new AtomicInteger();
    final AtomicInteger watchesEndedByServer = new AtomicInteger();
    final AtomicInteger realExecs = new AtomicInteger();
    final AtomicInteger forgedAccepted = new AtomicInteger();
    final AtomicInteger forgedSent = new AtomicInteger();
    final AtomicInteger noAnswerTolerated = new AtomicInteger();
    long maxRssKib;
    int maxRssAt;
    long slowestMillis;
    String slowest = "";

    @Test
    void hostileRequestsOnEveryRouteLeaveTheDaemonAndItsObjectsIntact() throws Exception {
        String replay = "mvn -B -ntp -o -pl server -am test -Dtest=ApiFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.seed=" + SEED;
        System.out.println("ApiFuzzTest: seed " + SEED + " (replay: " + replay + ")");
        Path scratch = Files.createTempDirectory("api-fuzz", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path stateDir;
        List<String> leftover;
        try (Daemon daemon = Daemon.plainHttp()) { // RawHttp writes HTTP/1.1 bytes on the port
            d = daemon;
            stateDir = d.stateDir;
            port = d.agentboxd.endpoint().getPort();
            ApiFuzzInputs.Fixture fx = setUp(scratch);
            Map<String, JsonNode> before = guardedObjects();
            Map<String, Integer> countsBefore = counts();
            Set<String> clusterBefore = clusterNames();

            Memory memBefore = Memory.measure();
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(MAX_SECONDS);
            ApiFuzzInputs inputs = new ApiFuzzInputs(new Random(SEED), fx);
            if (LOG) log = new java.io.PrintWriter(Files.newBufferedWriter(Path.of("target", "api-fuzz-requests.log")), true);
            ExecutorService streams = Executors.newVirtualThreadPerTaskExecutor();
            Semaphore openStreams = new Semaphore(8);
            int sent = 0;
            int healthChecks = 0;
            long slowestHealth = 0;
            while (sent < MAX_REQUESTS && System.nanoTime() - deadline < 0) {
                if (sent % 100 == 0) {
                    healthChecks++;
                    slowestHealth = Math.max(slowestHealth, healthz("during the run, after " + sent + " requests"));
                    long rss = Memory.procStatus("VmRSS");
                    if (rss > maxRssKib) {
                        maxRssKib = rss;
                        maxRssAt = sent;
                    }
                }
                Req r = inputs.next();
                if (r.watch()) {
                    // a watch stays open: read it on another thread for about a second, and go on
                    openStreams.acquire();
                    streams.submit(() -> {
                        try {
                            check(r, send(r));
                        } finally {
                            openStreams.release();
                        }
                    });
                } else {
                    check(r, send(r));
                }
                sent++;
            }
            String stoppedBy = sent >= MAX_REQUESTS ? "the request budget" : "the wall-clock budget";
            streams.shutdown();
            boolean streamsEnded = streams.awaitTermination(30, TimeUnit.SECONDS);
            long fuzzMillis = (System.nanoTime() - t0) / 1_000_000;
            healthChecks++;
            slowestHealth = Math.max(slowestHealth, healthz("at the end"));
            if (!streamsEnded) problem("watch clients still reading 30 s after the run", "(they read at most ~2 s each)");

            // the sandboxes the data-plane requests hit still run commands, and the symlinks the forbidden-path checks go
            // through are still there (or those checks proved nothing)
            for (String[] sb : new String[][] {{TEAM_A, fx.teamASandbox()}, {"default", fx.defaultSandbox()}}) {
                Daemon.Response exec = d.exec(sb[0], sb[1],
                        "readlink /tmp/fuzz-agent-link /tmp/fuzz-proc-link /tmp/fuzz-root-link /tmp/fuzz-dev-link; test -p /tmp/fuzz-fifo && echo fifo; echo alive");
                String stdout = exec.status() == 200 ? exec.json().path("stdout").asText() : "";
                if (!stdout.endsWith("alive\n")) problem("the data-plane sandboxes no longer run commands", sb[0] + ": " + exec.status() + " " + exec.body());
                else if (!stdout.equals("/.agentbox\n/proc\n/\n/dev\nfifo\nalive\n")) {
                    problem("the test's symlinks and FIFO in the sandbox were changed", sb[0] + ": " + printable(stdout, 300));
                }
            }

            Memory memAfter = Memory.measure();
            compareGuardedObjects(before, guardedObjects(), countsBefore, counts(), clusterBefore, clusterNames());
            checkNoHostileObjects();
            long heapGrowth = memAfter.heapUsed - memBefore.heapUsed;
            if (heapGrowth > HEAP_GROWTH_LIMIT) {
                problem("heap growth over the limit", "heap used after GC grew by " + mib(heapGrowth) + " (limit " + mib(HEAP_GROWTH_LIMIT) + ")");
            }
            if (log != null) log.close();
            String summary = summary(sent, fuzzMillis, stoppedBy, healthChecks, slowestHealth, memBefore, memAfter, replay);
            System.out.println(summary);
            try {
                Files.writeString(Path.of("target", "api-fuzz-summary.txt"), summary);
            } catch (IOException e) {
                System.out.println("(could not write target/api-fuzz-summary.txt: " + e + ")");
            }
        } finally {
            d = null;
            deleteTree(scratch); // the test's own directory (storage paths and image sources of the fuzzed requests)
        }
        // Daemon.close() stopped the sandboxes and checked no runsc container is left; no runsc process may be left either
        leftover = runscProcessesOf(stateDir);
        assertThat(leftover).as("runsc processes left for " + stateDir).isEmpty();
        assertThat(problems).as(problemReport()).isEmpty();
    }

    // ------------------------------------------------------------------ set-up: the objects the fuzzing must not change

    ApiFuzzInputs.Fixture setUp(Path scratch) throws IOException {
        Path storage = Files.createDirectories(scratch.resolve("snapshots"));
        Files.setPosixFilePermissions(storage, PosixFilePermissions.fromString("rwx------"));
        ok(d.call("POST", Daemon.PS + "podsnapshotstorageconfigs", Daemon.localStorageConfig(storage)), 201);
        String teamA = ok(d.call("POST", "/api/v1/tokens", "{\"name\":\"team-a\",\"namespaces\":[\"team-a\"]}"), 201).json().path("token").asText();
        String revoked = ok(d.call("POST", "/api/v1/tokens", "{\"name\":\"fuzz-revoked\",\"namespaces\":[\"team-a\"]}"), 201).json().path("token").asText();
        ok(d.call("DELETE", "/api/v1/tokens?name=fuzz-revoked", null), 204);
        assertThat(d.call("GET", Daemon.EXT + TEAM_A + "/sandboxtemplates", null, revoked).status()).isEqualTo(401);
        for (String ns : ApiFuzzInputs.PROTECTED_NS) {
            d.createOk(ns, Daemon.TEMPLATE);
            d.createOk(ns, Daemon.pool("py", 0));
            d.createOk(ns, Daemon.claim("c", "py"));
            ok(d.call("POST", Daemon.PS + "namespaces/" + ns + "/podsnapshotpolicies", """
                    apiVersion: podsnapshot.gke.io/v1
                    kind: PodSnapshotPolicy
                    metadata:
                      name: pol
                      labels:
                        app: fuzz-guarded
                    spec:
                      storageConfigName: local
                      selector:
                        matchLabels:
                          app: fuzz-none
                      triggerConfig:
                        type: manual
                        postCheckpoint: resume
                    """), 201);
        }
        String teamASandbox = d.awaitClaimReady(TEAM_A, "c");
        String defaultSandbox = d.awaitClaimReady("default", "c");
        // in both sandboxes: symlinks to the places the files API must never reach, a FIFO, and the test's own corner
        for (String[] sb : new String[][] {{TEAM_A, teamASandbox}, {"default", defaultSandbox}}) {
            Daemon.Response links = d.exec(sb[0], sb[1], SANDBOX_FIXTURES);
            assertThat(links.body()).as(links.body()).contains("done");
        }
        Path emptyDir = Files.createDirectories(scratch.resolve("empty-image"));
        byte[] noise = new byte[4096];
        new Random(SEED).nextBytes(noise);
        Path garbage = Files.write(scratch.resolve("garbage.tar"), noise);
        // the claims' sandboxes are created by the controller: wait until they are Ready and their status settled
        await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(d.get(TEAM_A, "sandboxes", teamASandbox))
                && Daemon.ready(d.get("default", "sandboxes", defaultSandbox)));
        // sorted: the generator picks from it by index, and Set.of's order changes from one JVM to the next
        Set<String> names = new TreeSet<>(List.of("python", "py", "c", "pol", "local", teamASandbox, defaultSandbox));
        return new ApiFuzzInputs.Fixture(d.token, teamA, revoked, teamASandbox, defaultSandbox, names, Set.of("local"), scratch, emptyDir, garbage);
    }

    static Daemon.Response ok(Daemon.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        return r;
    }

    static String listPath(ResourceKind k, String ns) {
        return ApiFuzzInputs.prefix(k.group(), k.version()) + (ns == null ? "" : "/namespaces/" + ns) + "/" + k.plural();
    }

    List<JsonNode> items(String path) {
        Daemon.Response r = d.call("GET", path, null);
        assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().path("items").forEach(out::add);
        return out;
    }

    /** Every object in default and team-a, and every cluster-scoped one, by "namespace/plural/name": uid, labels, spec. */
    Map<String, JsonNode> guardedObjects() {
        Map<String, JsonNode> out = new TreeMap<>();
        for (ResourceKind k : ApiFuzzInputs.FUZZED_KINDS) { // not Events: agentboxd records them about these objects meanwhile
            List<String> namespaces = ApiFuzzInputs.clusterScoped(k) ? java.util.Collections.singletonList(null) : ApiFuzzInputs.PROTECTED_NS;
            for (String ns : namespaces) {
                for (JsonNode o : items(listPath(k, ns))) {
                    var guarded = Daemon.JSON.createObjectNode();
                    guarded.set("uid", o.path("metadata").path("uid"));
                    guarded.set("labels", o.path("metadata").path("labels"));
                    guarded.set("spec", o.path("spec"));
                    out.put((ns == null ? "(cluster)" : ns) + "/" + k.plural() + "/" + o.path("metadata").path("name").asText(), guarded);
                }
            }
        }
        return out;
    }

    Map<String, Integer> counts() {
        Map<String, Integer> out = new TreeMap<>();
        for (ResourceKind k : ApiFuzzInputs.FUZZED_KINDS) {
            if (ApiFuzzInputs.clusterScoped(k)) continue;
            for (String ns : ApiFuzzInputs.PROTECTED_NS) out.put(ns + "/" + k.plural(), items(listPath(k, ns)).size());
        }
        return out;
    }

    Set<String> clusterNames() {
        Set<String> out = new TreeSet<>();
        for (ResourceKind k : ResourceKinds.all()) {
            if (ApiFuzzInputs.clusterScoped(k)) items(listPath(k, null)).forEach(o -> out.add(o.path("metadata").path("name").asText()));
        }
        return out;
    }

    void compareGuardedObjects(Map<String, JsonNode> before, Map<String, JsonNode> after, Map<String, Integer> countsBefore,
                               Map<String, Integer> countsAfter, Set<String> clusterBefore, Set<String> clusterAfter) {
        for (var e : before.entrySet()) {
            JsonNode now = after.get(e.getKey());
            if (now == null) problem("a guarded object changed", e.getKey() + " is gone");
            else if (!now.equals(e.getValue())) problem("a guarded object changed", e.getKey() + ": was " + e.getValue() + ", now " + now);
        }
        for (String key : after.keySet()) {
            if (before.containsKey(key)) continue;
            String name = key.substring(key.lastIndexOf('/') + 1);
            if (key.startsWith("(cluster)/") && createdClusterScoped.contains(name)) continue; // the admin fuzzer made it
            problem("a guarded object changed", key + " appeared (default and team-a must hold only the objects made before the run)");
        }
        if (!countsBefore.equals(countsAfter)) problem("a guarded object changed", "counts in default and team-a: before " + countsBefore + ", after " + countsAfter);
        Set<String> added = new TreeSet<>(clusterAfter);
        added.removeAll(clusterBefore);
        added.removeAll(createdClusterScoped);
        if (!added.isEmpty()) problem("a guarded object changed", "cluster-scoped objects no request created: " + added);
        if (problemCounts.containsKey("a guarded object changed")) {
            problem("a guarded object changed", "successful mutations outside fuzz-* (" + successfulMutations.size() + "): "
                    + successfulMutations.stream().limit(20).collect(Collectors.joining("\n      ")));
        }
    }

    /** No object anywhere has a namespace that is not a DNS label, or a name that is not a DNS subdomain, or a forged status. */
    void checkNoHostileObjects() {
        Pattern label = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
        Pattern subdomain = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
        for (ResourceKind k : ResourceKinds.all()) {
            for (JsonNode o : items(listPath(k, null))) {
                String ns = o.path("metadata").path("namespace").asText("");
                String name = o.path("metadata").path("name").asText("");
                boolean nsOk = ApiFuzzInputs.clusterScoped(k) ? ns.isEmpty()
                        : label.matcher(ns).matches() && (ApiFuzzInputs.PROTECTED_NS.contains(ns) || ApiFuzzInputs.FUZZ_NS.contains(ns));
                String status = o.path("status").toString();
                if (status.contains("fuzz-forged") || status.contains("FuzzForged")) {
                    problem("a forged status was kept", "stored " + k.plural() + " " + ns + "/" + name + " has status " + printable(status, 300));
                }
                if (!nsOk || name.length() > 253 || !subdomain.matcher(name).matches()) {
                    problem("an object was stored under a namespace or name no request may use", k.plural() + " " + ns + "/" + printable(name, 100));
                }
            }
        }
    }

    // ------------------------------------------------------------------ sending

    record Answer(int status, String body, long millis, boolean streamCut, String error) {}

    Answer send(Req r) {
        if (r.watch()) watches.incrementAndGet();
        if (r.realExec()) realExecs.incrementAndGet();
        if (r.viaHttpClient()) {
            viaHttpClient.incrementAndGet();
            long t0 = System.nanoTime();
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.agentboxd.endpoint() + r.target())).timeout(Duration.ofSeconds(20));
                for (String h : r.headers()) {
                    int colon = h.indexOf(':');
                    String value = h.substring(colon + 1).trim();
                    if (!value.isEmpty()) b.header(h.substring(0, colon), value);
                }
                b.method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(r.body()));
                HttpResponse<byte[]> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                byte[] body = resp.body();
                String text = new String(body, 0, Math.min(body.length, 256 * 1024), StandardCharsets.UTF_8);
                return new Answer(resp.statusCode(), text, (System.nanoTime() - t0) / 1_000_000, false, null);
            } catch (IllegalArgumentException e) {
                viaHttpClient.decrementAndGet(); // the JDK client refused the request: send it raw
            } catch (java.net.http.HttpTimeoutException e) {
                return new Answer(RawHttp.STATUS_TIMEOUT, "", (System.nanoTime() - t0) / 1_000_000, false, e.toString());
            } catch (IOException e) {
                return new Answer(RawHttp.STATUS_NO_ANSWER, "", (System.nanoTime() - t0) / 1_000_000, false, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        long streamMillis = r.watch() ? (r.target().contains("timeoutSeconds=1") ? 2_500 : 600) : 15_000;
        int timeout = r.expectAnswer() ? 20_000 : 3_000;
        RawHttp.Answer a = RawHttp.send(port, r.requestLine(), r.headers(), r.body(), r.framing(), r.method().equals("HEAD"),
                256 * 1024, streamMillis, timeout);
        if (r.watch() && a.status() == 200 && !a.streamCut()) watchesEndedByServer.incrementAndGet();
        return new Answer(a.status(), a.bodyText(), a.millis(), a.streamCut(), a.error());
    }

    /** GET /healthz must answer 200 "ok" within 5 s; returns how long it took. */
    long healthz(String when) {
        RawHttp.Answer a = RawHttp.send(port, "GET /healthz HTTP/1.1", List.of(), null, RawHttp.Framing.NONE, false, 1024, 5_000, 5_000);
        if (a.status() != 200 || !a.bodyText().equals("ok\n") || a.millis() > 5_000) {
            problem("/healthz did not answer 200", when + ": " + a.status() + " in " + a.millis() + " ms " + a.error() + " " + printable(a.bodyText(), 200));
        }
        return a.millis();
    }

    // ------------------------------------------------------------------ the oracle

    java.io.PrintWriter log;

    synchronized void check(Req r, Answer a) {
        int status = a.status();
        if (log != null) log.println(describe(r, a));
        byRoute.computeIfAbsent(r.route(), k -> new TreeMap<>()).merge(status, 1, Integer::sum);
        byStatus.merge(status, 1, Integer::sum);
        byToken.computeIfAbsent(r.token(), k -> new TreeMap<>()).merge(statusClass(status), 1, Integer::sum);
        byMethod.merge(r.method().length() > 12 || r.method().isEmpty() || !r.method().chars().allMatch(c -> c > 0x20 && c < 0x7f)
                ? "(malformed)" : r.method(), 1, Integer::sum);
        if (a.millis() > slowestMillis && !r.watch()) {
            slowestMillis = a.millis();
            slowest = describe(r, a);
        }
        boolean success = status >= 200 && status < 300;
        String body = a.body();

        if (status >= 500) problem("5xx answers", describe(r, a));
        if (STACK_FRAME.matcher(body).find() || JAVA_LOCATION.matcher(body).find() || EXCEPTION_THEN_AT.matcher(body).find()) {
            problem("stack traces in answers", describe(r, a));
        }
        Matcher leak = CLASS_NAME_LEAK.matcher(body);
        if (leak.find() && !success) {
            classNameLeaks.merge(r.route() + " " + status, 1, Integer::sum);
            if (classNameLeakSamples.size() < 8) classNameLeakSamples.add(describe(r, a));
        }
        if (success && !mayAct(r)) problem("successes a token may not have (cross-namespace, admin-only, or no valid token)", describe(r, a));
        if (success && (r.auth() == Auth.TEAM_A)) {
            Matcher ns = NAMESPACE_FIELD.matcher(body);
            while (ns.find()) {
                if (!ns.group(1).equals(TEAM_A)) {
                    problem("another namespace's object in an answer to team-a's token", "namespace " + ns.group(1) + " in " + describe(r, a));
                    break;
                }
            }
        }
        if (success && r.protectedMutation() && !r.method().equals("GET")) {
            problem("a body that cannot be valid was accepted where it would change a guarded object", describe(r, a));
        }
        if (r.forged()) forgedSent.incrementAndGet();
        if (success && r.forged()) {
            forgedAccepted.incrementAndGet();
            if (body.contains("fuzz-forged") || body.contains("FuzzForged")) problem("a forged status was kept", describe(r, a));
        }
        if (success && r.forbiddenPath()) problem("the files API reached /proc, /sys, /dev or /.agentbox", describe(r, a));
        if (status == RawHttp.STATUS_NO_ANSWER || status == RawHttp.STATUS_TIMEOUT) {
            boolean large = r.body() != null && r.body().length > (1 << 20);
            if (r.expectAnswer() && !large) problem("well-formed requests left without an answer", describe(r, a));
            else noAnswerTolerated.incrementAndGet();
        }
        if (success && !Set.of("GET", "HEAD", "OPTIONS", "TRACE").contains(r.method()) && r.route().startsWith("resource")
                && successfulMutations.size() < 200 && !String.valueOf(decodedPath(r.target())).contains("/namespaces/fuzz-")) {
            successfulMutations.add(describe(r, a));
        }
        if (success && r.method().equals("POST") && r.route().contains("cluster-scoped") && r.auth() == Auth.ADMIN) {
            try {
                createdClusterScoped.add(Daemon.JSON.readTree(body).path("metadata").path("name").asText());
            } catch (IOException e) {
                problem("a 2xx create answered something that is not JSON", describe(r, a));
            }
        }
    }

    /** What the request's token may do: the decoded path as the server sees it, judged conservatively. */
    static boolean mayAct(Req r) {
        if (r.auth() == Auth.ADMIN) return true;
        String path = decodedPath(r.target());
        if (path == null) return false; // the server cannot have routed it
        if ((path.equals("/healthz") || path.equals("/metrics")) && r.method().equals("GET")) return true;
        return switch (r.auth()) {
            case ADMIN -> true;
            case NONE -> false;
            case TEAM_A -> {
                if (path.equals("/api/v1/images") && r.method().equals("GET")) yield true;
                if (DISCOVERY.matcher(path).matches() && r.method().equals("GET")) yield true;
                if (TEAM_A_DATA_PLANE.matcher(path).matches()) yield true;
                if (TEAM_A_EVENTS.matcher(path).matches() && Set.of("GET", "DELETE").contains(r.method())) yield true;
                Matcher m = TEAM_A_PATH.matcher(path);
                yield m.matches() && ResourceKinds.all().stream().anyMatch(k -> !ApiFuzzInputs.clusterScoped(k) && k.plural().equals(m.group(1)) && !k.plural().equals("events")); // events: read and delete only (above)
            }
        };
    }

    /**
     * The path the server routes on: the JDK's HttpServer takes the request target up to the next space (the rest of the
     * line is taken as the version, "1 HTTP/1.1" included) and decodes it as a URI; null when it cannot be one.
     */
    static String decodedPath(String target) {
        int end = target.length();
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == ' ' || c == '\r' || c == '\n') {
                end = i;
                break;
            }
        }
        try {
            return new URI(target.substring(0, end)).getPath();
        } catch (Exception e) {
            return null;
        }
    }

    static String statusClass(int status) {
        return status < 0 ? (status == RawHttp.STATUS_TIMEOUT ? "timeout" : "no answer") : (status / 100) + "xx";
    }

    synchronized void problem(String category, String detail) {
        problemCounts.merge(category, 1, Integer::sum);
        List<String> list = problems.computeIfAbsent(category, k -> new ArrayList<>());
        if (list.size() < MAX_REPORTED) list.add(detail);
    }

    String problemReport() {
        StringBuilder s = new StringBuilder("API fuzz problems (seed " + SEED + "; replay with -Dfuzz.seed=" + SEED + "):\n");
        for (var e : problems.entrySet()) {
            s.append("== ").append(e.getKey()).append(": ").append(problemCounts.get(e.getKey())).append('\n');
            for (String p : e.getValue()) s.append("  - ").append(p).append('\n');
        }
        return s.toString();
    }

    static String describe(Req r, Answer a) {
        String body = r.body() == null ? "(none)" : r.body().length + " bytes: " + printable(new String(r.body(), 0, Math.min(r.body().length, 400), StandardCharsets.UTF_8), 160);
        return r.method() + " " + printable(r.target(), 200) + " [token " + r.token() + ", " + (r.viaHttpClient() ? "java.net.http" : "raw socket")
                + (r.framing() != RawHttp.Framing.LENGTH ? ", framing " + r.framing() : "") + "] body " + body
                + " -> " + a.status() + " in " + a.millis() + " ms" + (a.error() != null ? " (" + a.error() + ")" : "") + ": " + printable(a.body(), 400);
    }

    static String printable(String s, int max) {
        String t = s.length() > max ? s.substring(0, max) + "...(" + s.length() + " chars)" : s;
        StringBuilder out = new StringBuilder();
        t.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) out.append(String.format("\\x%02x", c));
            else out.appendCodePoint(c);
        });
        return out.toString();
    }

    // ------------------------------------------------------------------ memory and processes

    record Memory(long heapUsed, long rssKib, long peakRssKib) {
        static Memory measure() throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(100);
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return new Memory(heap, procStatus("VmRSS"), procStatus("VmHWM"));
        }

        static long procStatus(String field) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
            return -1;
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** Processes whose command line names the daemon's state directory (runsc and its sandboxes do, through --root). */
    static List<String> runscProcessesOf(Path stateDir) throws IOException {
        List<String> out = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    if (cmd.contains(stateDir.toString())) out.add(p.getFileName() + ": " + cmd);
                } catch (IOException e) {
                    // the process ended meanwhile
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the summary

    String summary(int sent, long millis, String stoppedBy, int healthChecks, long slowestHealth, Memory before, Memory after, String replay) {
        StringBuilder s = new StringBuilder();
        s.append("\n==== ApiFuzzTest summary ====\n");
        s.append(String.format(Locale.ROOT, "seed %d (replay: %s)%n", SEED, replay));
        s.append(String.format(Locale.ROOT, "requests: %d in %.1f s (budgets: %d requests, %d s; stopped by %s); %d through java.net.http, %d on raw sockets%n",
                sent, millis / 1000.0, MAX_REQUESTS, MAX_SECONDS, stoppedBy, viaHttpClient.get(), sent - viaHttpClient.get()));
        s.append(String.format(Locale.ROOT, "watches: %d (%d ended by the server within the read window, the rest closed by the client); real exec requests: %d%n",
                watches.get(), watchesEndedByServer.get(), realExecs.get()));
        s.append(String.format(Locale.ROOT, "health checks: %d, slowest %d ms; slowest request: %d ms (%s)%n", healthChecks, slowestHealth, slowestMillis,
                printable(slowest, 160)));
        s.append("requests per route and status (-1: connection closed without an answer, -2: no answer within the timeout):\n");
        int width = byRoute.keySet().stream().mapToInt(String::length).max().orElse(10);
        for (var e : byRoute.entrySet()) {
            int total = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
            s.append(String.format(Locale.ROOT, "  %-" + width + "s %5d  %s%n", e.getKey(), total,
                    e.getValue().entrySet().stream().map(x -> x.getKey() + "x" + x.getValue()).collect(Collectors.joining(" "))));
        }
        s.append("requests per status: ").append(byStatus.entrySet().stream().map(x -> x.getKey() + ": " + x.getValue()).collect(Collectors.joining(", "))).append('\n');
        s.append("requests per token:  ").append(byToken.entrySet().stream().map(x -> x.getKey() + " " + x.getValue()).collect(Collectors.joining(", "))).append('\n');
        s.append("requests per method: ").append(byMethod.entrySet().stream().map(x -> x.getKey() + ": " + x.getValue()).collect(Collectors.joining(", "))).append('\n');
        s.append(String.format(Locale.ROOT, "bodies with a forged status: %d sent, %d accepted (each answered with the server's status, none with the forged one); "
                        + "connections closed without an answer where that is allowed (broken framing, huge request line, >1 MiB body): %d%n",
                forgedSent.get(), forgedAccepted.get(), noAnswerTolerated.get()));
        s.append(String.format(Locale.ROOT, "heap used after GC: before %s, after %s, growth %s (limit %s)%n", mib(before.heapUsed), mib(after.heapUsed),
                mib(after.heapUsed - before.heapUsed), mib(HEAP_GROWTH_LIMIT)));
        s.append(String.format(Locale.ROOT, "RSS of the JVM (daemon and test, /proc/self/status): before %s, after %s; largest sample during the run %s "
                        + "(after %d requests; sampled every 100); peak since the JVM started (VmHWM) %s%n", mib(before.rssKib * 1024), mib(after.rssKib * 1024),
                mib(maxRssKib * 1024), maxRssAt, mib(after.peakRssKib * 1024)));
        s.append("checks (problems found):\n");
        for (String c : List.of("5xx answers", "stack traces in answers", "successes a token may not have (cross-namespace, admin-only, or no valid token)",
                "another namespace's object in an answer to team-a's token", "a body that cannot be valid was accepted where it would change a guarded object",
                "a forged status was kept", "the files API reached /proc, /sys, /dev or /.agentbox", "well-formed requests left without an answer",
                "/healthz did not answer 200", "the data-plane sandboxes no longer run commands", "the test's symlinks and FIFO in the sandbox were changed",
                "a guarded object changed",
                "an object was stored under a namespace or name no request may use", "heap growth over the limit")) {
            s.append(String.format(Locale.ROOT, "  %-100s %d%n", c, problemCounts.getOrDefault(c, 0)));
        }
        for (String c : problemCounts.keySet()) {
            if (!s.toString().contains(c)) s.append(String.format(Locale.ROOT, "  %-100s %d%n", c, problemCounts.get(c)));
        }
        if (!classNameLeaks.isEmpty()) {
            s.append("noticed, not failed: error messages naming a Java exception class: ").append(classNameLeaks).append('\n');
            for (String x : classNameLeakSamples) s.append("  e.g. ").append(printable(x, 600)).append('\n');
        }
        s.append("====\n");
        return s.toString();
    }
}
