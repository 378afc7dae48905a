package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Discovery as kube-apiserver answers it (the shapes of k8s.io/apimachinery's version.Info, APIVersions, APIGroupList,
 * APIGroup, APIResourceList and apidiscovery.k8s.io/v2 APIGroupDiscoveryList), readable with any valid token.
 */
class DiscoveryTest {
    static Daemon daemon;
    static KubeHttp http;
    static String scoped;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
        http = new KubeHttp(daemon);
        Daemon.Response created = daemon.call("POST", "/api/v1/tokens", "{\"name\":\"disco\",\"namespaces\":[\"team-a\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        scoped = created.json().path("token").asText();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    private static JsonNode ok(String path, String accept) {
        KubeHttp.Answer a = http.get(path, daemon.token, accept);
        assertThat(a.status()).as(path + ": " + a.body()).isEqualTo(200);
        return a.json();
    }

    @Test
    void versionIsAVersionInfo() {
        JsonNode v = ok("/version", null);
        assertThat(v.path("major").asText()).isEqualTo("1");
        assertThat(v.path("minor").asText()).isEqualTo("32");
        assertThat(v.path("gitVersion").asText()).isEqualTo("v1.32.0-agentbox");
        assertThat(v.path("platform").asText()).matches("[a-z]+/[a-z0-9_]+");
        for (String field : List.of("gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler")) assertThat(v.has(field)).as(field).isTrue();
    }

    @Test
    void apiListsTheCoreVersionAndItsKinds() {
        JsonNode api = ok("/api", "application/json");
        assertThat(api.path("kind").asText()).isEqualTo("APIVersions");
        assertThat(strings(api.path("versions"))).containsExactly("v1");
        assertThat(api.path("serverAddressByClientCIDRs").get(0).path("clientCIDR").asText()).isEqualTo("0.0.0.0/0");
        assertThat(api.path("serverAddressByClientCIDRs").get(0).path("serverAddress").asText())
                .endsWith(":" + daemon.agentboxd.endpoint().getPort());

        JsonNode v1 = ok("/api/v1", null);
        assertThat(v1.path("kind").asText()).isEqualTo("APIResourceList");
        assertThat(v1.path("groupVersion").asText()).isEqualTo("v1");
        List<String> core = ResourceKinds.all().stream().filter(k -> k.group().isEmpty()).map(ResourceKind::plural).toList();
        assertThat(names(v1).stream().filter(n -> !n.contains("/")).toList()).containsExactlyInAnyOrderElementsOf(core);
    }

    @Test
    void apisListsEveryGroupWithItsVersions() {
        JsonNode apis = ok("/apis", "application/json");
        assertThat(apis.path("kind").asText()).isEqualTo("APIGroupList");
        assertThat(apis.path("apiVersion").asText()).isEqualTo("v1");
        Map<String, JsonNode> groups = new HashMap<>();
        apis.path("groups").forEach(g -> groups.put(g.path("name").asText(), g));
        Set<String> expected = new LinkedHashSet<>();
        ResourceKinds.all().stream().filter(k -> !k.group().isEmpty()).forEach(k -> expected.add(k.group()));
        assertThat(groups.keySet()).containsExactlyInAnyOrderElementsOf(expected)
                .contains("agents.x-k8s.io", "extensions.agents.x-k8s.io", "podsnapshot.gke.io");
        JsonNode ext = groups.get("extensions.agents.x-k8s.io");
        assertThat(ext.path("versions").get(0).path("groupVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThat(ext.path("versions").get(0).path("version").asText()).isEqualTo("v1beta1");
        assertThat(ext.path("preferredVersion").path("groupVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThat(groups.get("podsnapshot.gke.io").path("preferredVersion").path("version").asText()).isEqualTo("v1");

        JsonNode group = ok("/apis/agents.x-k8s.io", null);
        assertThat(group.path("kind").asText()).isEqualTo("APIGroup");
        assertThat(group.path("name").asText()).isEqualTo("agents.x-k8s.io");
        assertThat(group.path("preferredVersion").path("groupVersion").asText()).isEqualTo("agents.x-k8s.io/v1beta1");
    }

    @Test
    void groupVersionListsItsResourcesWithVerbsNamesAndSubresources() {
        JsonNode list = ok("/apis/extensions.agents.x-k8s.io/v1beta1", null);
        assertThat(list.path("kind").asText()).isEqualTo("APIResourceList");
        assertThat(list.path("groupVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThat(names(list)).containsExactlyInAnyOrder("sandboxtemplates", "sandboxclaims", "sandboxclaims/status",
                "sandboxwarmpools", "sandboxwarmpools/status", "sandboxwarmpools/scale");

        JsonNode pools = resource(list, "sandboxwarmpools");
        assertThat(pools.path("singularName").asText()).isEqualTo("sandboxwarmpool");
        assertThat(pools.path("namespaced").asBoolean()).isTrue();
        assertThat(pools.path("kind").asText()).isEqualTo("SandboxWarmPool");
        assertThat(strings(pools.path("verbs"))).containsExactlyInAnyOrder("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
        assertThat(strings(pools.path("shortNames"))).containsExactly("swp");
        assertThat(pools.path("storageVersionHash").asText()).hasSize(12);
        JsonNode scale = resource(list, "sandboxwarmpools/scale");
        assertThat(scale.path("group").asText()).isEqualTo("autoscaling");
        assertThat(scale.path("version").asText()).isEqualTo("v1");
        assertThat(scale.path("kind").asText()).isEqualTo("Scale");
        assertThat(strings(scale.path("verbs"))).containsExactlyInAnyOrder("get", "patch", "update");
        JsonNode status = resource(list, "sandboxclaims/status");
        assertThat(status.path("kind").asText()).isEqualTo("SandboxClaim");
        assertThat(status.path("singularName").asText()).isEmpty();
        assertThat(strings(status.path("verbs"))).containsExactlyInAnyOrder("get", "patch", "update");
        assertThat(strings(resource(list, "sandboxclaims").path("shortNames"))).containsExactly("sandboxclaim");

        JsonNode snapshots = ok("/apis/podsnapshot.gke.io/v1", null);
        assertThat(resource(snapshots, "podsnapshotstorageconfigs").path("namespaced").asBoolean()).isFalse();
        assertThat(resource(snapshots, "podsnapshots").path("namespaced").asBoolean()).isTrue();
        assertThat(resource(ok("/apis/agents.x-k8s.io/v1beta1", null), "sandboxes").path("shortNames").get(0).asText()).isEqualTo("sandbox");
    }

    @Test
    void everyServedKindIsDiscoverableOnce() {
        List<String> found = new ArrayList<>();
        for (JsonNode g : ok("/apis", null).path("groups")) {
            for (JsonNode v : g.path("versions")) {
                JsonNode list = ok("/apis/" + v.path("groupVersion").asText(), null);
                for (JsonNode r : list.path("resources")) {
                    if (!r.path("name").asText().contains("/")) found.add(list.path("groupVersion").asText() + " " + r.path("kind").asText());
                }
            }
        }
        for (JsonNode r : ok("/api/v1", null).path("resources")) if (!r.path("name").asText().contains("/")) found.add("v1 " + r.path("kind").asText());
        assertThat(found).containsExactlyInAnyOrderElementsOf(ResourceKinds.all().stream().map(ResourceKind::toString).toList());
    }

    @Test
    void aggregatedDiscoveryIsServedWhenAskedFirstAsKubectlDoes() {
        KubeHttp.Answer a = http.get("/apis", daemon.token, KubeHttp.ACCEPT_DISCOVERY);
        assertThat(a.status()).isEqualTo(200);
        // client-go reads the aggregated format only when the Content-Type names it (g, v, as in any order)
        assertThat(a.header("Content-Type")).isEqualTo("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        JsonNode list = a.json();
        assertThat(list.path("kind").asText()).isEqualTo("APIGroupDiscoveryList");
        assertThat(list.path("apiVersion").asText()).isEqualTo("apidiscovery.k8s.io/v2");
        JsonNode ext = null;
        for (JsonNode item : list.path("items")) if (item.path("metadata").path("name").asText().equals("extensions.agents.x-k8s.io")) ext = item;
        assertThat(ext).isNotNull();
        JsonNode v1beta1 = ext.path("versions").get(0);
        assertThat(v1beta1.path("version").asText()).isEqualTo("v1beta1");
        assertThat(v1beta1.path("freshness").asText()).isEqualTo("Current");
        JsonNode pools = null;
        for (JsonNode r : v1beta1.path("resources")) if (r.path("resource").asText().equals("sandboxwarmpools")) pools = r;
        assertThat(pools).isNotNull();
        assertThat(pools.path("responseKind").path("kind").asText()).isEqualTo("SandboxWarmPool");
        assertThat(pools.path("responseKind").path("group").asText()).isEqualTo("extensions.agents.x-k8s.io");
        assertThat(pools.path("scope").asText()).isEqualTo("Namespaced");
        assertThat(pools.path("singularResource").asText()).isEqualTo("sandboxwarmpool");
        assertThat(strings(pools.path("shortNames"))).containsExactly("swp");
        List<String> subresources = new ArrayList<>();
        pools.path("subresources").forEach(s -> subresources.add(s.path("subresource").asText() + " " + s.path("responseKind").path("kind").asText()));
        assertThat(subresources).containsExactlyInAnyOrder("status SandboxWarmPool", "scale Scale");

        KubeHttp.Answer core = http.get("/api", daemon.token, KubeHttp.ACCEPT_DISCOVERY);
        assertThat(core.header("Content-Type")).isEqualTo("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        assertThat(core.json().path("items").get(0).path("versions").get(0).path("version").asText()).isEqualTo("v1");

        KubeHttp.Answer beta = http.get("/apis", daemon.token, "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
        assertThat(beta.json().path("apiVersion").asText()).isEqualTo("apidiscovery.k8s.io/v2beta1");
        // legacy when the plain type comes first (or alone)
        KubeHttp.Answer legacy = http.get("/apis", daemon.token, "application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        assertThat(legacy.header("Content-Type")).isEqualTo("application/json");
        assertThat(legacy.json().path("kind").asText()).isEqualTo("APIGroupList");
    }

    @Test
    void anyValidTokenReadsDiscoveryAndNoTokenIsUnauthorized() {
        for (String path : List.of("/version", "/api", "/api/v1", "/apis", "/apis/agents.x-k8s.io", "/apis/agents.x-k8s.io/v1beta1",
                "/openapi/v2", "/openapi/v3")) {
            assertThat(http.get(path, scoped, KubeHttp.ACCEPT_DISCOVERY).status()).as("scoped token on " + path).isEqualTo(200);
            KubeHttp.Answer none = http.get(path, null, null);
            assertThat(none.status()).as("no token on " + path).isEqualTo(401);
            assertThat(none.json().path("kind").asText()).isEqualTo("Status");
            assertThat(http.get(path, "abx_wrong", null).status()).as("unknown token on " + path).isEqualTo(401);
        }
    }

    @Test
    void unknownGroupsAndVersionsAreNotFoundAndOnlyGetIsAllowed() {
        KubeHttp.Answer group = http.get("/apis/evil.example", daemon.token, null);
        assertThat(group.status()).isEqualTo(404);
        assertThat(group.json().path("reason").asText()).isEqualTo("NotFound");
        assertThat(http.get("/apis/agents.x-k8s.io/v1alpha1", daemon.token, null).status()).isEqualTo(404);
        Daemon.Response post = daemon.call("POST", "/apis", "{}");
        assertThat(post.status()).isEqualTo(405);
        assertThat(daemon.call("DELETE", "/apis/agents.x-k8s.io/v1beta1", null).status()).isEqualTo(405);
    }

    static JsonNode resource(JsonNode list, String name) {
        for (JsonNode r : list.path("resources")) if (r.path("name").asText().equals(name)) return r;
        throw new AssertionError("no resource " + name + " in " + list);
    }

    static List<String> names(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.path("resources").forEach(r -> out.add(r.path("name").asText()));
        return out;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
