package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 11, item 3: server-side apply (application/apply-patch+yaml) with managedFields and conflicts, as Kubernetes. */
class ServerSideApplyTest {
    static Daemon d;
    static final String NS = "ssa";

    @BeforeAll
    static void start() {
        d = new Daemon();
        d.createOk(NS, Daemon.TEMPLATE);
    }

    @AfterAll
    static void stop() {
        d.close();
    }

    static String path(String name) {
        return Daemon.EXT + NS + "/sandboxtemplates/" + name;
    }

    static String config(String name, String labels, String command) {
        return """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: %s
                %s
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: %s
                """.formatted(name, labels.isEmpty() ? "" : "  labels:\n" + labels.indent(4).stripTrailing(), command);
    }

    static JsonNode entry(JsonNode object, String manager, String operation) {
        for (JsonNode e : object.path("metadata").path("managedFields")) {
            if (e.path("manager").asText().equals(manager) && e.path("operation").asText().equals(operation)) return e;
        }
        return null;
    }

    @Test
    void applyCreatesTheObjectAndRecordsWhatTheManagerOwns() throws Exception {
        Daemon.Response r = Requests.apply(d, path("created"), "kubectl", false, config("created", "app: demo", "[\"sleep\", \"1\"]"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonNode o = d.get(NS, "sandboxtemplates", "created");
        JsonNode e = entry(o, "kubectl", "Apply");
        assertThat(e).as(o.toString()).isNotNull();
        assertThat(e.path("apiVersion").asText()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThat(e.path("fieldsType").asText()).isEqualTo("FieldsV1");
        assertThat(e.path("time").asText()).isNotEmpty();
        assertThat(e.path("fieldsV1")).isEqualTo(Daemon.JSON.readTree("""
                {"f:metadata":{"f:labels":{"f:app":{}}},
                 "f:spec":{"f:podTemplate":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"main\\"}":{".":{},"f:command":{},"f:image":{},"f:name":{}}}}}}}"""));
        // applying the same configuration again changes nothing
        String rv = o.path("metadata").path("resourceVersion").asText();
        Daemon.Response again = Requests.apply(d, path("created"), "kubectl", false, config("created", "app: demo", "[\"sleep\", \"1\"]"));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(d.get(NS, "sandboxtemplates", "created").path("metadata").path("resourceVersion").asText()).isEqualTo(rv);
    }

    @Test
    void serverSideApplyConflictsWithAnotherManagerUnlessForced() {
        assertThat(Requests.apply(d, path("contested"), "alice", false, config("contested", "app: a", "[\"sleep\", \"1\"]")).status()).isEqualTo(201);
        Daemon.Response conflict = Requests.apply(d, path("contested"), "bob", false, config("contested", "app: b", "[\"sleep\", \"2\"]"));
        assertThat(conflict.status()).as(conflict.body()).isEqualTo(409);
        JsonNode status = conflict.json();
        assertThat(status.path("reason").asText()).isEqualTo("Conflict");
        assertThat(status.path("message").asText()).startsWith("Apply failed with 2 conflicts: conflicts with \"alice\":");
        List<String> causes = new ArrayList<>();
        for (JsonNode c : status.path("details").path("causes")) causes.add(c.path("reason").asText() + " " + c.path("field").asText() + " " + c.path("message").asText());
        assertThat(causes).containsExactlyInAnyOrder("FieldManagerConflict .metadata.labels.app conflict with \"alice\"",
                "FieldManagerConflict .spec.podTemplate.spec.containers[name=\"main\"].command conflict with \"alice\"");
        assertThat(d.get(NS, "sandboxtemplates", "contested").path("metadata").path("labels").path("app").asText()).isEqualTo("a");

        // forced: bob takes the fields, alice keeps only what bob did not take
        Daemon.Response forced = Requests.apply(d, path("contested"), "bob", true, config("contested", "app: b", "[\"sleep\", \"2\"]"));
        assertThat(forced.status()).as(forced.body()).isEqualTo(200);
        JsonNode o = d.get(NS, "sandboxtemplates", "contested");
        assertThat(o.path("metadata").path("labels").path("app").asText()).isEqualTo("b");
        assertThat(entry(o, "bob", "Apply").path("fieldsV1").path("f:metadata").path("f:labels").has("f:app")).isTrue();
        assertThat(entry(o, "alice", "Apply").path("fieldsV1").path("f:metadata").isMissingNode()).as(o.path("metadata").path("managedFields").toString()).isTrue();
        assertThat(entry(o, "alice", "Apply").path("fieldsV1").path("f:spec").toString()).contains("f:image");
    }

    @Test
    void applyingTheValueAnotherManagerSetSharesTheField() {
        assertThat(Requests.apply(d, path("shared"), "alice", false, config("shared", "app: same", "[\"sleep\", \"1\"]")).status()).isEqualTo(201);
        Daemon.Response r = Requests.apply(d, path("shared"), "bob", false, config("shared", "app: same", "[\"sleep\", \"1\"]"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode o = d.get(NS, "sandboxtemplates", "shared");
        assertThat(entry(o, "alice", "Apply").path("fieldsV1").path("f:metadata").path("f:labels").has("f:app")).isTrue();
        assertThat(entry(o, "bob", "Apply").path("fieldsV1").path("f:metadata").path("f:labels").has("f:app")).isTrue();
    }

    @Test
    void applyRemovesFieldsTheManagerNoLongerAppliesUnlessAnotherOwnsThem() {
        assertThat(Requests.apply(d, path("pruned"), "alice", false, config("pruned", "app: x\nteam: t", "[\"sleep\", \"1\"]")).status()).isEqualTo(201);
        // carol takes co-ownership of the team label by applying the same value
        assertThat(Requests.apply(d, path("pruned"), "carol", false, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: pruned
                  labels:
                    team: t
                """).status()).isEqualTo(200);
        // alice stops applying both labels and the command
        Daemon.Response r = Requests.apply(d, path("pruned"), "alice", false, config("pruned", "", "null").replace("        command: null\n", ""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode o = d.get(NS, "sandboxtemplates", "pruned");
        assertThat(o.path("metadata").path("labels").has("app")).as(o.toString()).isFalse();
        assertThat(o.path("metadata").path("labels").path("team").asText()).isEqualTo("t");
        assertThat(o.path("spec").path("podTemplate").path("spec").path("containers").get(0).has("command")).isFalse();
        assertThat(o.path("spec").path("podTemplate").path("spec").path("containers").get(0).path("image").asText()).isEqualTo("agentbox/builtin");
    }

    @Test
    void applyMergesKeyedListsItemByItem() {
        String two = """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: lists
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        env:
                        - name: A
                          value: "1"
                """;
        assertThat(Requests.apply(d, path("lists"), "alice", false, two).status()).isEqualTo(201);
        // another manager adds an env var to the same container: a keyed list, so no conflict and both stay
        Daemon.Response r = Requests.apply(d, path("lists"), "bob", false, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: lists
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        env:
                        - name: B
                          value: "2"
                """);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode env = d.get(NS, "sandboxtemplates", "lists").path("spec").path("podTemplate").path("spec").path("containers").get(0).path("env");
        assertThat(env.toString()).isEqualTo("[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}]");
        // an item without its key is refused
        Daemon.Response bad = Requests.apply(d, path("lists"), "bob", false, two.replace("- name: A\n          value", "- value"));
        assertThat(bad.status()).as(bad.body()).isEqualTo(422);
    }

    @Test
    void applyNeedsAFieldManagerAndAConfigurationOfTheKind() {
        Daemon.Response r = Requests.send(d, "PATCH", path("python"), "application/apply-patch+yaml", config("python", "", "[\"true\"]"));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.body()).contains("fieldManager");
        assertThat(Requests.apply(d, path("python"), "x", false, "metadata:\n  name: python\n").status()).isEqualTo(422);
        assertThat(Requests.apply(d, path("python"), "x", false, config("python", "", "[\"true\"]").replace("kind: SandboxTemplate", "kind: SandboxClaim")).status()).isEqualTo(422);
        assertThat(Requests.apply(d, path("python"), "x", false, config("python", "", "[\"true\"]").replace("metadata:\n", "metadata:\n  managedFields: [{}]\n")).status()).isEqualTo(400);
        assertThat(Requests.apply(d, path("python"), "x", false, "a: [").status()).isEqualTo(400);
        // force is only for apply
        assertThat(Requests.send(d, "PATCH", path("python") + "?force=true", "application/merge-patch+json", "{}").status()).isEqualTo(422);
    }

    @Test
    void applyCannotSetStatus() {
        d.createOk(NS, Daemon.pool("applied-pool", 0));
        Daemon.Response r = Requests.apply(d, Daemon.EXT + NS + "/sandboxwarmpools/applied-pool", "kubectl", true, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata:
                  name: applied-pool
                spec:
                  replicas: 0
                  sandboxTemplateRef:
                    name: python
                status:
                  readyReplicas: 99
                """);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode o = d.get(NS, "sandboxwarmpools", "applied-pool");
        assertThat(o.path("status").path("readyReplicas").asInt()).isNotEqualTo(99);
        assertThat(entry(o, "kubectl", "Apply").path("fieldsV1").has("f:status")).isFalse();
    }

    @Test
    void updatesRecordAnUpdateEntryForTheirFieldManager() throws Exception {
        // a create without fieldManager: the User-Agent's product name, as Kubernetes
        Daemon.Response created = Requests.send(d, "POST", Daemon.EXT + NS + "/sandboxtemplates", "application/yaml",
                Daemon.TEMPLATE.replace("name: python", "name: updated"), d.token, "my-tool/1.2 (linux)");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode e = entry(created.json(), "my-tool", "Update");
        assertThat(e).as(created.body()).isNotNull();
        assertThat(e.path("fieldsV1").path("f:spec").has(".")).isTrue(); // the map it created is itself owned
        // a PUT with fieldManager: that manager owns what it changed, the creator keeps the rest
        JsonNode o = d.get(NS, "sandboxtemplates", "updated");
        ((com.fasterxml.jackson.databind.node.ObjectNode) o.path("metadata")).putObject("labels").put("x", "1");
        Daemon.Response put = Requests.send(d, "PUT", path("updated") + "?fieldManager=editor", "application/json", Daemon.JSON.writeValueAsString(o));
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        JsonNode after = put.json();
        assertThat(entry(after, "editor", "Update").path("fieldsV1").toString()).isEqualTo("{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:x\":{}}}}");
        assertThat(entry(after, "my-tool", "Update").path("fieldsV1").has("f:spec")).isTrue();
        // an apply then conflicts with the updater's field, naming it as Kubernetes does
        Daemon.Response conflict = Requests.apply(d, path("updated"), "kubectl", false, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: updated
                  labels:
                    x: "2"
                """);
        assertThat(conflict.status()).as(conflict.body()).isEqualTo(409);
        assertThat(conflict.json().path("message").asText()).contains("conflict with \"editor\" using extensions.agents.x-k8s.io/v1beta1 at ");
    }
}
