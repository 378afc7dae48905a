package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 3: the status subresource (read-only: status is agentboxd's) and the scale subresource of
 * SandboxWarmPool (what `kubectl scale` uses). The pools scaled here have lost their template, so the pool controller
 * starts no sandbox for them.
 */
class SubresourceTest {
    static Daemon d;
    static String teamA;
    static final String NS = "sub";

    @BeforeAll
    static void start() throws Exception {
        Path state = Daemon.tempDir();
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace:
                    warmPoolReplicas: 5
                """);
        d = new Daemon(state);
        Daemon.Response token = d.call("POST", "/api/v1/tokens", "{\"name\":\"sub\",\"namespaces\":[\"" + NS + "\"]}");
        teamA = token.json().path("token").asText();
        d.createOk(NS, Daemon.TEMPLATE);
        d.createOk(NS, Daemon.pool("py", 0));
        d.createOk(NS, Daemon.pool("other", 0));
        assertThat(d.call("DELETE", Daemon.EXT + NS + "/sandboxtemplates/python", null).status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        d.close();
    }

    static String pool(String name) {
        return Daemon.EXT + NS + "/sandboxwarmpools/" + name;
    }

    @Test
    void statusSubresourceAnswersTheObject() {
        Daemon.Response r = d.call("GET", pool("py") + "/status", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("kind").asText()).isEqualTo("SandboxWarmPool");
        assertThat(r.json().path("metadata").path("name").asText()).isEqualTo("py");
        assertThat(d.call("GET", pool("nope") + "/status", null).status()).isEqualTo(404);
    }

    @Test
    void statusWritesAre405ForEveryToken() {
        for (String token : new String[] {d.token, teamA}) {
            for (String method : new String[] {"PUT", "PATCH", "POST", "DELETE"}) {
                Daemon.Response r = Requests.send(d, method, pool("py") + "/status", "application/merge-patch+json",
                        "{\"status\":{\"readyReplicas\":99}}", token, null);
                assertThat(r.status()).as(method + ": " + r.body()).isEqualTo(405);
                assertThat(r.json().path("message").asText()).contains("written by agentboxd's controllers only");
            }
        }
        assertThat(d.get(NS, "sandboxwarmpools", "py").path("status").path("readyReplicas").asInt()).isNotEqualTo(99);
    }

    @Test
    void scaleSubresourceReadsThePool() {
        Daemon.Response r = d.call("GET", pool("other") + "/scale", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode scale = r.json();
        assertThat(scale.path("apiVersion").asText()).isEqualTo("autoscaling/v1");
        assertThat(scale.path("kind").asText()).isEqualTo("Scale");
        assertThat(scale.path("metadata").path("name").asText()).isEqualTo("other");
        assertThat(scale.path("metadata").path("namespace").asText()).isEqualTo(NS);
        assertThat(scale.path("metadata").path("resourceVersion").asText()).isEqualTo(d.get(NS, "sandboxwarmpools", "other").path("metadata").path("resourceVersion").asText());
        assertThat(scale.path("spec").path("replicas").asInt()).isZero();
        assertThat(scale.path("status").has("replicas")).isTrue();
    }

    @Test
    void scaleSubresourceChangesPoolReplicas() throws Exception {
        // kubectl scale: a merge patch of the Scale
        Daemon.Response r = Requests.send(d, "PATCH", pool("py") + "/scale?fieldManager=kubectl-scale", "application/merge-patch+json", "{\"spec\":{\"replicas\":3}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("kind").asText()).isEqualTo("Scale");
        assertThat(r.json().path("spec").path("replicas").asInt()).isEqualTo(3);
        JsonNode p = d.get(NS, "sandboxwarmpools", "py");
        assertThat(p.path("spec").path("replicas").asInt()).isEqualTo(3);
        JsonNode managed = p.path("metadata").path("managedFields");
        assertThat(managed.toString()).contains("\"manager\":\"kubectl-scale\"", "\"subresource\":\"scale\"", "\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{}}}");
        // a PUT of the Scale; its resourceVersion, when set, is a precondition (the controller writes the pool's status
        // meanwhile, so this one goes without)
        JsonNode scale = d.call("GET", pool("py") + "/scale", null).json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) scale.path("spec")).put("replicas", 2);
        ((com.fasterxml.jackson.databind.node.ObjectNode) scale.path("metadata")).remove("resourceVersion");
        r = d.call("PUT", pool("py") + "/scale", Daemon.JSON.writeValueAsString(scale));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(d.get(NS, "sandboxwarmpools", "py").path("spec").path("replicas").asInt()).isEqualTo(2);
        ((com.fasterxml.jackson.databind.node.ObjectNode) scale.path("metadata")).put("resourceVersion", "1");
        r = d.call("PUT", pool("py") + "/scale", Daemon.JSON.writeValueAsString(scale)); // stale
        assertThat(r.status()).as(r.body()).isEqualTo(409);
        // a JSON patch, and an apply
        r = Requests.jsonPatch(d, pool("py") + "/scale", "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String applied = "apiVersion: autoscaling/v1\nkind: Scale\nmetadata:\n  name: py\nspec:\n  replicas: 0\n";
        r = Requests.apply(d, pool("py") + "/scale", "hpa", false, applied);
        assertThat(r.status()).as(r.body()).isEqualTo(409); // the JSON patch's manager owns spec.replicas now
        assertThat(r.json().path("details").path("causes").get(0).path("field").asText()).isEqualTo(".spec.replicas");
        r = Requests.apply(d, pool("py") + "/scale", "hpa", true, applied);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(d.get(NS, "sandboxwarmpools", "py").path("spec").path("replicas").asInt()).isZero();
        assertThat(d.get(NS, "sandboxwarmpools", "py").path("metadata").path("managedFields").toString()).contains("\"manager\":\"hpa\"", "\"operation\":\"Apply\"");
        // invalid replicas
        assertThat(Requests.mergePatch(d, pool("py") + "/scale", "{\"spec\":{\"replicas\":-1}}").status()).isEqualTo(422);
        assertThat(Requests.mergePatch(d, pool("py") + "/scale", "{\"spec\":{\"replicas\":\"many\"}}").status()).isEqualTo(422);
    }

    @Test
    void scaleIsCheckedAgainstTheWarmPoolReplicaQuota() {
        Daemon.Response r = Requests.mergePatch(d, pool("other") + "/scale", "{\"spec\":{\"replicas\":6}}");
        assertThat(r.status()).as(r.body()).isEqualTo(403);
        assertThat(r.json().path("message").asText()).startsWith("exceeded quota: ").contains("warmPoolReplicas");
        assertThat(d.get(NS, "sandboxwarmpools", "other").path("spec").path("replicas").asInt()).isZero();
        // a dry run is checked too, and changes nothing
        assertThat(Requests.mergePatch(d, pool("other") + "/scale?dryRun=All", "{\"spec\":{\"replicas\":6}}").status()).isEqualTo(403);
        r = Requests.mergePatch(d, pool("other") + "/scale?dryRun=All", "{\"spec\":{\"replicas\":1}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(d.get(NS, "sandboxwarmpools", "other").path("spec").path("replicas").asInt()).isZero();
    }

    @Test
    void scaleOfAKindWithoutOneIs404() {
        d.createOk(NS, Daemon.claim("c", "other"));
        assertThat(d.call("GET", Daemon.EXT + NS + "/sandboxclaims/c/scale", null).status()).isEqualTo(404);
        assertThat(d.call("GET", pool("other") + "/bogus", null).status()).isEqualTo(404);
        assertThat(d.call("DELETE", pool("other") + "/scale", null).status()).isEqualTo(405);
        d.call("DELETE", Daemon.EXT + NS + "/sandboxclaims/c", null);
    }
}
