package dev.agentbox.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * The requests of {@link ApiFuzzTest}: every one is drawn from one {@link Random}, never from an answer, so a seed gives
 * the same sequence of requests on every run. Each request carries what the test's oracle needs: which token sent it
 * (and what that token may do), whether a success would change an object created before the fuzzing (such requests
 * only ever carry bodies that cannot be valid, and deletes only name objects that do not exist), whether its body
 * carries a forged status, and whether its path names a place the files API must never reach.
 */
final class ApiFuzzInputs {
    /** What the sending token is allowed to do, for the oracle: nothing (no valid token), team-a's namespace, everything. */
    enum Auth { NONE, TEAM_A, ADMIN }

    /** One request as it goes on the wire. */
    record Req(String method, String target, String version, List<String> headers, byte[] body, RawHttp.Framing framing,
               String token, Auth auth, String route, boolean protectedMutation, boolean forged, boolean forbiddenPath,
               boolean watch, boolean expectAnswer, boolean viaHttpClient, boolean realExec) {
        String requestLine() {
            return method + " " + RawHttp.wireTarget(target) + (version.isEmpty() ? "" : " " + version);
        }
    }

    static final String TEAM_A = "team-a";
    static final List<String> PROTECTED_NS = List.of("default", TEAM_A);
    static final List<String> FUZZ_NS = List.of("fuzz-1", "fuzz-2");
    static final List<String> OTHER_NS = List.of("team-b", "kube-system");
    /** Namespaces no object may ever be stored in: none is a DNS label. */
    static final List<String> HOSTILE_NS = List.of("..", ".", "TEAM-A", "team-a ", " team-a", "team-a\u0000", "t\u0435am-a",
            "*", "a".repeat(64), "a".repeat(3000), "${jndi:ldap://127.0.0.1:1/a}", "team-a;default", "team-a,default",
            "team-a\n", "-team-a", "team_a", "default%2F..", "team-a/../default", "\u202eteam-a", "\uD83D\uDE00");
    /** Names that are invalid for every kind (DNS label and subdomain alike). */
    static final List<String> HOSTILE_NAMES = List.of("../../etc/passwd", "..", "x\u0000y", "\u00fcn\u00efc\u00f6d\u00e9", "\uD83D\uDE00",
            "a".repeat(254), "A", "-a", "a-", " ", "CON", "a\nb", "a/b", "${jndi:ldap://127.0.0.1:1/a}", "'; DROP TABLE objects; --",
            "%00", "python ", "python/", "python%2F..%2F..", "*", "a..b", ".a", "a_b", "\u0000", "a".repeat(70_000));
    static final List<String> FUZZ_NAMES = List.of("fuzz-a", "fuzz-b", "fuzz-c");
    static final List<String> UNSAFE_METHODS = List.of("POST", "PUT", "DELETE", "PATCH");
    static final List<String> OTHER_METHODS = List.of("HEAD", "OPTIONS", "TRACE", "CONNECT", "FOO", "get", "PROPFIND", "M-SEARCH",
            "PURGE", "LINK");
    /** Request lines the server's HTTP parser must cope with (it may close instead of answering). */
    static final List<String> WEIRD_METHODS = List.of("X".repeat(1000), "GET\u0000", "G\u00c9T", "");

    final Random rnd;
    final Fixture fx;
    int realExecBudget = 6;
    int liveSandboxBudget = 2;
    int imageImportBudget = 2;
    int hugeFileBudget = 2;
    int tokenCounter;
    int forgedCounter;

    /** What exists before the fuzzing, and what the requests may use. */
    record Fixture(String adminToken, String teamAToken, String revokedToken, String teamASandbox, String defaultSandbox,
                   Set<String> protectedNames, Set<String> protectedClusterNames, Path scratch, Path emptyDir, Path garbageFile) {}

    ApiFuzzInputs(Random rnd, Fixture fx) {
        this.rnd = rnd;
        this.fx = fx;
    }

    // ------------------------------------------------------------------ one request

    private final class Builder {
        String method = "GET";
        String target = "/";
        String version = "HTTP/1.1";
        final List<String> headers = new ArrayList<>();
        byte[] body;
        RawHttp.Framing framing = RawHttp.Framing.LENGTH;
        String token;
        Auth auth;
        String route;
        boolean protectedMutation;
        boolean forged;
        boolean forbiddenPath;
        boolean watch;
        boolean expectAnswer = true;
        boolean realExec;

        Req build() {
            // a space, CR or LF in the target breaks the request line: the server may close instead of answering
            if (target.chars().anyMatch(c -> c == ' ' || c == '\r' || c == '\n')) expectAnswer = false;
            boolean httpClientOk = !watch && framing == RawHttp.Framing.LENGTH && version.equals("HTTP/1.1")
                    && method.matches("[A-Za-z-]{1,20}") && !method.equals("CONNECT") && uriOk(target)
                    && headers.stream().allMatch(h -> h.chars().allMatch(c -> c >= 0x20 && c < 0x7f) && !h.startsWith("Host:")
                    && !h.startsWith("Expect:") && !h.startsWith("Transfer-Encoding:") && !h.startsWith("Content-Length:")
                    && !h.startsWith("Connection:") && !h.startsWith("Upgrade:"))
                    && headers.stream().filter(h -> h.startsWith("Authorization:")).count() <= 1
                    && (body == null || body.length < 4 << 20);
            return new Req(method, target, version, List.copyOf(headers), body, framing, token, auth, route, protectedMutation,
                    forged, forbiddenPath, watch, expectAnswer, httpClientOk && rnd.nextInt(4) == 0, realExec);
        }
    }

    static boolean uriOk(String target) {
        if (!target.startsWith("/")) return false;
        try {
            URI u = URI.create("http://127.0.0.1:1" + target);
            return u.getRawPath() != null && target.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    Req next() {
        Builder b = new Builder();
        token(b);
        int r = rnd.nextInt(100);
        if (r < 25) resourceCollection(b);
        else if (r < 48) resourceObject(b);
        else if (r < 55) clusterWide(b);
        else if (r < 75) dataPlane(b);
        else if (r < 80) tokens(b);
        else if (r < 84) images(b);
        else if (r < 88) publicRoute(b);
        else otherPath(b);
        hostileHttp(b);
        return b.build();
    }

    // ------------------------------------------------------------------ tokens

    private void token(Builder b) {
        int r = rnd.nextInt(100);
        if (r < 34) {
            b.token = "admin";
            b.auth = Auth.ADMIN;
            b.headers.add("Authorization: Bearer " + fx.adminToken());
        } else if (r < 70) {
            b.token = "team-a";
            b.auth = Auth.TEAM_A;
            b.headers.add("Authorization: Bearer " + fx.teamAToken());
        } else if (r < 77) {
            b.token = "none";
            b.auth = Auth.NONE;
        } else if (r < 87) {
            b.token = "malformed";
            b.auth = Auth.NONE;
            String admin = fx.adminToken();
            b.headers.add(pick("Authorization: Bearer", "Authorization: Bearer ", "Authorization: Basic YWRtaW46YWRtaW4=",
                    "Authorization: Bearer abx_admin_" + "0".repeat(48), "Authorization: bearer " + admin,
                    "Authorization: Bearer " + admin + "x", "Authorization: Bearer " + admin.substring(0, admin.length() - 1),
                    "Authorization: Bearer " + fx.teamAToken().toUpperCase(Locale.ROOT), "Authorization: " + admin,
                    "Authorization: Bearer " + admin.substring(0, 12) + "\u0000" + admin.substring(12),
                    "Authorization: Bearer " + "A".repeat(8000), "Authorization: Bearer \u00e9\u00e9", "Authorization: Token " + admin,
                    "Authorization: Bearer " + admin + " " + admin));
        } else if (r < 95) {
            b.token = "revoked";
            b.auth = Auth.NONE;
            b.headers.add("Authorization: Bearer " + fx.revokedToken());
        } else {
            // two Authorization headers: the server takes one of them; neither may give more than team-a's rights
            b.token = "duplicate";
            b.auth = Auth.TEAM_A;
            b.headers.add("Authorization: Bearer abx_bogus");
            b.headers.add("Authorization: Bearer " + fx.teamAToken());
        }
    }

    // ------------------------------------------------------------------ resources

    /**
     * The kinds fuzzed on their /apis paths: every served kind but core/v1 Event, which only agentboxd writes (clients
     * may read and delete; its /api/v1 paths are among {@link #OTHER_PATHS}).
     */
    static final List<ResourceKind> FUZZED_KINDS = ResourceKinds.all().stream().filter(k -> !k.group().isEmpty()).toList();

    private ResourceKind kind() {
        return FUZZED_KINDS.get(rnd.nextInt(FUZZED_KINDS.size()));
    }

    static boolean clusterScoped(ResourceKind k) {
        return !io.fabric8.kubernetes.api.model.Namespaced.class.isAssignableFrom(k.type());
    }

    private String namespace(Builder b) {
        int r = rnd.nextInt(100);
        if (b.auth == Auth.ADMIN) { // the admin's successes mostly land in fuzz-*, where they may
            if (r < 35) return pick(FUZZ_NS);
            r -= 35;
        }
        if (r < 35) return TEAM_A;
        if (r < 58) return "default";
        if (r < 72) return pick(FUZZ_NS);
        if (r < 80) return pick(OTHER_NS);
        return pick(HOSTILE_NS);
    }

    /**
     * May a success of a mutating request with this token in this namespace change the objects the test guards? Then
     * its body must be invalid and a delete must name no existing object. The admin may create freely only in the
     * fuzz-* namespaces (and in hostile ones, which must be refused); team-a only in nothing it owns.
     */
    private boolean guarded(Builder b, String ns, ResourceKind kind) {
        if (b.auth == Auth.NONE) return false;
        if (kind != null && clusterScoped(kind)) return b.auth == Auth.ADMIN; // names are checked by the caller
        if (b.auth == Auth.TEAM_A) return TEAM_A.equals(ns);
        if (ns == null) return false; // an all-namespaces path: nothing may be created there; checked at the end
        if (FUZZ_NS.contains(ns)) return false;
        return !HOSTILE_NS.contains(ns) || ns.contains("/") || ns.contains("%") || ns.contains("\u0000");
    }

    private String resourceBase(ResourceKind kind, String ns) {
        String group = kind.group();
        String version = kind.version();
        String plural = kind.plural();
        int r = rnd.nextInt(100);
        if (r < 3) group = pick("evil.example", "v1", "AGENTS.X-K8S.IO", "agents.x-k8s.io.", "", "%2e%2e");
        else if (r < 6) version = pick("v1", "v2", "v1beta2", "V1BETA1", "v1beta1 ", "");
        else if (r < 8) plural = pick(plural.toUpperCase(Locale.ROOT), plural.substring(0, plural.length() - 1), plural + "s", "pods", "secrets");
        return prefix(group, version) + (ns == null ? "" : "/namespaces/" + seg(ns)) + "/" + plural;
    }

    /** Where a group's kinds are served: /api/v1 for the core group (ConfigMap, Secret), /apis/{group}/{version} for the others. */
    static String prefix(String group, String version) {
        return group.isEmpty() && version.equals("v1") ? "/api/v1" : "/apis/" + group + "/" + version;
    }

    private void resourceCollection(Builder b) {
        ResourceKind kind = kind();
        String ns = namespace(b);
        b.route = "resource " + kind.plural() + (clusterScoped(kind) ? " (cluster-scoped, namespace in path)" : " collection");
        String base = resourceBase(kind, ns);
        int r = rnd.nextInt(100);
        if (r < 45) {
            b.method = "GET";
            b.target = base + listQuery(b);
            if (rnd.nextInt(10) == 0) b.body = body(kind, true, null);
        } else if (r < 82) {
            b.method = "POST";
            b.target = base + maybeJunkQuery();
            boolean g = guarded(b, ns, kind);
            b.protectedMutation = g && b.auth != Auth.NONE;
            if (!g && b.auth == Auth.ADMIN && FUZZ_NS.contains(ns) && rnd.nextInt(3) == 0) {
                // a clean manifest under a new name, with a forged status: created, and its status must be the server's
                b.body = utf8(asText(manifest(kind, "fuzz-f" + forgedCounter++, true, true)));
                b.forged = true;
            } else {
                b.body = body(kind, g, null);
                b.forged = lastForged;
            }
        } else {
            b.method = otherMethod();
            b.target = base + maybeJunkQuery();
            if (b.method.equals("DELETE") && guarded(b, ns, kind)) {
                // a deletecollection where objects made before the fuzzing live: a selector no such object matches
                b.target = base + "?labelSelector=" + (rnd.nextBoolean() ? "fuzz-only%3Dnever" : "fuzz-only") + (rnd.nextBoolean() ? "&dryRun=All" : "");
            }
            boolean g = guarded(b, ns, kind) || !Set.of("HEAD", "OPTIONS", "TRACE", "GET").contains(b.method);
            b.body = rnd.nextBoolean() ? body(kind, g, null) : null;
        }
    }

    private String objectName(Builder b, boolean mayBeProtected) {
        int r = rnd.nextInt(100);
        if (r < 30 && mayBeProtected) return pick(new ArrayList<>(fx.protectedNames()));
        if (r < 65) return pick(FUZZ_NAMES);
        return pick(HOSTILE_NAMES);
    }

    private void resourceObject(Builder b) {
        ResourceKind kind = kind();
        String ns = namespace(b);
        b.route = "resource " + kind.plural() + (clusterScoped(kind) ? " (cluster-scoped, namespace in path) object" : " object");
        String method = weighted(new String[] {"GET", "PUT", "DELETE", "PATCH", "POST", "OTHER"}, new int[] {30, 25, 15, 6, 6, 18});
        if (method.equals("OTHER")) method = otherMethod();
        b.method = method;
        boolean unsafe = !Set.of("GET", "HEAD", "OPTIONS", "TRACE").contains(method);
        boolean g = guarded(b, ns, kind);
        if (clusterScoped(kind)) g = b.auth == Auth.ADMIN; // the namespace in the path is ignored for them
        // a guarded delete (or patch) never names an object created before the fuzzing
        String name = objectName(b, !(g && unsafe && (method.equals("DELETE") || method.equals("PATCH"))) );
        if (g && unsafe && !method.equals("PUT") && fx.protectedNames().contains(name)) name = pick(FUZZ_NAMES);
        if (g && unsafe && clusterScoped(kind) && fx.protectedClusterNames().contains(name) && method.equals("DELETE")) name = pick(FUZZ_NAMES);
        b.target = resourceBase(kind, ns) + "/" + seg(name) + (rnd.nextInt(8) == 0 ? "/" : "") + maybeJunkQuery();
        if (g && unsafe && !method.equals("PUT") && namesGuarded(b.target)) {
            // a hostile name can decode to a guarded one ("python/" is python): name one that does not exist instead
            b.target = resourceBase(kind, ns) + "/" + pick(FUZZ_NAMES);
        }
        if (unsafe) {
            boolean invalidOnly = g || (clusterScoped(kind) && fx.protectedClusterNames().contains(name));
            b.protectedMutation = invalidOnly && b.auth != Auth.NONE;
            if (!method.equals("DELETE") || rnd.nextInt(5) == 0) {
                b.body = body(kind, invalidOnly, name);
                b.forged = lastForged;
            }
        } else if (rnd.nextInt(10) == 0) {
            b.body = body(kind, true, name);
        }
    }

    /** /apis/{group}/{version}/{plural}[/{name}]: cluster-scoped kinds, and all-namespaces lists of namespaced ones. */
    private void clusterWide(Builder b) {
        ResourceKind kind = kind();
        boolean object = rnd.nextInt(3) == 0;
        b.route = "resource " + kind.plural() + (clusterScoped(kind) ? " (cluster-scoped)" : " all-namespaces") + (object ? " object" : "");
        String base = resourceBase(kind, null);
        String method = weighted(new String[] {"GET", "POST", "PUT", "DELETE", "OTHER"}, new int[] {45, 25, 10, 10, 10});
        if (method.equals("OTHER")) method = otherMethod();
        b.method = method;
        boolean unsafe = !Set.of("GET", "HEAD", "OPTIONS", "TRACE").contains(method);
        String name = null;
        if (object) {
            name = objectName(b, true);
            if (unsafe && b.auth == Auth.ADMIN && method.equals("DELETE") && (fx.protectedClusterNames().contains(name) || fx.protectedNames().contains(name))) {
                name = pick(FUZZ_NAMES);
            }
        }
        b.target = base + (name == null ? "" : "/" + seg(name)) + (method.equals("GET") && name == null ? listQuery(b) : maybeJunkQuery());
        if (unsafe && b.auth == Auth.ADMIN && method.equals("DELETE") && namesGuarded(b.target)) b.target = base + "/" + pick(FUZZ_NAMES);
        if (unsafe) {
            boolean invalidOnly = b.auth == Auth.ADMIN && name != null && (fx.protectedClusterNames().contains(name) || fx.protectedNames().contains(name));
            b.protectedMutation = invalidOnly;
            b.body = body(kind, invalidOnly, name);
            b.forged = lastForged;
        }
    }

    static final java.util.regex.Pattern RESOURCE = java.util.regex.Pattern.compile(
            "^/(?:apis/([^/]+)/([^/]+)|api/v1)(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?/?$");

    /** Does the object name the server will see in this target (decoded, as it routes) name a guarded object? */
    private boolean namesGuarded(String target) {
        String path = ApiFuzzTest.decodedPath(target);
        if (path == null) return false;
        java.util.regex.Matcher m = RESOURCE.matcher(path);
        return m.matches() && m.group(5) != null && (fx.protectedNames().contains(m.group(5)) || fx.protectedClusterNames().contains(m.group(5)));
    }

    // ------------------------------------------------------------------ list and watch parameters

    private String listQuery(Builder b) {
        List<String> params = new ArrayList<>();
        boolean watch = false;
        int n = rnd.nextInt(4);
        boolean timeoutOne = false;
        for (int i = 0; i < n; i++) {
            switch (rnd.nextInt(9)) {
                case 0 -> {
                    // few watches: each one holds a stream open (the test closes it, or timeoutSeconds=1 ends it)
                    String w = rnd.nextInt(3) == 0 ? pick("true", "1", "TRUE") : pick("false", "maybe", "", "yes", "0", "tru", "true\u0000", "2");
                    params.add("watch=" + enc(w));
                }
                case 1 -> params.add("resourceVersion=" + enc(pick("bogus", "-5", "0", "1", "99999999999999999999", "1e3", " 1", "0x10",
                        "9223372036854775807", "", "\u0000")));
                case 2 -> params.add("labelSelector=" + enc(pick("a=b", "=x", "a b c", "a in (b)", "a==b,,", "!", "!a", "a!=b,c", "\u00e9=1",
                        "a=" + "b".repeat(100_000), "a".repeat(70) + "=b", "a=b,".repeat(2000), "app=victim", "a=b=c", "(", "a=\u0000")));
                case 3 -> params.add("fieldSelector=" + enc(pick("metadata.name=python", "metadata.namespace=default", "spec.foo=bar",
                        "status.phase=Running", "nonsense", "metadata.name!=x", "metadata.name==", "=", "metadata.name=" + "x".repeat(50_000),
                        "metadata.namespace!=team-a", ",")));
                case 4 -> {
                    String t = pick("1", "1", "1", "-1", "0", "soon", "99999999999999999999", "1.5", "", " 1", "+1");
                    timeoutOne |= t.equals("1");
                    params.add("timeoutSeconds=" + enc(t));
                }
                case 5 -> params.add("limit=" + enc(pick("-1", "many", "10", "0", "99999999999999999999")));
                case 6 -> params.add(pick("continue=abc", "allowWatchBookmarks=true", "pretty=true", "x", "=", "&&", "a=%zz", "%", "b=%E0%A4%A",
                        "watch", "resourceVersionMatch=NotOlderThan", "sendInitialEvents=true"));
                case 7 -> params.add("watch=true&watch=false");
                default -> params.add("timeoutSeconds=1");
            }
        }
        String q = String.join("&", params);
        String effectiveWatch = lastValue(q, "watch");
        watch = effectiveWatch != null && (effectiveWatch.equalsIgnoreCase("true") || effectiveWatch.equals("1"));
        b.watch = watch;
        return q.isEmpty() ? "" : "?" + q;
    }

    /** The value the server takes (the last one), decoded; null when the parameter is absent. */
    static String lastValue(String query, String name) {
        String v = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            if (!k.equals(name)) continue;
            try {
                v = java.net.URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                v = null;
            }
        }
        return v;
    }

    private String maybeJunkQuery() {
        if (rnd.nextInt(6) != 0) return "";
        return "?" + pick("resourceVersion=bogus", "dryRun=All", "fieldManager=" + "x".repeat(300), "force=true", "a=%zz",
                "gracePeriodSeconds=-1", "propagationPolicy=Orphan", "watch=true", "%", "x=\u00e9", "pretty");
    }

    // ------------------------------------------------------------------ data plane

    static final List<String> FILE_PATHS = List.of("/tmp/fuzz/f1", "/tmp/fuzz/f2", "/tmp/fuzz", "tmp/fuzz/relative", "fuzz-relative",
            "/tmp/../etc/passwd", "../etc/shadow", "/etc/passwd", "/etc/hostname", "/", "/tmp", "/usr/bin/true", "/usr/fuzz-read-only",
            "/tmp/fuzz/" + "a".repeat(300), "/tmp/fuzz/" + "d/".repeat(1500), "/tmp/fuzz/\uD83D\uDE00", "~", "$HOME/x",
            "/tmp/fuzz/*", "/tmp/fuzz/missing/deeper", "", "/tmp/fuzz/f1/not-a-dir", "/tmp/fuzz-root-link", "/tmp/fuzz-agent-link",
            "/tmp/fuzz/a b", "C:\\Windows", "/tmp/fuzz/\u0000x", "\\tmp\\fuzz", "/tmp/fuzz-fifo", "/tmp/fuzz-fifo");
    /** Places the files API must never reach, directly or through a symlink the test made in the sandbox. */
    static final List<String> FORBIDDEN_PATHS = List.of("/proc/self/environ", "/proc/1/fd/0", "/proc", "/sys/kernel", "/dev/mem", "/dev",
            "/.agentbox/init", "//.agentbox/init", "/./.agentbox/init", "/.agentbox", "/.agentbox/", "/.agentbox/fuzz-new",
            "/tmp/fuzz-agent-link/init", "/tmp/fuzz-agent-link/fuzz-new", "/tmp/fuzz-proc-link/self/environ", "/tmp/fuzz-proc-link/1/cmdline",
            "/tmp/fuzz-root-link/.agentbox/init", "/tmp/fuzz-root-link/proc/1/environ", "/tmp/fuzz-root-link/sys/kernel",
            "/tmp/fuzz-dev-link/null", "///proc/self/environ");

    private void dataPlane(Builder b) {
        int r = rnd.nextInt(100);
        String ns = r < 45 ? TEAM_A : r < 70 ? "default" : r < 75 ? pick(FUZZ_NS) : r < 80 ? pick(OTHER_NS) : pick(HOSTILE_NS);
        String sandbox;
        if (ns.equals(TEAM_A) && rnd.nextInt(4) != 0) sandbox = fx.teamASandbox();
        else if (ns.equals("default") && rnd.nextInt(4) != 0) sandbox = fx.defaultSandbox();
        else sandbox = rnd.nextBoolean() ? pick("nope", fx.teamASandbox(), fx.defaultSandbox()) : pick(HOSTILE_NAMES);
        String action = weighted(new String[] {"exec", "files", "files/list", "files/stat", "files/mkdir", "unknown"}, new int[] {28, 32, 12, 12, 8, 8});
        String wireAction = action;
        if (action.equals("unknown")) {
            wireAction = pick("log", "attach", "portforward", "exec/", "files/", "FILES", "files/list/x", "files%2Flist", "files/../exec",
                    "exec%00", "status", "proxy", "files/stat/..", "");
            b.route = "data-plane (unknown action)";
        } else {
            b.route = "data-plane " + action;
        }
        String[] allowed = switch (action) {
            case "exec", "files/mkdir" -> new String[] {"POST"};
            case "files" -> new String[] {"GET", "PUT", "DELETE"};
            case "files/list", "files/stat" -> new String[] {"GET"};
            default -> new String[] {"GET", "POST"};
        };
        b.method = rnd.nextInt(5) != 0 ? pick(allowed) : rnd.nextBoolean() ? pick(UNSAFE_METHODS) : otherMethod();
        List<String> q = new ArrayList<>();
        String base = "/api/v1/namespaces/" + seg(ns) + "/sandboxes/" + seg(sandbox) + "/" + wireAction;
        if (action.equals("exec")) {
            if (rnd.nextInt(4) == 0) q.add("stream=" + enc(pick("true", "false", "maybe", "1", "")));
            b.body = execBody(b);
        } else if (!action.equals("unknown")) {
            String path;
            boolean forbidden = rnd.nextInt(3) == 0;
            path = forbidden ? pick(FORBIDDEN_PATHS) : pick(FILE_PATHS);
            if (rnd.nextInt(12) != 0) q.add("path=" + encPath(path));
            if (rnd.nextInt(15) == 0) q.add("path=" + encPath(pick(FORBIDDEN_PATHS))); // repeated: the last counts
            String effective = lastValue(String.join("&", q), "path");
            b.forbiddenPath = effective != null && (FORBIDDEN_PATHS.contains(effective)
                    || (action.equals("files/list") && effective.equals("/tmp/fuzz-agent-link")));
            if (b.method.equals("DELETE") && effective != null && !effective.startsWith("/tmp/fuzz/") && !FORBIDDEN_PATHS.contains(effective)
                    && !effective.contains("..") && !effective.isEmpty()) {
                // deletes stay in the test's own corner of the sandbox (or where they must be refused); never its symlinks
                q.removeIf(p -> p.startsWith("path="));
                q.add("path=" + encPath("/tmp/fuzz/f2"));
                b.forbiddenPath = false;
            }
            if (rnd.nextInt(4) == 0) q.add("mode=" + enc(pick("0644", "7777", "10000", "0", "-1", "rwx", "0o755", "99999999999", "0755", "")));
            if (rnd.nextInt(4) == 0) q.add("recursive=" + enc(pick("true", "false", "maybe", "")));
            if (rnd.nextInt(4) == 0) q.add("parents=" + enc(pick("true", "false", "perhaps", "")));
            if (b.method.equals("PUT")) b.body = fileBody();
            else if (rnd.nextInt(8) == 0) b.body = body(null, true, null);
        } else if (rnd.nextBoolean()) {
            b.body = execBody(b);
        }
        b.target = base + (q.isEmpty() ? "" : "?" + String.join("&", q));
    }

    /** An exec body: almost always one the server must refuse; a real command (tiny, 1 s timeout) at most a few times. */
    private byte[] execBody(Builder b) {
        if (realExecBudget > 0 && rnd.nextInt(25) == 0) {
            realExecBudget--;
            b.realExec = true;
            return utf8(pick("{\"command\":[\"true\"],\"timeoutSeconds\":1}",
                    "{\"shell\":\"echo fuzz\",\"timeoutSeconds\":1,\"maxOutputBytes\":4}",
                    "{\"command\":[\"/nonexistent/fuzz\"],\"timeoutSeconds\":1}",
                    "{\"shell\":\"true\",\"workingDir\":\"/nonexistent\",\"timeoutSeconds\":1}",
                    "{\"command\":[\"true\"],\"env\":{\"LD_PRELOAD\":\"/x\",\"A=B\":\"c\"},\"timeoutSeconds\":1,\"stdin\":\"\\u0000\\uffff\"}"));
        }
        if (rnd.nextInt(3) == 0) return body(null, true, null);
        return utf8(pick("{}", "{\"command\":[]}", "{\"shell\":\"\"}", "{\"command\":[\"true\"],\"shell\":\"true\"}", "{\"command\":\"true\"}",
                "{\"command\":[1,2]}", "{\"command\":[null]}", "{\"command\":[\"true\"],\"timeoutSeconds\":0}",
                "{\"command\":[\"true\"],\"timeoutSeconds\":-1}", "{\"command\":[\"true\"],\"timeoutSeconds\":86401}",
                "{\"command\":[\"true\"],\"timeoutSeconds\":1e30}", "{\"command\":[\"true\"],\"timeoutSeconds\":\"soon\"}",
                "{\"shell\":\"true\",\"maxOutputBytes\":0}", "{\"shell\":\"true\",\"maxOutputBytes\":16777217}",
                "{\"shell\":\"true\",\"env\":{\"A\":null}}", "{\"shell\":\"true\",\"env\":[]}", "{\"shell\":{}}", "{\"command\":{}}",
                "{\"shell\":\"true\",\"stdin\":\"" + "x".repeat(1_048_577) + "\"}", "{\"shell\":\"true\",\"env\":" + "[".repeat(150) + "]".repeat(150) + "}",
                "{\"command\":[\"true\"],\"timeoutSeconds\":" + "9".repeat(101) + "}", "{\"shell\":\"true\"", "{\"shell\":\"true\"}}",
                "{\"command\":[\"true\"],\"timeoutSeconds\":9223372036854775808}", "{\"shell\":[\"true\"]}", "null", "[]", "\"true\"", ""));
    }

    private byte[] fileBody() {
        int r = rnd.nextInt(100);
        if (r < 60) return randomBytes(rnd.nextInt(4096));
        if (r < 80) return utf8("#!/bin/sh\necho fuzz\n");
        if (r < 95) return randomBytes(rnd.nextInt(1 << 20));
        if (hugeFileBudget > 0) {
            hugeFileBudget--;
            return new byte[64 * 1024 * 1024 + 1]; // one byte over the file limit: a 413
        }
        return new byte[0];
    }

    // ------------------------------------------------------------------ admin endpoints

    private void tokens(Builder b) {
        b.route = "tokens";
        String method = weighted(new String[] {"GET", "POST", "DELETE", "OTHER"}, new int[] {25, 45, 20, 10});
        b.method = method.equals("OTHER") ? otherMethod() : method;
        String path = pick("/api/v1/tokens", "/api/v1/tokens", "/api/v1/tokens", "/api/v1/tokens/", "/api/v1/tokens/team-a", "/api/v1//tokens");
        if (b.method.equals("DELETE")) {
            // the admin never revokes team-a's token (the test needs it); every other token may try to
            String name = b.auth == Auth.ADMIN ? pick("fuzz-t0", "fuzz-t1", "admin", "nope", "", "revoked", "fuzz-revoked", "../x", "a".repeat(5000))
                    : pick("team-a", "fuzz-t0", "admin", "fuzz-revoked");
            b.target = path + (rnd.nextInt(6) == 0 ? "" : "?name=" + enc(name));
        } else {
            b.target = path + maybeJunkQuery();
        }
        if (!b.method.equals("GET") && !b.method.equals("DELETE")) b.body = tokenBody();
    }

    private byte[] tokenBody() {
        if (rnd.nextInt(4) == 0) return body(null, true, null);
        String name = rnd.nextInt(3) == 0 ? pick(HOSTILE_NAMES) : "fuzz-t" + (tokenCounter++ % 4);
        String namespaces = pick("[\"fuzz-1\"]", "[\"team-a\",\"default\"]", "\"team-a\"", "[1,2]", "[null]", "[\"*\"]", "[\"../x\"]", "[]",
                "{}", "[\"" + "a".repeat(64) + "\"]", "[" + "\"fuzz-1\",".repeat(20_000) + "\"fuzz-2\"]", "[[\"team-a\"]]", "null", "[\"TEAM-A\"]");
        return utf8(pick("{\"name\":" + json(name) + ",\"namespaces\":" + namespaces + "}", "{\"namespaces\":" + namespaces + "}",
                "{\"name\":" + json(name) + "}", "{\"name\":null,\"namespaces\":[\"fuzz-1\"]}", "{\"name\":[\"fuzz-x\"],\"namespaces\":[\"fuzz-1\"]}",
                "{\"name\":" + json(name) + ",\"namespaces\":" + namespaces + ",\"admin\":true}"));
    }

    private void images(Builder b) {
        b.route = "images";
        String method = weighted(new String[] {"GET", "POST", "OTHER"}, new int[] {40, 45, 15});
        b.method = method.equals("OTHER") ? otherMethod() : method;
        b.target = pick("/api/v1/images", "/api/v1/images", "/api/v1/images", "/api/v1/images/", "/api/v1/images/agentbox%2Fbuiltin") + maybeJunkQuery();
        if (b.method.equals("GET")) return;
        if (rnd.nextInt(4) == 0) {
            b.body = body(null, true, null);
            return;
        }
        String name = pick("fuzz-img", "../../fuzz", "agentbox/builtin", "UPPER", "a".repeat(300), "", "fuzz img", "fuzz-img:\u0000", "x:y:z");
        // never a real host directory: a missing path, a relative one, a file of garbage, or an empty directory of the test's
        String source;
        if (b.auth == Auth.ADMIN && imageImportBudget > 0 && rnd.nextInt(4) == 0) {
            imageImportBudget--;
            source = fx.emptyDir().toString();
            name = "fuzz-img";
        } else {
            source = pick("/nonexistent/fuzz", "relative/path", "", fx.garbageFile().toString(), fx.scratch().resolve("missing").toString(),
                    fx.emptyDir() + "/../" + fx.emptyDir().getFileName() + "/missing");
        }
        b.body = utf8(pick("{\"name\":" + json(name) + ",\"source\":" + json(source) + "}", "{\"name\":" + json(name) + "}",
                "{\"source\":" + json(source) + "}", "{\"name\":1,\"source\":[]}"));
    }

    private void publicRoute(Builder b) {
        boolean health = rnd.nextBoolean();
        b.route = health ? "healthz" : "metrics";
        b.method = rnd.nextInt(3) == 0 ? (rnd.nextBoolean() ? pick(UNSAFE_METHODS) : otherMethod()) : "GET";
        b.target = (health ? "/healthz" : "/metrics") + (rnd.nextInt(5) == 0 ? pick("?x=1", "?%zz", "?name[]=x", "?" + "a".repeat(10_000)) : "");
        if (rnd.nextInt(4) == 0) b.body = body(null, true, null);
    }

    static final List<String> OTHER_PATHS = List.of("/", "/apis", "/apis/", "/api", "/api/v1", "/api/v1/namespaces",
            "/api/v1/namespaces/team-a", "/api/v1/namespaces/team-a/sandboxes", "/api/v1/namespaces/default/sandboxes/SANDBOX",
            "/apis/agents.x-k8s.io", "/apis/agents.x-k8s.io/v1beta1", "/apis/agents.x-k8s.io/v1beta1/namespaces/team-a/sandboxes/SANDBOX/status",
            "/apis/agents.x-k8s.io/v1beta1/namespaces/default/sandboxes/SANDBOX/exec", "/apis/evil.example/v1/namespaces/team-a/things",
            "/apis/agents.x-k8s.io/v1/namespaces/default/sandboxes", "/../../etc/passwd", "/apis/../healthz", "/%2e%2e/%2e%2e/etc/passwd",
            "/apis/agents.x-k8s.io/v1beta1/namespaces/team-a%2F..%2Fdefault/sandboxes",
            "/apis/agents.x-k8s.io/v1beta1/namespaces/team-a/..%2F..%2Fnamespaces%2Fdefault/sandboxes",
            "/api/v1/namespaces/team-a/sandboxes/SANDBOX/files%2F..%2F..%2Fexec", "//healthz", "/healthz%00", "/HEALTHZ", "/healthz/",
            "/api/v1/tokens/../images", "/api/v1/images/x", "/debug/pprof", "/actuator/env", "/.env", "/openapi/v2", "/version", "/livez",
            "/readyz", "/api/v1/namespaces/default/sandboxes/SANDBOX/log", "/mcp", "/api/v1/namespaces/default/secrets",
            "/apis/agents.x-k8s.io/v1beta1/namespaces/default/sandboxes/SANDBOX/../../../team-a/sandboxes",
            "/api/v1/namespaces/default/sandboxes/SANDBOX/exec/../../../../team-a/sandboxes/SANDBOX/exec",
            "/apis/podsnapshot.gke.io/v1/namespaces/default/podsnapshots/x/../../../../../podsnapshotstorageconfigs",
            "/api/v1/namespaces/%64efault/sandboxes/SANDBOX/exec", "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/%64efault/sandboxtemplates",
            "/api/v1/namespaces/default/sandboxes/SANDBOX/exec;team-a", "/api/v1/namespaces/default/sandboxes/SANDBOX/exec?namespace=team-a",
            "/api/v1/namespaces/./sandboxes/SANDBOX/exec", "/api/v1/namespaces/team-a/./../default/sandboxes/SANDBOX/files/list?path=/tmp",
            "/api/v1/namespaces/team-a/events", "/api/v1/namespaces/default/events", "/api/v1/events", "/api/v1/namespaces/team-a/events/fuzz-x",
            "/api/v1/namespaces/team-a/events?watch=true&timeoutSeconds=1", "/api/v1/namespaces/team-a/../default/events");

    private void otherPath(Builder b) {
        b.route = "other paths";
        int r = rnd.nextInt(100);
        String sandbox = rnd.nextBoolean() ? fx.defaultSandbox() : fx.teamASandbox();
        if (r < 70) {
            b.target = pick(OTHER_PATHS).replace("SANDBOX", sandbox);
        } else if (r < 80) {
            b.target = "/" + "a".repeat(pick(List.of(5_000, 70_000, 300_000)));
            b.expectAnswer = false; // the HTTP parser may close a connection with a huge request line
        } else if (r < 85) {
            b.target = "/apis/" + "a/".repeat(5_000);
        } else if (r < 90) {
            b.target = pick("*", "http://127.0.0.1/api/v1/tokens", "http://evil.example/apis/agents.x-k8s.io/v1beta1/namespaces/default/sandboxes",
                    "http://127.0.0.1/api/v1/namespaces/default/sandboxes/" + sandbox + "/exec", "healthz", "", "/\u0000", "/ /", "/\r\nX-Injected: 1");
            b.expectAnswer = false;
        } else {
            b.target = "/api/v1/namespaces/" + TEAM_A + "/sandboxes/" + fx.teamASandbox() + "/" + pick("exec", "files") + "/" + seg(pick(HOSTILE_NAMES));
        }
        String method = weighted(new String[] {"GET", "POST", "PUT", "DELETE", "OTHER"}, new int[] {40, 25, 10, 10, 15});
        b.method = method.equals("OTHER") ? otherMethod() : method;
        if (!b.method.equals("GET") || rnd.nextInt(5) == 0) b.body = rnd.nextBoolean() ? execBody(new Builder()) : body(null, true, null);
    }

    // ------------------------------------------------------------------ HTTP-level hostility

    private void hostileHttp(Builder b) {
        if (rnd.nextInt(4) == 0) {
            b.headers.add("Content-Type: " + pick("application/json", "application/yaml", "text/plain", "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/merge-patch+json", "\u00e9/\u00e9", ""));
        }
        int r = rnd.nextInt(100);
        if (r >= 14) return;
        switch (r) {
            case 0 -> b.framing = RawHttp.Framing.CHUNKED;
            case 1 -> b.framing = RawHttp.Framing.CHUNKED;
            case 2 -> b.framing = RawHttp.Framing.NONE;
            case 3 -> { // the rest of the body is left unread: the server may reset the connection instead of answering
                b.framing = RawHttp.Framing.LENGTH_TOO_SHORT;
                b.expectAnswer = false;
            }
            case 4 -> {
                b.framing = RawHttp.Framing.LENGTH_GARBAGE;
                b.expectAnswer = false;
            }
            case 5 -> {
                b.framing = RawHttp.Framing.LENGTH_AND_CHUNKED;
                b.expectAnswer = false;
            }
            case 6 -> {
                b.headers.add("Host: evil.example");
                b.headers.add("Origin: http://evil.example");
            }
            case 7 -> b.headers.add("Expect: 100-continue");
            case 8 -> {
                for (int i = 0; i < 150; i++) b.headers.add("X-Fuzz-" + i + ": " + i);
                b.expectAnswer = false;
            }
            case 9 -> {
                b.headers.add("X-Fuzz: " + "v".repeat(60_000));
                b.expectAnswer = false;
            }
            case 10 -> {
                b.version = pick("HTTP/1.0", "HTTP/2.0", "", "HTTP/1.1 extra", "HTTP/9.9", "http/1.1");
                b.expectAnswer = b.version.equals("HTTP/1.0");
            }
            case 11 -> {
                b.method = pick(WEIRD_METHODS);
                b.expectAnswer = false;
            }
            case 12 -> {
                b.headers.add("Transfer-Encoding: gzip");
                b.expectAnswer = false;
            }
            default -> {
                b.headers.add("X-Fuzz-Nul: a\u0000b");
                b.expectAnswer = false;
            }
        }
        if (b.framing != RawHttp.Framing.LENGTH && b.framing != RawHttp.Framing.CHUNKED) b.watch = false;
    }

    private String otherMethod() {
        return rnd.nextInt(4) == 0 ? pick(UNSAFE_METHODS) : pick(OTHER_METHODS);
    }

    // ------------------------------------------------------------------ bodies

    /** Set by {@link #body}: the last body carries a forged status. */
    private boolean lastForged;

    /**
     * A body for a route of {@code kind} (null: any). {@code invalidOnly}: it must be impossible for the server to accept
     * it as an object of any kind at any path (so a success would be a bug the test reports, not a change it made).
     */
    byte[] body(ResourceKind kind, boolean invalidOnly, String urlName) {
        lastForged = false;
        ResourceKind k = kind != null ? kind : kind();
        int r = invalidOnly || rnd.nextBoolean() ? rnd.nextInt(78) : 78 + rnd.nextInt(22);
        // 0..77 can never be valid; 78..99 may be
        if (r < 4) return new byte[0];
        if (r < 9) return utf8(pick("null", "[]", "{}", "\"x\"", "1", "true", "-1e999", "1e400", "[null]", "~", "---", "...", "[{}]"));
        if (r < 14) return nesting();
        if (r < 18) return overLimit(k);
        if (r < 25) return wrongTypes(k);
        if (r < 31) { // a valid manifest of another kind than the path's
            ResourceKind other = kind();
            while (other.equals(k)) other = kind();
            return utf8(asText(manifest(other, validName(other, urlName), false)));
        }
        if (r < 37) { // a valid manifest plus one unknown field: refused naming the field
            ObjectNode m = manifest(k, validName(k, urlName), false);
            // ConfigMap and Secret have no spec (their data takes any key): the unknown field goes into metadata
            ((ObjectNode) m.path(m.has("spec") ? pick("metadata", "spec", "metadata") : "metadata")).put(pick("fuzzUnknown", "nam", "Spec", "status "), 1);
            if (rnd.nextBoolean()) m.put("fuzzUnknownTopLevel", true);
            return utf8(asText(m));
        }
        if (r < 43) { // a hostile name
            ObjectNode m = manifest(k, pick(HOSTILE_NAMES.subList(0, HOSTILE_NAMES.size() - 1)), rnd.nextBoolean());
            if (rnd.nextInt(4) == 0) ((ObjectNode) m.get("metadata")).put("namespace", pick(HOSTILE_NS));
            lastForged = m.has("status");
            return utf8(asText(m));
        }
        if (r < 51) return yamlTricks(k);
        if (r < 57) return garbage();
        if (r < 61) { // several documents where exactly one object is taken
            String one = asYaml(manifest(k, validName(k, urlName), false));
            return utf8(rnd.nextInt(4) == 0 ? ("---\n" + one).repeat(1001) : one + "---\n" + one);
        }
        if (r < 66) { // the name differs from the URL's (a replace), or the namespace is no DNS label (a create)
            ObjectNode m = manifest(k, urlName != null ? "fuzz-mismatch" : "UPPER-CASE", false);
            ObjectNode meta = (ObjectNode) m.get("metadata");
            meta.put("namespace", urlName != null ? pick("team-b", "default", TEAM_A, "kube-system") : pick(HOSTILE_NS));
            return utf8(asText(m));
        }
        if (r < 72) { // limits: one over the string, name, number and line limits
            return utf8(pick(
                    "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":\"fuzz-big\",\"annotations\":{\"a\":\""
                            + "x".repeat(1_048_577) + "\"}}}",
                    "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":\"fuzz-big\",\"labels\":{\""
                            + "k".repeat(4097) + "\":\"v\"}}}",
                    "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":\"fuzz-big\",\"generation\":"
                            + "9".repeat(101) + "}}",
                    "apiVersion: " + k.apiVersion() + "\nkind: " + k.kind() + "\nmetadata:\n  name: fuzz-big\n  annotations:\n    a: " + "x".repeat(65_537) + "\n"));
        }
        if (r < 78) { // the JSON/YAML edge cases
            return utf8(pick("{\"a\":1}{\"b\":2}", "{\"a\":NaN}", "{\"a\":1,}", "// comment\n{}", "{'a':1}", "\uFEFF[]", "{\"a\":\"\\ud800\"}",
                    "{\"a\":\"\\u0000\"}", "[" + "1,".repeat(100_000) + "1]", "{" + "\"k\":1,".repeat(50_000) + "\"k\":2}", "\t- a\n\t- b",
                    "? [a, b]\n: c\n", "%YAML 1.1\n%TAG ! tag:evil.example:\n--- !x {}\n", "!!binary AAAA", "a: b\n  c: d\n"));
        }
        // ---- may be valid: only where a success changes nothing the test guards
        if (r < 84) {
            ObjectNode m = manifest(k, validName(k, urlName), true, rnd.nextInt(3) != 0);
            lastForged = true;
            return utf8(asText(m));
        }
        if (r < 90) return utf8(asText(manifest(k, validName(k, urlName), false)));
        if (r < 93) { // near, but within, the limits
            ObjectNode m = manifest(k, validName(k, urlName), false);
            ObjectNode ann = ((ObjectNode) m.get("metadata")).putObject("annotations");
            int n = pick(List.of(1, 2, 3));
            for (int i = 0; i < n; i++) ann.put("fuzz.example/a" + i, "x".repeat(1_000_000 - 1000));
            return utf8(asText(m));
        }
        if (r < 96) { // a YAML line just under the limit, and generateName
            String y = asYaml(manifest(k, validName(k, urlName), false)) + "# " + "c".repeat(65_000) + "\n";
            return utf8(rnd.nextBoolean() ? y : y.replaceFirst("  name: [^\\n]*\\n", "  generateName: fuzz-gen-\n"));
        }
        return mutate(asText(manifest(k, validName(k, urlName), rnd.nextBoolean())));
    }

    private String validName(ResourceKind k, String urlName) {
        if (urlName != null && rnd.nextInt(4) != 0) return urlName;
        return rnd.nextBoolean() ? pick(FUZZ_NAMES) : "fuzz-n" + rnd.nextInt(30);
    }

    ObjectNode manifest(ResourceKind k, String name, boolean forgedStatus) {
        return manifest(k, name, forgedStatus, false);
    }

    /**
     * A manifest of the kind, valid but for what the random extras add (a hostPath, a privileged container, a replica count
     * over the quota, a reference to an object that does not exist...); {@code clean}: none of them, so the create
     * succeeds unless the name is taken or a reference is missing. No sandbox starts, but for the few
     * {@link #liveSandboxBudget} allows.
     */
    ObjectNode manifest(ResourceKind k, String name, boolean forgedStatus, boolean clean) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode m = f.objectNode();
        m.put("apiVersion", k.apiVersion());
        m.put("kind", k.kind());
        ObjectNode meta = m.putObject("metadata");
        meta.put("name", name);
        if (rnd.nextInt(3) == 0) meta.putObject("labels").put("app", pick("fuzz", "victim", "python"));
        if (rnd.nextInt(6) == 0) meta.put("uid", "00000000-0000-0000-0000-000000000000");
        if (!clean && rnd.nextInt(6) == 0) meta.put("resourceVersion", pick("1", "bogus", "999999"));
        if (!clean && rnd.nextInt(8) == 0) meta.putArray("ownerReferences").addObject().put("apiVersion", "extensions.agents.x-k8s.io/v1beta1")
                .put("kind", "SandboxClaim").put("name", "c").put("uid", "00000000-0000-0000-0000-000000000001").put("controller", true);
        if (rnd.nextInt(8) == 0) meta.putArray("finalizers").add("fuzz.example/never");
        ObjectNode spec = m.putObject("spec");
        if (k.group().isEmpty()) { // ConfigMap, Secret: data instead of a spec (a bad base64 value, a bad key, now and then)
            m.remove("spec");
            ObjectNode data = m.putObject("data");
            boolean secret = k.kind().equals("Secret");
            data.put(!clean && rnd.nextInt(6) == 0 ? pick("../x", ".", "a/b") : "key", secret ? (!clean && rnd.nextInt(4) == 0 ? "not base64!" : "dmFsdWU=") : "value");
            if (forgedStatus) m.putObject("status").put("phase", "fuzz-forged");
            return m;
        }
        switch (k.kind()) {
            case "Sandbox" -> {
                String image = "fuzz/missing:1";
                if (liveSandboxBudget > 0 && rnd.nextInt(20) == 0) {
                    liveSandboxBudget--;
                    image = "agentbox/builtin";
                }
                spec.set("podTemplate", clean ? cleanPodTemplate(image) : podTemplate(image));
                if (!clean && rnd.nextInt(4) == 0) meta.putObject("annotations").put("podsnapshot.gke.io/ps-name", pick("fuzz-pinned", "../team-a/x", "stolen"));
                if (!clean && rnd.nextInt(5) == 0) spec.put("operatingMode", pick("Suspended", "Running", "Bogus"));
                if (!clean && rnd.nextInt(5) == 0) spec.put("shutdownTime", pick("2000-01-01T00:00:00Z", "never", "9999-12-31T23:59:59Z"));
            }
            case "SandboxTemplate" -> {
                spec.set("podTemplate", clean ? cleanPodTemplate("agentbox/builtin") : podTemplate("agentbox/builtin"));
                if (!clean && rnd.nextInt(4) == 0) spec.putObject("networkPolicy").putArray("egress").addObject().putArray("to").addObject()
                        .putObject("ipBlock").put("cidr", pick("0.0.0.0/0", "169.254.169.254/32", "bogus"));
            }
            case "SandboxClaim" -> spec.putObject("warmPoolRef").put("name", pick("missing-pool", "py", "../py"));
            case "SandboxWarmPool" -> {
                // an existing template only with no replicas: a pool of fuzz-a's would start sandboxes
                spec.put("replicas", clean ? Integer.valueOf(0) : pick(List.of(0, 0, 1, 20, 21, 1_000_000, -1)));
                spec.putObject("sandboxTemplateRef").put("name", clean ? pick(FUZZ_NAMES) : "missing-template");
            }
            case "PodSnapshotStorageConfig" -> {
                ObjectNode storage = spec.putObject("snapshotStorageConfig");
                if (!clean && rnd.nextInt(4) == 0) storage.putObject("gcs").put("bucket", "fuzz").put("path", pick("x", "../../etc"));
                else storage.putObject("local").put("path", clean ? fx.scratch().resolve("fuzz-storage").toString() : pick(fx.scratch().resolve("fuzz-storage").toString(), "relative/path", "/tmp", "",
                        fx.scratch() + "/../" + fx.scratch().getFileName() + "/fuzz-storage-2"));
            }
            case "PodSnapshotPolicy" -> {
                spec.put("storageConfigName", pick("local", "missing"));
                spec.putObject("selector").putObject("matchLabels").put("app", pick("fuzz-none", "victim"));
                spec.putObject("triggerConfig").put("type", pick("manual", "workload", "bogus")).put("postCheckpoint", pick("resume", "stop"));
            }
            case "PodSnapshotManualTrigger" -> spec.put("targetPod", pick("missing-sandbox", fx.teamASandbox(), fx.defaultSandbox(), "../x"));
            case "PodSnapshot" -> spec.put("policyName", pick("missing-policy", "pol"));
            default -> throw new IllegalStateException(k.kind());
        }
        if (forgedStatus) {
            ObjectNode status = m.putObject("status");
            status.putArray("conditions").addObject().put("type", "Ready").put("status", "True").put("reason", "FuzzForged")
                    .put("message", "fuzz-forged").put("lastTransitionTime", "2024-01-01T00:00:00Z");
            switch (k.kind()) {
                case "PodSnapshot" -> {
                    status.putObject("storageStatus").putObject("local").put("observedPath", "/fuzz-forged/" + pick("etc", "root", "x"));
                    status.put("templateHash", "fuzz-forged").put("sizeBytes", 1);
                }
                case "SandboxWarmPool" -> status.put("readyReplicas", 99).put("selector", "fuzz-forged");
                case "SandboxClaim" -> status.putObject("sandbox").put("name", "fuzz-forged");
                case "PodSnapshotManualTrigger" -> status.putObject("snapshotCreated").put("name", "fuzz-forged");
                case "Sandbox" -> status.put("service", "fuzz-forged");
                default -> { }
            }
        }
        return m;
    }

    private static ObjectNode cleanPodTemplate(String image) {
        ObjectNode pt = JsonNodeFactory.instance.objectNode();
        ObjectNode c = pt.putObject("spec").putArray("containers").addObject();
        c.put("name", "main").put("image", image);
        c.putArray("command").add("sleep").add("infinity");
        return pt;
    }

    private ObjectNode podTemplate(String image) {
        ObjectNode pt = JsonNodeFactory.instance.objectNode();
        ObjectNode c = pt.putObject("spec").putArray("containers").addObject();
        c.put("name", "main").put("image", image);
        c.putArray("command").add("sleep").add("infinity");
        if (rnd.nextInt(4) == 0) {
            ObjectNode sc = c.putObject("securityContext");
            sc.put("privileged", rnd.nextBoolean()).put("runAsUser", pick(List.of(0, -1, 65534)));
        }
        if (rnd.nextInt(4) == 0) {
            ArrayNode vols = ((ObjectNode) pt.get("spec")).putArray("volumes");
            vols.addObject().put("name", "host").putObject("hostPath").put("path", pick("/", "/etc", "/var/run/docker.sock"));
            c.putArray("volumeMounts").addObject().put("name", "host").put("mountPath", "/host");
        }
        if (rnd.nextInt(4) == 0) c.putObject("resources").putObject("limits").put("memory", pick("1Pi", "-1", "bogus", "64Mi")).put("cpu", pick("1000", "0", "x"));
        return pt;
    }

    private byte[] nesting() {
        int depth = pick(List.of(99, 101, 1000, 100_000));
        return utf8(switch (rnd.nextInt(4)) {
            case 0 -> "[".repeat(depth) + "]".repeat(depth);
            case 1 -> "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
            case 2 -> "a: " + "[".repeat(Math.min(depth, 20_000)) + "]".repeat(Math.min(depth, 20_000)) + "\n";
            default -> {
                StringBuilder y = new StringBuilder();
                for (int i = 0; i < Math.min(depth, 1500); i++) y.append(" ".repeat(i)).append("k:\n");
                yield y.toString();
            }
        });
    }

    private byte[] overLimit(ResourceKind k) {
        int r = rnd.nextInt(3);
        if (r == 0) { // one byte over the 3 MiB body limit
            String head = "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":\"fuzz-huge\",\"annotations\":{\"a\":\"";
            String tail = "\"}}}";
            return utf8(head + "x".repeat(3 * 1024 * 1024 + 1 - head.length() - tail.length()) + tail);
        }
        if (r == 1) { // 3 MiB of YAML lines, each under the line limit, over the body limit
            return utf8(("# " + "y".repeat(1000) + "\n").repeat(3200));
        }
        return utf8("apiVersion: " + k.apiVersion() + "\nkind: " + k.kind() + "\nmetadata:\n  name: fuzz-long\n  annotations:\n    a: " + "x".repeat(2_000_000) + "\n");
    }

    private byte[] wrongTypes(ResourceKind k) {
        return utf8(pick("{\"apiVersion\":1,\"kind\":[]}", "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":\"x\"}",
                "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":123}}",
                "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":\"fuzz-a\",\"labels\":[\"a\"]}}",
                "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":\"fuzz-a\"},\"spec\":[]}",
                "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":{\"name\":\"fuzz-a\"},\"spec\":\"x\"}",
                "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "\",\"metadata\":null,\"spec\":null}",
                "{\"apiVersion\":\"extensions.agents.x-k8s.io/v1beta1\",\"kind\":\"SandboxWarmPool\",\"metadata\":{\"name\":\"fuzz-a\"},\"spec\":{\"replicas\":\"many\"}}",
                "{\"apiVersion\":\"extensions.agents.x-k8s.io/v1beta1\",\"kind\":\"SandboxWarmPool\",\"metadata\":{\"name\":\"fuzz-a\"},\"spec\":{\"replicas\":9223372036854775808,\"sandboxTemplateRef\":{\"name\":\"x\"}}}",
                "{\"apiVersion\":\"agents.x-k8s.io/v1beta1\",\"kind\":\"Sandbox\",\"metadata\":{\"name\":\"fuzz-a\"},\"spec\":{\"podTemplate\":{\"spec\":{\"containers\":{}}}}}",
                "{\"apiVersion\":\"agents.x-k8s.io/v1beta1\",\"kind\":\"Sandbox\",\"metadata\":{\"name\":\"fuzz-a\"},\"spec\":{\"podTemplate\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":[]}]}}}}",
                "{\"apiVersion\":\"" + k.apiVersion() + "\",\"kind\":\"" + k.kind() + "List\",\"items\":[" + "{},".repeat(3) + "{}]}",
                "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{}}", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"fuzz-a\"}}",
                "{\"kind\":\"" + k.kind() + "\"}", "{\"apiVersion\":\"" + k.apiVersion() + "\"}"));
    }

    private byte[] yamlTricks(ResourceKind k) {
        String head = "apiVersion: " + k.apiVersion() + "\nkind: " + k.kind() + "\nmetadata:\n  name: fuzz-yaml\n";
        StringBuilder laughs = new StringBuilder(head + "  annotations:\n    a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
        for (int i = 1; i < 9; i++) laughs.append("    a").append(i).append(": &a").append(i).append(" [")
                .append(String.join(",", java.util.Collections.nCopies(9, "*a" + (i - 1)))).append("]\n");
        return utf8(pick(laughs.toString(),
                head + "  labels: &l\n    a: b\nspec: *l\n",
                "base: &base\n  apiVersion: " + k.apiVersion() + "\n  kind: " + k.kind() + "\n<<: *base\nmetadata:\n  name: fuzz-merge\n",
                head + "spec: *nope\n",
                "&a [*a]\n",
                "!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://127.0.0.1:1/\"]]]]\n",
                head + "spec: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://127.0.0.1:1/\"]]]]\n",
                "!!python/object/apply:os.system ['true']\n",
                head + "spec: !!binary AAAA\n",
                head + "spec: !!set {a, b}\n",
                "--- &doc\n" + head + "--- *doc\n",
                head.replace("apiVersion", "? apiVersion") + "spec: {}\n",
                "\t" + head,
                head + "spec:\n  podTemplate: |\n    " + "x".repeat(100) + "\n"));
    }

    private byte[] garbage() {
        int r = rnd.nextInt(6);
        return switch (r) {
            case 0 -> randomBytes(1 + rnd.nextInt(8192));
            case 1 -> concat(utf8("{\"apiVersion\":"), randomBytes(1 + rnd.nextInt(512)));
            case 2 -> new byte[] {(byte) 0xC0, (byte) 0x80, (byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xFF, (byte) 0xFE, '{', '}'};
            case 3 -> "{\"apiVersion\":\"v1\"}".getBytes(StandardCharsets.UTF_16LE);
            case 4 -> concat(new byte[] {(byte) 0xFE, (byte) 0xFF}, "{}".getBytes(StandardCharsets.UTF_16BE));
            default -> utf8("\u0000".repeat(1 + rnd.nextInt(1000)));
        };
    }

    /** A few random edits of a valid manifest's text: most make it invalid, some leave it valid. */
    private byte[] mutate(String text) {
        StringBuilder s = new StringBuilder(text);
        int n = 1 + rnd.nextInt(5);
        String alphabet = "{}[]\":,\\\u0000 a1-.\u00e9\n";
        for (int i = 0; i < n && s.length() > 0; i++) {
            int at = rnd.nextInt(s.length());
            switch (rnd.nextInt(4)) {
                case 0 -> s.deleteCharAt(at);
                case 1 -> s.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                case 2 -> s.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                default -> {
                    int end = Math.min(s.length(), at + rnd.nextInt(40));
                    s.insert(at, s.substring(at, end));
                }
            }
        }
        return utf8(s.toString());
    }

    private String asText(ObjectNode m) {
        return rnd.nextInt(3) == 0 ? asYaml(m) : m.toString();
    }

    private static String asYaml(ObjectNode m) {
        return dev.agentbox.api.Resources.toYaml(m);
    }

    // ------------------------------------------------------------------ encoding helpers

    /** A path segment: mostly percent-encoded; sometimes raw (may split the path or break the request line) or double-encoded. */
    private String seg(String s) {
        if (s.matches("[A-Za-z0-9._~-]*") && rnd.nextInt(10) != 0) return s;
        int r = rnd.nextInt(10);
        if (r < 7) return pct(s, false);
        if (r < 9) return s;
        return pct(pct(s, false), false);
    }

    private String enc(String s) {
        return rnd.nextInt(10) == 0 ? s : pct(s, true);
    }

    private String encPath(String p) {
        int r = rnd.nextInt(10);
        if (r < 7) return pct(p, true);
        if (r < 9) return p.replace("%", "%25").replace("&", "%26").replace(" ", "%20").replace("#", "%23");
        return p; // raw: a NUL or a space in it breaks the request line
    }

    /** Percent-encoding of everything but unreserved characters (and '/' when {@code keepSlash}). */
    static String pct(String s, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
            int u = c & 0xff;
            if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' || u == '~'
                    || (keepSlash && u == '/')) {
                out.append((char) u);
            } else {
                out.append('%').append(String.format("%02X", u));
            }
        }
        return out.toString();
    }

    private static String json(String s) {
        return JsonNodeFactory.instance.textNode(s).toString();
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private <T> T pick(List<T> options) {
        return options.get(rnd.nextInt(options.size()));
    }

    private String weighted(String[] options, int[] weights) {
        int total = Arrays.stream(weights).sum();
        int r = rnd.nextInt(total);
        for (int i = 0; i < options.length; i++) {
            r -= weights[i];
            if (r < 0) return options[i];
        }
        return options[options.length - 1];
    }
}
