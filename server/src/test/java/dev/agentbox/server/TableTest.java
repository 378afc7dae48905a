package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.api.CustomResourceDefinitions;
import dev.agentbox.api.ResourceKinds;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Table output as kubectl get asks for it: a meta.k8s.io/v1 Table with the implicit Name column and the CRD's
 * additionalPrinterColumns, cells from their JSONPaths, and rows' objects as PartialObjectMetadata; for a list and for
 * one object. A warm pool with one ready member and a claim bound to it.
 */
class TableTest {
    static Daemon daemon;
    static KubeHttp http;
    static String sandbox;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
        http = new KubeHttp(daemon);
        daemon.createOk("tables", Daemon.TEMPLATE);
        daemon.createOk("tables", Daemon.pool("pool", 1));
        daemon.awaitPoolReady("tables", "pool", 1);
        daemon.createOk("tables", Daemon.claim("c1", "pool"));
        sandbox = daemon.awaitClaimReady("tables", "c1");
        daemon.awaitPoolReady("tables", "pool", 1); // replenished after the claim took its member
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    private static JsonNode table(String path) {
        KubeHttp.Answer a = http.get(path, daemon.token, KubeHttp.ACCEPT_TABLE);
        assertThat(a.status()).as(path + ": " + a.body()).isEqualTo(200);
        JsonNode t = a.json();
        assertThat(t.path("kind").asText()).isEqualTo("Table");
        assertThat(t.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
        return t;
    }

    private static List<String> columnNames(JsonNode table) {
        List<String> out = new ArrayList<>();
        table.path("columnDefinitions").forEach(c -> out.add(c.path("name").asText()));
        return out;
    }

    @Test
    void claimsListAsATableWithTheCrdsPrinterColumns() {
        JsonNode t = table(Daemon.EXT + "tables/sandboxclaims");
        assertThat(columnNames(t)).containsExactly("Name", "Sandbox", "Ready", "Reason", "Age");
        JsonNode name = t.path("columnDefinitions").get(0);
        assertThat(name.path("type").asText()).isEqualTo("string");
        assertThat(name.path("format").asText()).isEqualTo("name");
        JsonNode ready = t.path("columnDefinitions").get(2);
        assertThat(ready.path("type").asText()).isEqualTo("string");
        assertThat(ready.path("priority").asInt()).isZero();
        assertThat(ready.path("description").asText()).contains(".status.conditions[?(@.type==\"Ready\")].status");
        assertThat(t.path("columnDefinitions").get(3).path("priority").asInt()).as("Reason is for -o wide").isEqualTo(1);
        assertThat(t.path("columnDefinitions").get(4).path("type").asText()).isEqualTo("date");
        // the columns are the CRD's, in its order, after Name
        List<String> crdColumns = new ArrayList<>(List.of("Name"));
        CustomResourceDefinitions.version(ResourceKinds.byPlural("extensions.agents.x-k8s.io", "sandboxclaims").orElseThrow()).orElseThrow()
                .path("additionalPrinterColumns").forEach(c -> crdColumns.add(c.path("name").asText()));
        assertThat(columnNames(t)).isEqualTo(crdColumns);
        assertThat(t.path("metadata").path("resourceVersion").asText()).isNotEmpty();

        assertThat(t.path("rows")).hasSize(1);
        JsonNode row = t.path("rows").get(0);
        assertThat(row.path("cells").get(0).asText()).isEqualTo("c1");
        assertThat(row.path("cells").get(1).asText()).isEqualTo(sandbox);
        assertThat(row.path("cells").get(2).asText()).isEqualTo("True");
        assertThat(row.path("cells").get(3).asText()).isEqualTo("DependenciesReady");
        assertThat(row.path("cells").get(4).asText()).matches("\\d+s|\\d+m(\\d+s)?");
        assertThat(row.path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
        assertThat(row.path("object").path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
        assertThat(row.path("object").path("metadata").path("name").asText()).isEqualTo("c1");
        assertThat(row.path("object").path("metadata").path("namespace").asText()).isEqualTo("tables");
        assertThat(row.path("object").has("spec")).isFalse();
    }

    @Test
    void poolsListAndGetAsTablesWithTypedCells() {
        JsonNode t = table(Daemon.EXT + "tables/sandboxwarmpools");
        assertThat(columnNames(t)).containsExactly("Name", "Desired", "Ready", "Age");
        assertThat(t.path("columnDefinitions").get(1).path("type").asText()).isEqualTo("integer");
        JsonNode cells = t.path("rows").get(0).path("cells");
        assertThat(cells.get(0).asText()).isEqualTo("pool");
        assertThat(cells.get(1).isIntegralNumber()).isTrue();
        assertThat(cells.get(1).asInt()).isEqualTo(1);
        assertThat(cells.get(2).asInt()).isEqualTo(1);

        JsonNode one = table(Daemon.EXT + "tables/sandboxwarmpools/pool");
        assertThat(columnNames(one)).containsExactly("Name", "Desired", "Ready", "Age");
        assertThat(one.path("rows")).hasSize(1);
        assertThat(one.path("rows").get(0).path("cells").get(0).asText()).isEqualTo("pool");
        assertThat(one.path("metadata").path("resourceVersion").asText()).isEqualTo(daemon.get("tables", "sandboxwarmpools", "pool")
                .path("metadata").path("resourceVersion").asText());
    }

    @Test
    void aKindWithoutStatusAndAClusterScopedKindHaveTheirColumns() {
        JsonNode templates = table(Daemon.EXT + "tables/sandboxtemplates");
        assertThat(columnNames(templates)).containsExactly("Name", "Age");
        assertThat(templates.path("rows").get(0).path("cells").get(0).asText()).isEqualTo("python");
        JsonNode sandboxes = table(Daemon.AGENTS + "tables/sandboxes");
        assertThat(columnNames(sandboxes)).containsExactly("Name", "Ready", "Reason", "Age");
        assertThat(sandboxes.path("rows")).hasSize(2); // the claimed one and the pool's replacement
        JsonNode configs = table(Daemon.PS + "podsnapshotstorageconfigs");
        assertThat(columnNames(configs)).containsExactly("Name", "Ready", "Age");
        assertThat(configs.path("rows")).isEmpty();
    }

    @Test
    void includeObjectAndNoHeadersAreHonoured() {
        JsonNode full = table(Daemon.EXT + "tables/sandboxclaims?includeObject=Object");
        JsonNode object = full.path("rows").get(0).path("object");
        assertThat(object.path("kind").asText()).isEqualTo("SandboxClaim");
        assertThat(object.path("spec").path("warmPoolRef").path("name").asText()).isEqualTo("pool");
        JsonNode none = table(Daemon.EXT + "tables/sandboxclaims?includeObject=None&noHeaders=true");
        assertThat(none.path("rows").get(0).has("object")).isFalse();
        assertThat(none.has("columnDefinitions")).isFalse();
        KubeHttp.Answer bad = http.get(Daemon.EXT + "tables/sandboxclaims?includeObject=Everything", daemon.token, KubeHttp.ACCEPT_TABLE);
        assertThat(bad.status()).isEqualTo(400);
    }

    @Test
    void withoutTheTableMediaTypeFirstTheListIsTheObjectsAsBefore() {
        KubeHttp.Answer plain = http.get(Daemon.EXT + "tables/sandboxclaims", daemon.token, "application/json");
        assertThat(plain.json().path("kind").asText()).isEqualTo("SandboxClaimList");
        KubeHttp.Answer none = http.get(Daemon.EXT + "tables/sandboxclaims/c1", daemon.token, null);
        assertThat(none.json().path("kind").asText()).isEqualTo("SandboxClaim");
        KubeHttp.Answer jsonFirst = http.get(Daemon.EXT + "tables/sandboxclaims", daemon.token, "application/json, application/json;as=Table;v=v1;g=meta.k8s.io");
        assertThat(jsonFirst.json().path("kind").asText()).isEqualTo("SandboxClaimList");
        KubeHttp.Answer beta = http.get(Daemon.EXT + "tables/sandboxclaims", daemon.token, "application/json;as=Table;v=v1beta1;g=meta.k8s.io");
        assertThat(beta.json().path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1beta1");
    }
}
