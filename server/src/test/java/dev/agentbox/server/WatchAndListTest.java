package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 11, item 4: watch and list semantics as Kubernetes (resourceVersion, history, 410, bookmarks, pagination). */
class WatchAndListTest {
    static Daemon d;

    @BeforeAll
    static void start() {
        d = new Daemon();
    }

    @AfterAll
    static void stop() {
        d.close();
    }

    static String templates(String ns) {
        return Daemon.EXT + ns + "/sandboxtemplates";
    }

    static String template(String name, String color) {
        return Daemon.TEMPLATE.replaceFirst("name: python", "name: " + name + "\n  labels:\n    color: " + color);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The events of a watch that ends by itself (timeoutSeconds), as "TYPE name" (BOOKMARK: "BOOKMARK rv"). */
    static List<JsonNode> watch(String pathAndQuery) throws Exception {
        return watch(pathAndQuery, d.token);
    }

    static List<JsonNode> watch(String pathAndQuery, String token) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(d.agentboxd.endpoint() + pathAndQuery)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(60)).build();
        HttpResponse<InputStream> r = d.http().send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        return CompletableFuture.supplyAsync(() -> {
            List<JsonNode> out = new ArrayList<>();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) if (!line.isBlank()) out.add(Daemon.JSON.readTree(line));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return out;
        }).get(60, TimeUnit.SECONDS);
    }

    static List<String> describe(List<JsonNode> events) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : events) {
            String type = e.path("type").asText();
            JsonNode meta = e.path("object").path("metadata");
            out.add(type + " " + (type.equals("BOOKMARK") ? "" : type.equals("ERROR") ? e.path("object").path("code").asText() : meta.path("name").asText()));
        }
        return out;
    }

    static long revision(String ns) {
        return d.call("GET", templates(ns), null).json().path("metadata").path("resourceVersion").asLong();
    }

    @Test
    void watchWithoutResourceVersionOrWithZeroStartsWithTheCurrentState() throws Exception {
        String ns = "w-initial";
        d.createOk(ns, template("a", "red"));
        d.createOk(ns, template("b", "red"));
        assertThat(describe(watch(templates(ns) + "?watch=true&timeoutSeconds=1"))).containsExactly("ADDED a", "ADDED b");
        assertThat(describe(watch(templates(ns) + "?watch=true&timeoutSeconds=1&resourceVersion=0"))).containsExactly("ADDED a", "ADDED b");
        // sendInitialEvents (the watch-list of client-go): the initial events end with a bookmark that says so
        List<JsonNode> events = watch(templates(ns) + "?watch=true&timeoutSeconds=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
        assertThat(describe(events).subList(0, 3)).containsExactly("ADDED a", "ADDED b", "BOOKMARK ");
        assertThat(events.get(2).path("object").path("metadata").path("annotations").path("k8s.io/initial-events-end").asText()).isEqualTo("true");
        assertThat(events.get(2).path("object").path("kind").asText()).isEqualTo("SandboxTemplate");
    }

    @Test
    void watchFromAnOldResourceVersionReplaysTheChanges() throws Exception {
        String ns = "w-replay";
        d.createOk(ns, template("a", "red"));
        long rv = revision(ns);
        d.createOk(ns, template("b", "red"));
        assertThat(Requests.mergePatch(d, templates(ns) + "/a", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}").status()).isEqualTo(200);
        assertThat(d.call("DELETE", templates(ns) + "/b", null).status()).isEqualTo(200);
        List<JsonNode> events = watch(templates(ns) + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv);
        assertThat(describe(events)).containsExactly("ADDED b", "MODIFIED a", "DELETED b");
        // each as it was: the modified one has its label, and resourceVersions increase
        assertThat(events.get(1).path("object").path("metadata").path("labels").path("x").asText()).isEqualTo("1");
        long prev = rv;
        for (JsonNode e : events) {
            long v = e.path("object").path("metadata").path("resourceVersion").asLong();
            assertThat(v).isGreaterThan(prev);
            prev = v;
        }
    }

    @Test
    void watchFromAnExpiredResourceVersionGets410() throws Exception {
        String ns = "w-expired";
        d.createOk(ns, template("a", "red"));
        long rv = revision(ns);
        long oldest;
        d.agentboxd.store().setHistoryLimits(3, 16 << 20, Duration.ofMinutes(5));
        try {
            for (int i = 0; i < 5; i++) d.createOk(ns, template("n" + i, "red"));
            oldest = d.agentboxd.store().oldestRevision();
            List<JsonNode> events = watch(templates(ns) + "?watch=true&resourceVersion=" + rv);
            assertThat(describe(events)).containsExactly("ERROR 410");
            JsonNode status = events.get(0).path("object");
            assertThat(status.path("kind").asText()).isEqualTo("Status");
            assertThat(status.path("reason").asText()).isEqualTo("Expired");
            assertThat(status.path("message").asText()).isEqualTo("too old resource version: " + rv + " (" + oldest + ")");
            // a list at that version (Exact) is expired too; a current list gives a resourceVersion to watch from
            Daemon.Response exact = d.call("GET", templates(ns) + "?resourceVersionMatch=Exact&resourceVersion=" + rv, null);
            assertThat(exact.status()).as(exact.body()).isEqualTo(410);
            assertThat(exact.json().path("reason").asText()).isEqualTo("Expired");
            long now = revision(ns);
            assertThat(describe(watch(templates(ns) + "?watch=true&timeoutSeconds=1&resourceVersion=" + now))).isEmpty();
        } finally {
            d.agentboxd.store().setHistoryLimits(dev.agentbox.server.store.Store.DEFAULT_HISTORY_EVENTS, dev.agentbox.server.store.Store.DEFAULT_HISTORY_CHARS,
                    Duration.ofMinutes(dev.agentbox.server.store.Store.DEFAULT_HISTORY_MINUTES));
        }
    }

    @Test
    void watchEndsAfterTimeoutSecondsWithABookmarkWhenAllowed() throws Exception {
        String ns = "w-timeout";
        d.createOk(ns, template("a", "red"));
        long rv = revision(ns);
        d.createOk("w-timeout-other", template("elsewhere", "red")); // moves the revision, not this watch's objects
        long t0 = System.nanoTime();
        List<JsonNode> events = watch(templates(ns) + "?watch=true&timeoutSeconds=2&allowWatchBookmarks=true&resourceVersion=" + rv);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(1_800L, 10_000L);
        assertThat(describe(events)).containsExactly("BOOKMARK ");
        JsonNode bookmark = events.get(0).path("object");
        assertThat(bookmark.path("apiVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThat(bookmark.path("metadata").path("resourceVersion").asLong()).isGreaterThan(rv);
        assertThat(bookmark.has("spec")).isFalse();
        // without allowWatchBookmarks, none
        assertThat(describe(watch(templates(ns) + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv))).isEmpty();
    }

    @Test
    void aLabelChangeMovesAnObjectInAndOutOfAWatchsSelector() throws Exception {
        String ns = "w-labels";
        d.createOk(ns, template("a", "red"));
        long rv = revision(ns);
        Requests.mergePatch(d, templates(ns) + "/a", "{\"metadata\":{\"labels\":{\"color\":\"blue\"}}}");
        Requests.mergePatch(d, templates(ns) + "/a", "{\"metadata\":{\"labels\":{\"color\":\"red\"}}}");
        Requests.mergePatch(d, templates(ns) + "/a", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}");
        List<JsonNode> events = watch(templates(ns) + "?watch=true&timeoutSeconds=1&labelSelector=color%3Dred&resourceVersion=" + rv);
        assertThat(describe(events)).containsExactly("DELETED a", "ADDED a", "MODIFIED a");
        assertThat(events.get(0).path("object").path("metadata").path("labels").path("color").asText()).isEqualTo("red"); // as it was
    }

    @Test
    void fieldSelectorsMatchNameAndNamespace() {
        d.createOk("f-1", template("a", "red"));
        d.createOk("f-1", template("b", "red"));
        d.createOk("f-2", template("a", "red"));
        String all = "/apis/extensions.agents.x-k8s.io/v1beta1/sandboxtemplates";
        for (String[] c : new String[][] {{"metadata.name=a", "f-1/a,f-2/a"}, {"metadata.name==a", "f-1/a,f-2/a"}, {"metadata.name!=a", "f-1/b"},
                {"metadata.namespace=f-2", "f-2/a"}, {"metadata.namespace!=f-2,metadata.name=a", "f-1/a"}}) {
            Daemon.Response r = d.call("GET", all + "?labelSelector=color%3Dred&fieldSelector=" + enc(c[0]), null);
            List<String> got = new ArrayList<>();
            for (JsonNode o : r.json().path("items")) {
                String key = o.path("metadata").path("namespace").asText() + "/" + o.path("metadata").path("name").asText();
                if (key.startsWith("f-")) got.add(key);
            }
            assertThat(String.join(",", got)).as(c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    void listPagesWithLimitAndContinue() {
        String ns = "l-pages";
        for (int i = 0; i < 7; i++) d.createOk(ns, template("t" + i, i % 2 == 0 ? "red" : "blue"));
        List<String> names = new ArrayList<>();
        String cont = null;
        long listRv = -1;
        int pages = 0;
        do {
            Daemon.Response r = d.call("GET", templates(ns) + "?limit=3" + (cont == null ? "" : "&continue=" + enc(cont)), null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode list = r.json();
            long rv = list.path("metadata").path("resourceVersion").asLong();
            if (listRv < 0) {
                listRv = rv;
                // between the first page and the next: changes that the rest of this list does not show
                d.createOk(ns, template("t9", "red"));
                assertThat(d.call("DELETE", templates(ns) + "/t5", null).status()).isEqualTo(200);
            }
            assertThat(rv).isEqualTo(listRv);
            list.path("items").forEach(o -> names.add(o.path("metadata").path("name").asText()));
            cont = list.path("metadata").path("continue").asText(null);
            pages++;
        } while (cont != null);
        assertThat(pages).isEqualTo(3);
        assertThat(names).containsExactly("t0", "t1", "t2", "t3", "t4", "t5", "t6");
        // with a selector, pages hold matching items only
        Daemon.Response red = d.call("GET", templates(ns) + "?limit=2&labelSelector=color%3Dred", null);
        assertThat(red.json().path("items")).hasSize(2);
        assertThat(red.json().path("metadata").has("continue")).isTrue();
        // a continue token of another shape, or with a resourceVersion, is a 400
        assertThat(d.call("GET", templates(ns) + "?limit=2&continue=abc", null).status()).isEqualTo(400);
        String token = red.json().path("metadata").path("continue").asText();
        assertThat(d.call("GET", templates(ns) + "?limit=2&resourceVersion=5&continue=" + enc(token), null).status()).isEqualTo(400);
    }

    @Test
    void anExpiredContinueTokenGets410WithATokenToGoOnInconsistently() {
        String ns = "l-expired";
        for (int i = 0; i < 4; i++) d.createOk(ns, template("t" + i, "red"));
        JsonNode first = d.call("GET", templates(ns) + "?limit=2", null).json();
        String cont = first.path("metadata").path("continue").asText();
        d.agentboxd.store().setHistoryLimits(1, 16 << 20, Duration.ofMinutes(5));
        try {
            d.createOk(ns, template("t8", "red"));
            d.createOk(ns, template("t9", "red"));
            Daemon.Response r = d.call("GET", templates(ns) + "?limit=2&continue=" + enc(cont), null);
            assertThat(r.status()).as(r.body()).isEqualTo(410);
            assertThat(r.json().path("reason").asText()).isEqualTo("Expired");
            assertThat(r.json().path("message").asText()).startsWith("The provided continue parameter is too old");
            String inconsistent = r.json().path("metadata").path("continue").asText();
            assertThat(inconsistent).isNotEmpty();
            JsonNode rest = d.call("GET", templates(ns) + "?limit=10&continue=" + enc(inconsistent), null).json();
            List<String> names = new ArrayList<>();
            rest.path("items").forEach(o -> names.add(o.path("metadata").path("name").asText()));
            assertThat(names).containsExactly("t2", "t3", "t8", "t9"); // the current state after the first page
        } finally {
            d.agentboxd.store().setHistoryLimits(dev.agentbox.server.store.Store.DEFAULT_HISTORY_EVENTS, dev.agentbox.server.store.Store.DEFAULT_HISTORY_CHARS,
                    Duration.ofMinutes(dev.agentbox.server.store.Store.DEFAULT_HISTORY_MINUTES));
        }
    }

    @Test
    void resourceVersionMatchExactListsThePast() {
        String ns = "l-exact";
        d.createOk(ns, template("a", "red"));
        long rv = revision(ns);
        d.createOk(ns, template("b", "red"));
        Daemon.Response exact = d.call("GET", templates(ns) + "?resourceVersionMatch=Exact&resourceVersion=" + rv, null);
        assertThat(exact.status()).as(exact.body()).isEqualTo(200);
        assertThat(exact.json().path("metadata").path("resourceVersion").asLong()).isEqualTo(rv);
        assertThat(exact.json().path("items")).hasSize(1);
        // NotOlderThan: the current state
        Daemon.Response newer = d.call("GET", templates(ns) + "?resourceVersionMatch=NotOlderThan&resourceVersion=" + rv, null);
        assertThat(newer.json().path("items")).hasSize(2);
        assertThat(newer.json().path("metadata").path("resourceVersion").asLong()).isGreaterThan(rv);
        // a resourceVersion with a limit and no match is Exact, as Kubernetes
        assertThat(d.call("GET", templates(ns) + "?limit=10&resourceVersion=" + rv, null).json().path("items")).hasSize(1);
        // a resourceVersion from the future
        Daemon.Response future = d.call("GET", templates(ns) + "?resourceVersionMatch=NotOlderThan&resourceVersion=" + (rv + 100_000), null);
        assertThat(future.status()).as(future.body()).isEqualTo(504);
        assertThat(future.json().path("details").path("causes").get(0).path("reason").asText()).isEqualTo("ResourceVersionTooLarge");
        // what Kubernetes' ListOptions validation forbids: 422
        for (String q : List.of("resourceVersionMatch=Exact", "resourceVersionMatch=Exact&resourceVersion=0", "resourceVersionMatch=Sometime&resourceVersion=1",
                "sendInitialEvents=true", "watch=true&resourceVersionMatch=NotOlderThan", "watch=true&sendInitialEvents=true")) {
            Daemon.Response r = d.call("GET", templates(ns) + "?" + q, null);
            assertThat(r.status()).as(q + ": " + r.body()).isEqualTo(422);
        }
    }

    static String tenantToken(String name, String ns) {
        Daemon.Response r = d.call("POST", "/api/v1/tokens", "{\"name\":\"" + name + "\",\"namespaces\":[\"" + ns + "\"]}");
        assertThat(r.status()).as(r.body()).isIn(200, 201);
        return r.json().path("token").asText();
    }

    @Test
    void aTenantsWatchNeverCarriesAnotherNamespacesChanges() throws Exception {
        String mine = "w-tenant-a";
        String theirs = "w-tenant-b";
        String token = tenantToken("watcher-a", mine);
        d.createOk(mine, template("mine", "red"));
        long rv = revision(mine);
        // changes in another namespace after rv: a replay from rv must not carry them, nor a watch from now on
        d.createOk(theirs, template("secret-1", "red"));
        Requests.mergePatch(d, templates(theirs) + "/secret-1", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}");
        d.createOk(mine, template("mine-2", "red"));
        assertThat(describe(watch(templates(mine) + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv, token))).containsExactly("ADDED mine-2");
        assertThat(describe(watch(templates(mine) + "?watch=true&timeoutSeconds=1", token))).containsExactly("ADDED mine", "ADDED mine-2");
        // live: a change in the other namespace while the tenant's watch is open
        CompletableFuture<List<JsonNode>> live = CompletableFuture.supplyAsync(() -> {
            try {
                return watch(templates(mine) + "?watch=true&timeoutSeconds=2&resourceVersion=" + revision(mine), token);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(500);
        d.createOk(theirs, template("secret-2", "red"));
        d.call("DELETE", templates(theirs) + "/secret-1", null);
        assertThat(describe(live.get(30, TimeUnit.SECONDS))).isEmpty();
        // and the tenant cannot watch the other namespace at all
        HttpRequest other = HttpRequest.newBuilder(URI.create(d.agentboxd.endpoint() + templates(theirs) + "?watch=true&timeoutSeconds=1"))
                .header("Authorization", "Bearer " + token).build();
        assertThat(d.http().send(other, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
    }

    @Test
    void aContinueTokenForgedToAnotherNamespaceIsRefused() {
        String mine = "l-forge-a";
        String theirs = "l-forge-b";
        String token = tenantToken("lister-a", mine);
        for (int i = 0; i < 3; i++) d.createOk(mine, template("t" + i, "red"));
        for (int i = 0; i < 3; i++) d.createOk(theirs, template("s" + i, "red"));
        Daemon.Response first = d.call("GET", templates(mine) + "?limit=1", null, token);
        String genuine = first.json().path("metadata").path("continue").asText();
        JsonNode decoded;
        try {
            decoded = Daemon.JSON.readTree(java.util.Base64.getUrlDecoder().decode(genuine));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // the same token shape, its start key moved to the other namespace
        String forgedJson = decoded.toString().replace("\"" + mine + "/", "\"" + theirs + "/");
        assertThat(forgedJson).contains(theirs + "/");
        String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(forgedJson.getBytes(StandardCharsets.UTF_8));
        Daemon.Response r = d.call("GET", templates(mine) + "?limit=10&continue=" + enc(forged), null, token);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("continue").doesNotContain("\"s1\"").doesNotContain("\"s2\"");
        // sent to the other namespace's path, the tenant is refused before the token is read
        assertThat(d.call("GET", templates(theirs) + "?limit=10&continue=" + enc(forged), null, token).status()).isEqualTo(403);
        // the genuine token still works
        Daemon.Response rest = d.call("GET", templates(mine) + "?limit=10&continue=" + enc(genuine), null, token);
        assertThat(rest.status()).as(rest.body()).isEqualTo(200);
        assertThat(rest.json().path("items")).hasSize(2);
    }

    @Test
    void aWatchWithAFieldSelectorSeesOnlyThatObject() throws Exception {
        String ns = "w-fields";
        d.createOk(ns, template("a", "red"));
        d.createOk(ns, template("b", "red"));
        long rv = revision(ns);
        Requests.mergePatch(d, templates(ns) + "/a", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}");
        Requests.mergePatch(d, templates(ns) + "/b", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}");
        assertThat(describe(watch(templates(ns) + "?watch=true&timeoutSeconds=1&fieldSelector=" + enc("metadata.name=b")))).containsExactly("ADDED b");
        assertThat(describe(watch(templates(ns) + "?watch=true&timeoutSeconds=1&fieldSelector=" + enc("metadata.name=b") + "&resourceVersion=" + rv)))
                .containsExactly("MODIFIED b");
        assertThat(describe(watch("/apis/extensions.agents.x-k8s.io/v1beta1/sandboxtemplates?watch=true&timeoutSeconds=1&fieldSelector="
                + enc("metadata.namespace=" + ns + ",metadata.name!=b")))).containsExactly("ADDED a");
    }

    @Test
    void aWebSocketWatchRequestGets503AtOnceSoClientsFallBackToTheHttpStream() {
        // raw bytes on the wire: a daemon on plain HTTP (the upgrade handling is the same behind TLS)
        try (Daemon plain = Daemon.plainHttp()) {
            RawHttp.Answer a = RawHttp.send(plain.agentboxd.endpoint().getPort(), "GET " + templates("w-ws") + "?watch=true HTTP/1.1",
                    List.of("Authorization: Bearer " + plain.token, "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), null, RawHttp.Framing.NONE, false, 64 * 1024, 5_000, 10_000);
            assertThat(a.status()).as(a.head() + a.bodyText()).isEqualTo(503);
            assertThat(a.millis()).isLessThan(5_000);
            assertThat(a.bodyText()).contains("\"reason\":\"ServiceUnavailable\"").contains("Upgrade");
        }
    }
}
