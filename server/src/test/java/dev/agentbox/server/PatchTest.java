package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 11, item 3: PATCH with JSON merge patch and JSON patch, as kube-apiserver applies them to custom resources. */
class PatchTest {
    static Daemon d;
    static final String NS = "patch";

    @BeforeAll
    static void start() {
        d = new Daemon();
        d.createOk(NS, Daemon.TEMPLATE);
        d.createOk(NS, Daemon.pool("py", 0));
    }

    @AfterAll
    static void stop() {
        d.close();
    }

    static String template(String name) {
        return Daemon.EXT + NS + "/sandboxtemplates/" + name;
    }

    static String templateNamed(String name) {
        return Daemon.TEMPLATE.replace("name: python", "name: " + name);
    }

    @Test
    void mergePatchChangesOnlyTheGivenFields() {
        d.createOk(NS, templateNamed("merge"));
        JsonNode before = d.get(NS, "sandboxtemplates", "merge");
        Daemon.Response r = Requests.mergePatch(d, template("merge"), "{\"metadata\":{\"labels\":{\"team\":\"a\"}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode after = d.get(NS, "sandboxtemplates", "merge");
        assertThat(after.path("metadata").path("labels").path("team").asText()).isEqualTo("a");
        assertThat(after.path("spec")).isEqualTo(before.path("spec"));
        assertThat(after.path("metadata").path("generation").asLong()).isEqualTo(1); // no spec change
        assertThat(Long.parseLong(after.path("metadata").path("resourceVersion").asText()))
                .isGreaterThan(Long.parseLong(before.path("metadata").path("resourceVersion").asText()));
        // null removes a field
        r = Requests.mergePatch(d, template("merge"), "{\"metadata\":{\"labels\":{\"team\":null}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(d.get(NS, "sandboxtemplates", "merge").path("metadata").path("labels").has("team")).isFalse();
    }

    @Test
    void jsonPatchAppliesItsOperationsInOrder() {
        d.createOk(NS, templateNamed("json"));
        Daemon.Response r = Requests.jsonPatch(d, template("json"), """
                [{"op":"add","path":"/metadata/labels","value":{"a":"1"}},
                 {"op":"copy","from":"/metadata/labels/a","path":"/metadata/labels/b"},
                 {"op":"replace","path":"/spec/podTemplate/spec/containers/0/command","value":["sleep","9"]},
                 {"op":"test","path":"/metadata/labels/b","value":"1"}]""");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode after = d.get(NS, "sandboxtemplates", "json");
        assertThat(after.path("metadata").path("labels").toString()).isEqualTo("{\"a\":\"1\",\"b\":\"1\"}");
        assertThat(after.path("spec").path("podTemplate").path("spec").path("containers").get(0).path("command").toString()).isEqualTo("[\"sleep\",\"9\"]");
        assertThat(after.path("metadata").path("generation").asLong()).isEqualTo(2);
    }

    @Test
    void jsonPatchThatDoesNotApplyIs422AndChangesNothing() {
        d.createOk(NS, templateNamed("json-fail"));
        String rv = d.get(NS, "sandboxtemplates", "json-fail").path("metadata").path("resourceVersion").asText();
        Daemon.Response r = Requests.jsonPatch(d, template("json-fail"), """
                [{"op":"add","path":"/metadata/labels","value":{"a":"1"}},{"op":"test","path":"/metadata/labels/a","value":"2"}]""");
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(d.get(NS, "sandboxtemplates", "json-fail").path("metadata").path("resourceVersion").asText()).isEqualTo(rv);
        // malformed patches are 400s
        assertThat(Requests.jsonPatch(d, template("json-fail"), "{\"op\":\"add\"}").status()).isEqualTo(400);
        assertThat(Requests.jsonPatch(d, template("json-fail"), "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]").status()).isEqualTo(400);
        assertThat(Requests.mergePatch(d, template("json-fail"), "[1]").status()).isEqualTo(400);
        assertThat(Requests.mergePatch(d, template("json-fail"), "{not json").status()).isEqualTo(400);
    }

    @Test
    void jsonPatchCopiesAreBounded() {
        d.createOk(NS, templateNamed("copy-bomb"));
        StringBuilder ops = new StringBuilder("[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{\"x\":\"" + "x".repeat(100_000) + "\"}}");
        for (int i = 0; i < 60; i++) ops.append(",{\"op\":\"copy\",\"from\":\"/metadata/annotations\",\"path\":\"/metadata/annotations/c").append(i).append("\"}");
        Daemon.Response r = Requests.jsonPatch(d, template("copy-bomb"), ops.append("]").toString());
        assertThat(r.status()).as(r.body()).isEqualTo(413);
        assertThat(r.json().path("message").asText()).contains("copy");
        assertThat(d.get(NS, "sandboxtemplates", "copy-bomb").path("metadata").has("annotations")).isFalse();
    }

    @Test
    void strategicMergePatchIs415() {
        Daemon.Response r = Requests.send(d, "PATCH", template("python"), "application/strategic-merge-patch+json", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(415);
        assertThat(r.json().path("reason").asText()).isEqualTo("UnsupportedMediaType");
        assertThat(r.json().path("message").asText()).contains("application/merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml");
        assertThat(Requests.send(d, "PATCH", template("python"), "application/json", "{}").status()).isEqualTo(415);
        assertThat(Requests.send(d, "PATCH", template("python"), null, "{}").status()).isEqualTo(415);
        assertThat(d.get(NS, "sandboxtemplates", "python").path("metadata").path("labels").has("a")).isFalse();
    }

    @Test
    void patchCannotChangeStatus() {
        Daemon.Response r = Requests.mergePatch(d, Daemon.EXT + NS + "/sandboxwarmpools/py", "{\"status\":{\"replicas\":99,\"readyReplicas\":99}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("status").path("readyReplicas").asInt()).isNotEqualTo(99);
        assertThat(d.get(NS, "sandboxwarmpools", "py").path("status").path("readyReplicas").asInt()).isNotEqualTo(99);
        r = Requests.jsonPatch(d, Daemon.EXT + NS + "/sandboxwarmpools/py", "[{\"op\":\"add\",\"path\":\"/status\",\"value\":{\"replicas\":99}}]");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(d.get(NS, "sandboxwarmpools", "py").path("status").path("replicas").asInt()).isNotEqualTo(99);
    }

    @Test
    void patchGoesThroughValidationAndAdmission() {
        d.createOk(NS, Daemon.claim("c-valid", "py"));
        // admission: the pool must exist
        Daemon.Response r = Requests.mergePatch(d, Daemon.EXT + NS + "/sandboxclaims/c-valid", "{\"spec\":{\"warmPoolRef\":{\"name\":\"nope\"}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.body()).contains("spec.warmPoolRef.name");
        // validation: a name must stay a DNS label, unknown fields are refused
        assertThat(Requests.mergePatch(d, template("python"), "{\"spec\":{\"nonsense\":1}}").status()).isEqualTo(422);
        assertThat(Requests.mergePatch(d, template("python"), "{\"metadata\":{\"name\":\"other\"}}").status()).isEqualTo(422);
        assertThat(Requests.mergePatch(d, template("python"), "{\"kind\":\"SandboxClaim\"}").status()).isEqualTo(422);
        d.call("DELETE", Daemon.EXT + NS + "/sandboxclaims/c-valid", null);
    }

    @Test
    void aResourceVersionInAPatchIsAPrecondition() {
        d.createOk(NS, templateNamed("rv"));
        String rv = d.get(NS, "sandboxtemplates", "rv").path("metadata").path("resourceVersion").asText();
        Daemon.Response ok = Requests.mergePatch(d, template("rv"), "{\"metadata\":{\"resourceVersion\":\"" + rv + "\",\"labels\":{\"a\":\"1\"}}}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        Daemon.Response stale = Requests.mergePatch(d, template("rv"), "{\"metadata\":{\"resourceVersion\":\"" + rv + "\",\"labels\":{\"a\":\"2\"}}}");
        assertThat(stale.status()).as(stale.body()).isEqualTo(409);
        assertThat(stale.json().path("reason").asText()).isEqualTo("Conflict");
        assertThat(d.get(NS, "sandboxtemplates", "rv").path("metadata").path("labels").path("a").asText()).isEqualTo("1");
    }

    @Test
    void patchOfAMissingObjectIs404() {
        assertThat(Requests.mergePatch(d, template("missing"), "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}").status()).isEqualTo(404);
    }

    @Test
    void kubectlClientSideApplyPatchesWithItsLastAppliedAnnotation() throws Exception {
        // what `kubectl apply` (client-side) sends for a custom resource: a create carrying the last-applied annotation,
        // then a three-way JSON merge patch that updates it
        String v1 = templateNamed("csa").replace("metadata:\n", "metadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{}'\n");
        Daemon.Response created = Requests.send(d, "POST", Daemon.EXT + NS + "/sandboxtemplates?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                "application/json", Daemon.JSON.writeValueAsString(dev.agentbox.api.Resources.toTree(dev.agentbox.api.Resources.parseAll(v1).get(0))));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        Daemon.Response patched = Requests.send(d, "PATCH", template("csa") + "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                "application/merge-patch+json", "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
                        + "\"{\\\"x\\\":1}\\n\"},\"labels\":{\"app\":\"csa\"}},\"spec\":{\"podTemplate\":{\"spec\":{\"containers\":[{\"name\":\"python\","
                        + "\"image\":\"agentbox/builtin\",\"command\":[\"sleep\",\"1\"]}]}}}}");
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        JsonNode after = d.get(NS, "sandboxtemplates", "csa");
        assertThat(after.path("metadata").path("labels").path("app").asText()).isEqualTo("csa");
        assertThat(after.path("spec").path("podTemplate").path("spec").path("containers").get(0).path("command").toString()).isEqualTo("[\"sleep\",\"1\"]");
        JsonNode managed = after.path("metadata").path("managedFields");
        assertThat(managed).hasSize(1);
        assertThat(managed.get(0).path("manager").asText()).isEqualTo("kubectl-client-side-apply");
        assertThat(managed.get(0).path("operation").asText()).isEqualTo("Update");
    }

    @Test
    void jsonPatchThatMovesTheObjectToAnotherNamespaceRenamesItOrChangesItsUidIsRefused() {
        d.createOk(NS, templateNamed("victim"));
        JsonNode before = d.get(NS, "sandboxtemplates", "victim");
        Daemon.Response r = Requests.jsonPatch(d, template("victim"), "[{\"op\":\"replace\",\"path\":\"/metadata/namespace\",\"value\":\"other-tenant\"}]");
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.body()).contains("metadata.namespace");
        r = Requests.jsonPatch(d, template("victim"), "[{\"op\":\"replace\",\"path\":\"/metadata/name\",\"value\":\"python\"}]");
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.body()).contains("metadata.name");
        r = Requests.jsonPatch(d, template("victim"), "[{\"op\":\"replace\",\"path\":\"/metadata/uid\",\"value\":\"00000000-0000-0000-0000-000000000000\"}]");
        assertThat(r.status()).as(r.body()).isEqualTo(409);
        assertThat(r.body()).contains("metadata.uid");
        // a merge patch trying the same, and a remove of the namespace (it falls back to the URL's, nothing moves)
        assertThat(Requests.mergePatch(d, template("victim"), "{\"metadata\":{\"namespace\":\"other-tenant\"}}").status()).isEqualTo(422);
        assertThat(Requests.mergePatch(d, template("victim"), "{\"metadata\":{\"uid\":\"x\"}}").status()).isEqualTo(409);
        r = Requests.jsonPatch(d, template("victim"), "[{\"op\":\"remove\",\"path\":\"/metadata/namespace\"}]");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("metadata").path("namespace").asText()).isEqualTo(NS);
        JsonNode after = d.get(NS, "sandboxtemplates", "victim");
        assertThat(after.path("metadata").path("uid")).isEqualTo(before.path("metadata").path("uid"));
        assertThat(d.call("GET", Daemon.EXT + "other-tenant/sandboxtemplates/victim", null).status()).isEqualTo(404);
    }
}
