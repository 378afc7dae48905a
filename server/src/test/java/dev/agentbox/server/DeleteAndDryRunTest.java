package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 11, item 3: DELETE on a collection (deletecollection), dryRun=All on every write, delete options. */
class DeleteAndDryRunTest {
    static Daemon d;
    static final String NS = "deletes";

    @BeforeAll
    static void start() {
        d = new Daemon();
        d.createOk(NS, Daemon.TEMPLATE);
    }

    @AfterAll
    static void stop() {
        d.close();
    }

    static String templates(String ns) {
        return Daemon.EXT + ns + "/sandboxtemplates";
    }

    static String labelled(String name, String color) {
        return Daemon.TEMPLATE.replaceFirst("name: python", "name: " + name + "\n  labels:\n    color: " + color);
    }

    static List<String> names(String ns) {
        List<String> out = new ArrayList<>();
        for (JsonNode o : d.list(ns, "sandboxtemplates")) out.add(o.path("metadata").path("name").asText());
        return out;
    }

    @Test
    void deleteCollectionDeletesWhatTheSelectorsMatch() {
        String ns = "dc";
        d.createOk(ns, labelled("r1", "red"));
        d.createOk(ns, labelled("r2", "red"));
        d.createOk(ns, labelled("b1", "blue"));
        d.createOk("dc-other", labelled("r9", "red"));
        Daemon.Response r = d.call("DELETE", templates(ns) + "?labelSelector=color%3Dred", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("kind").asText()).isEqualTo("SandboxTemplateList");
        List<String> deleted = new ArrayList<>();
        r.json().path("items").forEach(i -> deleted.add(i.path("metadata").path("name").asText()));
        assertThat(deleted).containsExactly("r1", "r2");
        assertThat(names(ns)).containsExactly("b1");
        assertThat(names("dc-other")).containsExactly("r9");
        // a field selector, and a dry run that deletes nothing
        r = d.call("DELETE", templates(ns) + "?fieldSelector=metadata.name%3Db1&dryRun=All", null);
        assertThat(r.json().path("items")).hasSize(1);
        assertThat(names(ns)).containsExactly("b1");
        // no selector: the whole namespace
        assertThat(d.call("DELETE", templates(ns), null).status()).isEqualTo(200);
        assertThat(names(ns)).isEmpty();
        // not across namespaces (as Kubernetes), and not with a bad selector
        Daemon.Response across = d.call("DELETE", "/apis/extensions.agents.x-k8s.io/v1beta1/sandboxtemplates", null);
        assertThat(across.status()).isEqualTo(405);
        assertThat(names("dc-other")).containsExactly("r9");
        assertThat(d.call("DELETE", templates(ns) + "?labelSelector=a%20b", null).status()).isEqualTo(400);
    }

    @Test
    void dryRunCreateUpdatePatchApplyAndDeleteStoreNothing() throws Exception {
        long rv = d.call("GET", templates(NS), null).json().path("metadata").path("resourceVersion").asLong();
        Daemon.Response created = d.call("POST", templates(NS) + "?dryRun=All", labelled("dry", "red"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().path("metadata").path("uid").asText()).isNotEmpty();
        assertThat(created.json().path("metadata").has("resourceVersion")).isFalse();
        assertThat(d.get(NS, "sandboxtemplates", "dry")).isNull();

        JsonNode python = d.get(NS, "sandboxtemplates", "python");
        ((com.fasterxml.jackson.databind.node.ObjectNode) python.path("metadata")).putObject("labels").put("dry", "put");
        Daemon.Response put = d.call("PUT", templates(NS) + "/python?dryRun=All", Daemon.JSON.writeValueAsString(python));
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.json().path("metadata").path("labels").path("dry").asText()).isEqualTo("put");
        Daemon.Response patched = Requests.mergePatch(d, templates(NS) + "/python?dryRun=All", "{\"metadata\":{\"labels\":{\"dry\":\"patch\"}}}");
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        assertThat(patched.json().path("metadata").path("labels").path("dry").asText()).isEqualTo("patch");
        Daemon.Response applied = Requests.apply(d, templates(NS) + "/applied?dryRun=All", "kubectl", false, labelled("applied", "red"));
        assertThat(applied.status()).as(applied.body()).isEqualTo(201);
        Daemon.Response deleted = d.call("DELETE", templates(NS) + "/python?dryRun=All", null);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);

        assertThat(d.get(NS, "sandboxtemplates", "python").path("metadata").path("labels").has("dry")).isFalse();
        assertThat(d.get(NS, "sandboxtemplates", "applied")).isNull();
        assertThat(d.call("GET", templates(NS), null).json().path("metadata").path("resourceVersion").asLong()).isEqualTo(rv);
        // a dry run still validates and admits
        assertThat(d.call("POST", templates(NS) + "?dryRun=All", labelled("Bad_Name", "red")).status()).isEqualTo(422);
        assertThat(d.call("POST", Daemon.EXT + NS + "/sandboxclaims?dryRun=All", Daemon.claim("c", "no-such-pool")).status()).isEqualTo(422);
        // and only All is a dry run
        assertThat(d.call("POST", templates(NS) + "?dryRun=Some", labelled("dry2", "red")).status()).isEqualTo(422);
        assertThat(d.get(NS, "sandboxtemplates", "dry2")).isNull();
    }

    @Test
    void deleteOptionsPreconditionsAndPropagation() {
        d.createOk(NS, labelled("pre", "red"));
        JsonNode o = d.get(NS, "sandboxtemplates", "pre");
        Daemon.Response wrongUid = d.call("DELETE", templates(NS) + "/pre", "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"uid\":\"x\"}}");
        assertThat(wrongUid.status()).as(wrongUid.body()).isEqualTo(409);
        Daemon.Response wrongRv = d.call("DELETE", templates(NS) + "/pre", "{\"preconditions\":{\"resourceVersion\":\"1\"}}");
        assertThat(wrongRv.status()).as(wrongRv.body()).isEqualTo(409);
        assertThat(d.call("DELETE", templates(NS) + "/pre?propagationPolicy=Orphan", null).status()).isEqualTo(422);
        assertThat(d.call("DELETE", templates(NS) + "/pre", "{\"dryRun\":[\"All\"]}").status()).isEqualTo(200);
        assertThat(d.get(NS, "sandboxtemplates", "pre")).isNotNull();
        assertThat(d.call("DELETE", templates(NS) + "/pre", "not json").status()).isEqualTo(400);
        // what kubectl delete sends
        Daemon.Response ok = d.call("DELETE", templates(NS) + "/pre", "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\","
                + "\"preconditions\":{\"uid\":\"" + o.path("metadata").path("uid").asText() + "\"}}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(d.get(NS, "sandboxtemplates", "pre")).isNull();
    }

    @Test
    void unsupportedCombinationsAnswer405WithAllow() {
        for (String[] c : new String[][] {{"PATCH", templates(NS), "GET, POST, DELETE"}, {"PUT", templates(NS), "GET, POST, DELETE"},
                {"POST", templates(NS) + "/python", "GET, PUT, PATCH, DELETE"}, {"POST", Daemon.EXT + NS + "/sandboxwarmpools/x/scale", "GET, PUT, PATCH"},
                {"PUT", templates(NS) + "/python/status", "GET"}, {"POST", "/apis/extensions.agents.x-k8s.io/v1beta1/sandboxtemplates", "GET"}}) {
            Daemon.Response r = Requests.send(d, c[0], c[1], "application/merge-patch+json", "{}");
            assertThat(r.status()).as(c[0] + " " + c[1] + ": " + r.body()).isEqualTo(405);
        }
    }
}
