package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 5: agentboxd records core/v1 Events about its objects, served like every kind at
 * {@code /api/v1/namespaces/{ns}/events} (and {@code /api/v1/events} for the admin token), with upstream's reasons,
 * kubectl's fields, aggregation of repeats, the namespace rule for scoped tokens, watches, a TTL and a cap.
 */
class EventsTest {
    static Daemon d;
    static String sandbox;

    @BeforeAll
    static void start() {
        d = new Daemon();
        d.createOk("default", Daemon.TEMPLATE);
        d.createOk("default", Daemon.pool("py", 1));
        d.awaitPoolReady("default", "py", 1);
        d.createOk("default", Daemon.claim("c", "py"));
        sandbox = d.awaitClaimReady("default", "c");
    }

    @AfterAll
    static void stop() {
        if (d != null) d.close();
    }

    static List<JsonNode> events(Daemon daemon, String ns) {
        Daemon.Response r = daemon.call("GET", ns == null ? "/api/v1/events" : "/api/v1/namespaces/" + ns + "/events", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("kind").asText()).isEqualTo("EventList");
        assertThat(r.json().path("apiVersion").asText()).isEqualTo("v1");
        List<JsonNode> out = new ArrayList<>();
        r.json().path("items").forEach(out::add);
        return out;
    }

    static JsonNode event(Daemon daemon, String ns, String kind, String name, String reason) {
        return events(daemon, ns).stream().filter(e -> kind.equals(e.path("involvedObject").path("kind").asText())
                && name.equals(e.path("involvedObject").path("name").asText()) && reason.equals(e.path("reason").asText())).findFirst().orElse(null);
    }

    static JsonNode awaitEvent(Daemon daemon, String ns, String kind, String name, String reason) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> (found[0] = event(daemon, ns, kind, name, reason)) != null);
        return found[0];
    }

    @Test
    void theSandboxsCreationAndReadinessThePoolsMemberAndTheClaimsBindingAreRecordedWithUpstreamReasons() {
        Sandbox sb = d.agentboxd.store().get(Sandbox.class, "default", sandbox).orElseThrow();
        JsonNode created = awaitEvent(d, "default", "Sandbox", sandbox, "SandboxPodCreated");
        JsonNode ready = awaitEvent(d, "default", "Sandbox", sandbox, "SandboxReady");
        JsonNode member = awaitEvent(d, "default", "SandboxWarmPool", "py", "SuccessfulCreate");
        JsonNode adopted = awaitEvent(d, "default", "SandboxClaim", "c", "SandboxAdopted");

        for (JsonNode e : List.of(created, ready, member, adopted)) {
            assertThat(e.path("apiVersion").asText()).isEqualTo("v1");
            assertThat(e.path("kind").asText()).isEqualTo("Event");
            assertThat(e.path("type").asText()).isEqualTo("Normal");
            assertThat(e.path("metadata").path("namespace").asText()).isEqualTo("default");
            assertThat(e.path("metadata").path("name").asText()).startsWith(e.path("involvedObject").path("name").asText() + ".");
            assertThat(e.path("source").path("component").asText()).isEqualTo("agentboxd");
            assertThat(e.path("reportingComponent").asText()).isEqualTo("agentboxd");
            assertThat(e.path("reportingInstance").asText()).startsWith("agentboxd-");
            assertThat(e.path("count").asInt()).isEqualTo(1);
            assertThat(Instant.parse(e.path("firstTimestamp").asText())).isEqualTo(Instant.parse(e.path("lastTimestamp").asText()));
            JsonNode involved = e.path("involvedObject");
            assertThat(involved.path("namespace").asText()).isEqualTo("default");
            assertThat(involved.path("uid").asText()).isNotEmpty();
            assertThat(involved.path("resourceVersion").asText()).isNotEmpty();
        }
        assertThat(created.path("involvedObject").path("apiVersion").asText()).isEqualTo("agents.x-k8s.io/v1beta1");
        assertThat(created.path("involvedObject").path("uid").asText()).isEqualTo(sb.getMetadata().getUid());
        assertThat(created.path("message").asText()).isEqualTo("Started gVisor sandbox ab-" + sb.getMetadata().getUid());
        assertThat(created.path("action").asText()).isEqualTo("Starting");
        assertThat(member.path("message").asText()).isEqualTo("Created sandbox: " + sandbox);
        assertThat(member.path("involvedObject").path("apiVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        // upstream's message and action, word for word
        assertThat(adopted.path("message").asText()).isEqualTo("Adopted warm pool Sandbox \"" + sandbox + "\"");
        assertThat(adopted.path("action").asText()).isEqualTo("Adoption");
        // the pool refills: its second member gets its own SuccessfulCreate
        await().atMost(Duration.ofSeconds(60)).until(() -> events(d, "default").stream()
                .filter(e -> "SuccessfulCreate".equals(e.path("reason").asText())).count() == 2);
    }

    @Test
    void identicalEventsAggregateIntoOneEventWithACount() {
        Sandbox sb = d.agentboxd.store().get(Sandbox.class, "default", sandbox).orElseThrow();
        for (int i = 0; i < 3; i++) d.agentboxd.events().warning(sb, "TestRepeated", "Testing", "the same thing happened again");
        d.agentboxd.events().warning(sb, "TestRepeated", "Testing", "something else happened");
        await().atMost(Duration.ofSeconds(30)).until(d.agentboxd.events()::drained);
        List<JsonNode> repeated = events(d, "default").stream().filter(e -> "TestRepeated".equals(e.path("reason").asText())).toList();
        assertThat(repeated).hasSize(2);
        JsonNode same = repeated.stream().filter(e -> e.path("message").asText().equals("the same thing happened again")).findFirst().orElseThrow();
        assertThat(same.path("count").asInt()).isEqualTo(3);
        assertThat(same.path("type").asText()).isEqualTo("Warning");
        assertThat(Instant.parse(same.path("lastTimestamp").asText())).isAfterOrEqualTo(Instant.parse(same.path("firstTimestamp").asText()));
        assertThat(repeated).filteredOn(e -> e.path("message").asText().equals("something else happened")).singleElement()
                .satisfies(e -> assertThat(e.path("count").asInt()).isEqualTo(1));
    }

    @Test
    void aScopedTokenSeesOnlyItsNamespacesEventsAndNoTokenCanWriteOne() throws Exception {
        String teamA = d.call("POST", "/api/v1/tokens", "{\"name\":\"events-team-a\",\"namespaces\":[\"team-a\"]}").json().path("token").asText();
        d.createOk("team-a", Daemon.TEMPLATE);
        SandboxTemplate t = d.agentboxd.store().get(SandboxTemplate.class, "team-a", "python").orElseThrow();
        d.agentboxd.events().normal(t, "TestTeamA", "Testing", "an event in team-a");
        await().atMost(Duration.ofSeconds(30)).until(() -> event(d, "team-a", "SandboxTemplate", "python", "TestTeamA") != null);

        Daemon.Response own = d.call("GET", "/api/v1/namespaces/team-a/events", null, teamA);
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.json().path("items")).isNotEmpty().allSatisfy(e -> assertThat(e.path("metadata").path("namespace").asText()).isEqualTo("team-a"));
        assertThat(d.call("GET", "/api/v1/namespaces/default/events", null, teamA).status()).isEqualTo(403);
        assertThat(d.call("GET", "/api/v1/events", null, teamA).status()).isEqualTo(403);
        assertThat(d.call("GET", "/api/v1/namespaces/default/events?watch=true", null, teamA).status()).isEqualTo(403);
        JsonNode adopted = event(d, "default", "SandboxClaim", "c", "SandboxAdopted");
        assertThat(d.call("GET", "/api/v1/namespaces/default/events/" + adopted.path("metadata").path("name").asText(), null, teamA).status()).isEqualTo(403);
        // the admin token lists across namespaces
        List<String> namespaces = events(d, null).stream().map(e -> e.path("metadata").path("namespace").asText()).distinct().toList();
        assertThat(namespaces).contains("default", "team-a");

        // no token writes an event: not about its own namespace, not about another one (403 before anything is stored)
        String forged = """
                {"apiVersion":"v1","kind":"Event","metadata":{"name":"forged"},
                 "involvedObject":{"kind":"SandboxClaim","name":"c","namespace":"%s"},"reason":"SandboxAdopted","message":"forged","type":"Normal"}""";
        Daemon.Response scoped = d.call("POST", "/api/v1/namespaces/team-a/events", forged.formatted("team-a"), teamA);
        assertThat(scoped.status()).as(scoped.body()).isEqualTo(403);
        assertThat(scoped.json().path("message").asText()).contains("recorded by agentboxd");
        assertThat(d.call("POST", "/api/v1/namespaces/team-a/events", forged.formatted("default"), teamA).status()).isIn(403, 422);
        assertThat(d.call("POST", "/api/v1/namespaces/default/events", forged.formatted("default"), teamA).status()).isEqualTo(403);
        assertThat(d.call("POST", "/api/v1/namespaces/default/events", forged.formatted("default"), d.token).status()).isEqualTo(403);
        String existing = d.call("GET", "/api/v1/namespaces/default/events/" + adopted.path("metadata").path("name").asText(), null).body();
        assertThat(d.call("PUT", "/api/v1/namespaces/default/events/" + adopted.path("metadata").path("name").asText(),
                existing.replace("Adopted warm pool", "Forged"), d.token).status()).isEqualTo(403);
        assertThat(events(d, "default")).noneMatch(e -> e.path("message").asText().contains("orged"));
        // a namespace's token may delete its own events (as `kubectl delete events` with the RBAC to do it)
        String teamAEvent = event(d, "team-a", "SandboxTemplate", "python", "TestTeamA").path("metadata").path("name").asText();
        assertThat(d.call("DELETE", "/api/v1/namespaces/team-a/events/" + teamAEvent, null, teamA).status()).isEqualTo(200);
    }

    @Test
    void aWatchOnEventsSeesANewOne() throws Exception {
        String rv = d.call("GET", "/api/v1/namespaces/default/events", null).json().path("metadata").path("resourceVersion").asText();
        HttpClient http = d.http();
        HttpRequest watch = HttpRequest.newBuilder(URI.create(d.agentboxd.endpoint() + "/api/v1/namespaces/default/events?watch=true&resourceVersion=" + rv))
                .header("Authorization", "Bearer " + d.token).build();
        HttpResponse<java.io.InputStream> response = http.send(watch, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            CompletableFuture<JsonNode> seen = CompletableFuture.supplyAsync(() -> {
                try {
                    for (String line; (line = lines.readLine()) != null; ) {
                        if (line.isBlank()) continue;
                        JsonNode e = Daemon.JSON.readTree(line);
                        if ("TestWatched".equals(e.path("object").path("reason").asText())) return e;
                    }
                    return null;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Sandbox sb = d.agentboxd.store().get(Sandbox.class, "default", sandbox).orElseThrow();
            d.agentboxd.events().normal(sb, "TestWatched", "Testing", "seen by a watch");
            JsonNode e = seen.get(20, TimeUnit.SECONDS);
            assertThat(e.path("type").asText()).isEqualTo("ADDED");
            assertThat(e.path("object").path("kind").asText()).isEqualTo("Event");
            assertThat(e.path("object").path("involvedObject").path("name").asText()).isEqualTo(sandbox);
            // a repeat is a MODIFIED of the same event, count 2
            d.agentboxd.events().normal(sb, "TestWatched", "Testing", "seen by a watch");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> event(d, "default", "Sandbox", sandbox, "TestWatched").path("count").asInt() == 2);
    }

    @Test
    void aPoolMemberNotReadyPastTheReadinessGracePeriodIsReplacedAndThePoolReportsItsObservedGeneration() {
        String ns = "stuck";
        d.createOk(ns, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: never-ready
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: c
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                        readinessProbe:
                          exec:
                            command: ["false"]
                """);
        d.createOk(ns, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: stuck
                spec:
                  replicas: 1
                  sandboxTemplateRef:
                    name: never-ready
                  readinessGracePeriodSeconds: 2
                """);
        try {
            JsonNode deleted = awaitEvent(d, ns, "SandboxWarmPool", "stuck", "SuccessfulDelete");
            assertThat(deleted.path("message").asText()).startsWith("Deleted sandbox: stuck-").contains("not Ready for 2 s (readinessGracePeriodSeconds)");
            // and replaced: a second member was created
            await().atMost(Duration.ofSeconds(60)).until(() -> events(d, ns).stream()
                    .filter(e -> "SuccessfulCreate".equals(e.path("reason").asText())).count() >= 2);
            JsonNode pool = d.get(ns, "sandboxwarmpools", "stuck");
            assertThat(pool.path("status").path("observedGeneration").asLong()).isEqualTo(pool.path("metadata").path("generation").asLong());
        } finally {
            d.call("DELETE", Daemon.EXT + ns + "/sandboxwarmpools/stuck", null);
        }
    }

    @Test
    void eventsOlderThanTheTtlAreDeletedAndANamespaceKeepsAtMostItsCap() {
        try (Daemon own = new Daemon()) {
            EventRecorder events = own.agentboxd.events();
            own.createOk("ttl", Daemon.TEMPLATE);
            SandboxTemplate t = own.agentboxd.store().get(SandboxTemplate.class, "ttl", "python").orElseThrow();

            // the cap: 30 distinct events (from 3 objects, under the spam filter's burst) in a namespace capped at 20
            events.maxPerNamespace = 20;
            own.createOk("ttl", Daemon.TEMPLATE.replace("name: python", "name: python-2"));
            own.createOk("ttl", Daemon.TEMPLATE.replace("name: python", "name: python-3"));
            List<SandboxTemplate> templates = own.agentboxd.store().list(SandboxTemplate.class, "ttl");
            for (int i = 0; i < 30; i++) events.normal(templates.get(i % 3), "TestStorm", "Testing", "event " + i);
            await().atMost(Duration.ofSeconds(30)).until(events::drained);
            List<JsonNode> kept = events(own, "ttl");
            assertThat(kept.size()).isLessThanOrEqualTo(20);
            assertThat(kept).extracting(e -> e.path("message").asText()).contains("event 29", "event 28");
            assertThat(kept).extracting(e -> e.path("message").asText()).doesNotContain("event 0");

            // the TTL: once it is 1 s, the sweep deletes what was last seen before it
            events.normal(t, "TestShortLived", "Testing", "gone after the TTL");
            await().atMost(Duration.ofSeconds(30)).until(() -> event(own, "ttl", "SandboxTemplate", "python", "TestShortLived") != null);
            events.ttl = Duration.ofSeconds(1);
            events.sweepInterval = Duration.ofMillis(200);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> events(own, "ttl").isEmpty());
        }
    }

    @Test
    void aRestartedDaemonRecordsTheReattachmentOfARunningSandbox() {
        java.nio.file.Path state = Daemon.tempDir();
        String name;
        Daemon first = new Daemon(state, false);
        try {
            first.createOk("default", Daemon.TEMPLATE);
            first.createOk("default", Daemon.pool("py", 0));
            first.createOk("default", Daemon.claim("r", "py"));
            name = first.awaitClaimReady("default", "r");
            awaitEvent(first, "default", "SandboxClaim", "r", "SandboxProvisioned");
            assertThat(event(first, "default", "SandboxClaim", "r", "SandboxProvisioned").path("message").asText())
                    .isEqualTo("Created Sandbox \"" + name + "\"");
        } finally {
            first.agentboxd.close(); // the sandbox keeps running for the next agentboxd (Daemon.close would check none is left)
        }
        try (Daemon second = new Daemon(state, true)) {
            JsonNode reattached = awaitEvent(second, "default", "Sandbox", name, "SandboxReattached");
            assertThat(reattached.path("message").asText()).contains("re-attached");
            assertThat(event(second, "default", "Sandbox", name, "SandboxLost")).isNull();
            // the events of the first daemon are still there (the store keeps them until their TTL)
            assertThat(event(second, "default", "Sandbox", name, "SandboxPodCreated")).isNotNull();
        }
    }
}
