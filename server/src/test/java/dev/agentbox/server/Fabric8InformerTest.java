package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: a client that is not the project's own (fabric8's, as Java Operator SDK uses it) keeps an informer on
 * agentboxd: list with resourceVersion=0, watch with bookmarks, events, a watch cut by the network that resumes from its
 * resourceVersion, and a forced 410 Gone that makes it list again. It talks to agentboxd through a TCP relay the test can
 * cut, as a network failure would.
 */
class Fabric8InformerTest {
    static Daemon d;
    static Relay relay;
    static final String NS = "informer";
    static final String OTHER = "informer-other";

    @BeforeAll
    static void start() throws IOException {
        d = new Daemon();
        relay = new Relay(d.agentboxd.endpoint().getPort());
    }

    @AfterAll
    static void stop() throws IOException {
        relay.close();
        d.close();
    }

    static String template(String name) {
        return Daemon.TEMPLATE.replaceFirst("name: python", "name: " + name);
    }

    /** Every request fabric8 sends, as "METHOD path?query". */
    static final List<String> requests = new CopyOnWriteArrayList<>();

    static KubernetesClient client() {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(d.agentboxd.endpoint().getScheme() + "://127.0.0.1:" + relay.port()).withCaCertFile(String.valueOf(d.agentboxd.caFile())).withOauthToken(d.token)
                .withNamespace(NS).withRequestTimeout(30_000).withConnectionTimeout(10_000)
                // agentboxd streams watches over HTTP; without this, fabric8 tries a WebSocket first and falls back on the 503
                .withOnlyHttpWatches(true).build();
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("record", new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        requests.add(request.method() + " " + request.uri().getRawPath()
                                + (request.uri().getRawQuery() == null ? "" : "?" + request.uri().getRawQuery()));
                    }
                })).build();
    }

    static List<String> sent(String kind) {
        List<String> out = new ArrayList<>();
        for (String r : requests) { // requests to other paths (discovery, ...) are not counted
            String path = "GET /apis/extensions.agents.x-k8s.io/v1beta1/namespaces/" + NS + "/sandboxtemplates";
            if (!r.equals(path) && !r.startsWith(path + "?")) continue;
            if (kind.equals("watch") == r.contains("watch=true")) out.add(r);
        }
        return out;
    }

    /** The parameter's value, -1 when the request has none. */
    static long param(String request, String name) {
        if (request.indexOf('?') < 0) return -1;
        for (String p : request.substring(request.indexOf('?') + 1).split("&")) {
            if (p.startsWith(name + "=")) return Long.parseLong(p.substring(name.length() + 1));
        }
        return -1;
    }

    static long revision() {
        return d.call("GET", Daemon.EXT + NS + "/sandboxtemplates", null).json().path("metadata").path("resourceVersion").asLong();
    }

    @Test
    void fabric8InformerListsWatchesFollowsBookmarksAndRelistsAfter410() throws Exception {
        d.createOk(NS, template("a"));
        d.createOk(NS, template("b"));
        d.createOk(OTHER, template("not-mine"));
        Set<String> added = ConcurrentHashMap.newKeySet();
        Set<String> updated = ConcurrentHashMap.newKeySet();
        Set<String> deleted = ConcurrentHashMap.newKeySet();
        try (KubernetesClient client = client()) {
            SharedIndexInformer<SandboxTemplate> informer = client.resources(SandboxTemplate.class).inNamespace(NS).runnableInformer(0);
            informer.addEventHandler(new ResourceEventHandler<>() {
                @Override
                public void onAdd(SandboxTemplate t) {
                    added.add(t.getMetadata().getName());
                }

                @Override
                public void onUpdate(SandboxTemplate before, SandboxTemplate after) {
                    if (!before.getMetadata().getResourceVersion().equals(after.getMetadata().getResourceVersion())) updated.add(after.getMetadata().getName());
                }

                @Override
                public void onDelete(SandboxTemplate t, boolean finalStateUnknown) {
                    deleted.add(t.getMetadata().getName());
                }
            });
            try {
                try {
                    informer.start().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("the informer did not start; fabric8 sent " + requests, e);
                }
                // list with resourceVersion=0, then a watch with bookmarks from the list's resourceVersion
                await().atMost(Duration.ofSeconds(30)).until(informer::hasSynced);
                assertThat(added).containsExactlyInAnyOrder("a", "b");
                await().atMost(Duration.ofSeconds(30)).until(() -> !sent("watch").isEmpty());
                assertThat(param(sent("list").get(0), "resourceVersion")).isEqualTo(0);
                String watch = sent("watch").get(0);
                assertThat(watch).contains("allowWatchBookmarks=true");
                assertThat(param(watch, "resourceVersion")).isEqualTo(Long.parseLong(informer.lastSyncResourceVersion()));

                // events: added, modified, deleted
                d.createOk(NS, template("c"));
                assertThat(Requests.mergePatch(d, Daemon.EXT + NS + "/sandboxtemplates/a", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}").status()).isEqualTo(200);
                assertThat(d.call("DELETE", Daemon.EXT + NS + "/sandboxtemplates/b", null).status()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).until(() -> added.contains("c") && updated.contains("a") && deleted.contains("b"));
                assertThat(informer.getStore().list()).extracting(t -> t.getMetadata().getName()).containsExactlyInAnyOrder("a", "c");
                assertThat(added).doesNotContain("not-mine");

                // bookmarks: a change elsewhere moves the revision; the informer's resourceVersion follows through a BOOKMARK
                // (no event of its own says so), and a watch cut by the network resumes from there, without a new list
                long lists = sent("list").size();
                dev.agentbox.server.http.WatchHooks.setBookmarkInterval(Duration.ofMillis(300));
                d.createOk(OTHER, template("moves-the-revision"));
                long moved = revision();
                await().atMost(Duration.ofSeconds(30)).until(() -> Long.parseLong(informer.lastSyncResourceVersion()) >= moved);
                int watches = sent("watch").size();
                relay.cut();
                await().atMost(Duration.ofSeconds(60)).until(() -> sent("watch").size() > watches);
                assertThat(param(sent("watch").get(watches), "resourceVersion")).isGreaterThanOrEqualTo(moved);
                assertThat(sent("list")).hasSize((int) lists);
                d.createOk(NS, template("after-cut"));
                await().atMost(Duration.ofSeconds(30)).until(() -> added.contains("after-cut"));

                // a forced 410: no bookmarks, a history that keeps nothing, a change elsewhere, then a cut. The watch
                // resumes from a resourceVersion the history no longer has: 410 Gone, and the informer lists again
                dev.agentbox.server.http.WatchHooks.setBookmarkInterval(Duration.ofHours(1));
                Thread.sleep(1_500); // a bookmark due under the short interval has gone out
                d.agentboxd.store().setHistoryLimits(0, Store.DEFAULT_HISTORY_CHARS, Duration.ofMinutes(Store.DEFAULT_HISTORY_MINUTES));
                long stale = Long.parseLong(informer.lastSyncResourceVersion());
                d.createOk(OTHER, template("expires-the-history"));
                assertThat(d.agentboxd.store().oldestRevision()).isGreaterThan(stale);
                int watchesBefore410 = sent("watch").size();
                relay.cut();
                try {
                    await().atMost(Duration.ofSeconds(60)).until(() -> sent("list").size() > lists);
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("no new list after the 410; stale=" + stale + ", fabric8 sent " + requests, e);
                }
                List<String> resumed = sent("watch").subList(watchesBefore410, sent("watch").size());
                assertThat(resumed).isNotEmpty();
                assertThat(param(resumed.get(0), "resourceVersion")).isEqualTo(stale); // the one answered 410
                // after a 410, fabric8 lists without a resourceVersion: the current state, read consistently
                assertThat(param(sent("list").get((int) lists), "resourceVersion")).isEqualTo(-1);
                await().atMost(Duration.ofSeconds(30)).until(informer::hasSynced);
                // after the new list the informer watches again and sees changes
                d.createOk(NS, template("after-410"));
                await().atMost(Duration.ofSeconds(30)).until(() -> added.contains("after-410"));
                assertThat(informer.getStore().list()).extracting(t -> t.getMetadata().getName())
                        .containsExactlyInAnyOrder("a", "c", "after-cut", "after-410");
            } finally {
                informer.stop();
                dev.agentbox.server.http.WatchHooks.setBookmarkInterval(null);
                d.agentboxd.store().setHistoryLimits(Store.DEFAULT_HISTORY_EVENTS, Store.DEFAULT_HISTORY_CHARS,
                        Duration.ofMinutes(Store.DEFAULT_HISTORY_MINUTES));
            }
        }
    }

    /** A TCP relay on loopback to agentboxd's port; {@link #cut()} closes every connection, as a network failure. */
    static final class Relay implements AutoCloseable {
        private final ServerSocket server;
        private final int target;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        Relay(int target) throws IOException {
            this.target = target;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().name("relay-accept").start(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket upstream = new Socket();
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5_000);
                    open.add(client);
                    open.add(upstream);
                    Thread.ofPlatform().daemon().name("relay-up").start(() -> pump(client, upstream));
                    Thread.ofPlatform().daemon().name("relay-down").start(() -> pump(upstream, client));
                } catch (IOException e) {
                    // closed, or agentboxd refused: the client sees a failed connection and retries
                }
            }
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // cut, or closed by either side
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        void cut() {
            for (Socket s : open) closeQuietly(s);
        }

        private void closeQuietly(Socket s) {
            open.remove(s);
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            cut();
        }
    }
}
