package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input gets a clear 4xx naming the field or limit, and changes nothing. */
class BadInputTest {
    static Daemon daemon;
    static final String NS = "bad";

    @BeforeAll
    static void start() {
        daemon = new Daemon();
        daemon.createOk(NS, Daemon.TEMPLATE);
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    long revision() {
        return daemon.call("GET", Daemon.EXT + NS + "/sandboxtemplates", null).json().path("metadata").path("resourceVersion").asLong();
    }

    void assertRejected(Daemon.Response r, int status, String... messageParts) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode s = r.json();
        assertThat(s.path("kind").asText()).isEqualTo("Status");
        assertThat(s.path("message").asText()).contains(messageParts);
    }

    @Test
    void malformedYamlIsRejectedWithItsPosition() {
        long before = revision();
        assertRejected(daemon.create(NS, "kind: SandboxClaim\nmetadata: [unclosed\n"), 422, "line");
        assertThat(revision()).isEqualTo(before);
    }

    @Test
    void unknownFieldIsRejectedWithItsPath() {
        long before = revision();
        String typo = Daemon.TEMPLATE.replace("image: agentbox/builtin", "imagee: agentbox/builtin");
        assertRejected(daemon.create(NS, typo.replace("name: python\nspec", "name: typo\nspec")), 422, "containers[0].imagee");
        assertThat(revision()).isEqualTo(before);
    }

    @Test
    void wrongApiVersionIsRejected() {
        Daemon.Response r = daemon.call("POST", Daemon.EXT + NS + "/sandboxclaims",
                Daemon.claim("c", "py").replace("extensions.agents.x-k8s.io/v1beta1", "extensions.agents.x-k8s.io/v9"));
        assertThat(r.status()).as(r.body()).isBetween(400, 499);
        assertThat(r.json().path("message").asText()).contains("v9");
    }

    @Test
    void claimOnAMissingWarmPoolIsRejected() {
        long before = revision();
        assertRejected(daemon.create(NS, Daemon.claim("orphan", "no-such-pool")), 422, "spec.warmPoolRef.name", "no-such-pool");
        assertThat(daemon.get(NS, "sandboxclaims", "orphan")).isNull();
        assertThat(revision()).isEqualTo(before);
    }

    @Test
    void missingRequiredFieldIsNamed() {
        assertRejected(daemon.create(NS, """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxClaim
                metadata:
                  name: nopool
                spec: {}
                """), 422, "spec.warmPoolRef");
    }

    @Test
    void securityFieldsThatCannotBeHonouredAreRejectedAndIgnorableOnesWarned() {
        String privileged = Daemon.TEMPLATE.replace("name: python\nspec", "name: priv\nspec")
                .replace("    spec:\n      containers:", "    spec:\n      hostNetwork: true\n      containers:");
        assertRejected(daemon.create(NS, privileged), 422, "spec.podTemplate.spec.hostNetwork");

        String withNodeSelector = Daemon.TEMPLATE.replace("name: python\nspec", "name: scheduled\nspec")
                .replace("    spec:\n      containers:", "    spec:\n      nodeSelector:\n        pool: gvisor\n      containers:");
        Daemon.Response r = daemon.create(NS, withNodeSelector);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    @Test
    void upstreamFieldsAgentboxdCannotHonourAreRefusedOrWarnedWithTheFieldNamed() throws Exception {
        daemon.createOk(NS, Daemon.pool("vct-pool", 0).replace("replicas: 0", "replicas: 0\n  readinessGracePeriodSeconds: 30"));
        assertRejected(daemon.create(NS, Daemon.pool("zero-grace", 0).replace("replicas: 0", "replicas: 0\n  readinessGracePeriodSeconds: 0")),
                422, "spec.readinessGracePeriodSeconds");
        assertRejected(daemon.create(NS, Daemon.claim("with-volume", "vct-pool") + """
                  volumeClaimTemplates:
                  - metadata:
                      name: workspace
                    spec:
                      accessModes: ["ReadWriteOnce"]
                      resources:
                        requests:
                          storage: 1Gi
                """), 422, "spec.volumeClaimTemplates", "a claim's own volumeClaimTemplates are not supported");
        // nothing stored for it (not the store's revision: the pool created above is still being reconciled, with Events)
        assertThat(daemon.call("GET", Daemon.EXT + NS + "/sandboxclaims/with-volume", null).status()).isEqualTo(404);
        assertThat(daemon.call("GET", Daemon.EXT + NS + "/sandboxwarmpools/vct-pool", null).status()).as("the same path of a stored object").isEqualTo(200);
        // a template allowing claims' volumes is stored, with a warning that agentboxd refuses such claims anyway
        String allowing = Daemon.TEMPLATE.replace("name: python\nspec", "name: vct-allowed\nspec") + "  volumeClaimTemplatesPolicy: Allowed\n";
        var http = daemon.http();
        var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(daemon.agentboxd.endpoint() + Daemon.EXT + NS + "/sandboxtemplates"))
                .header("Authorization", "Bearer " + daemon.token).POST(java.net.http.HttpRequest.BodyPublishers.ofString(allowing)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(r.headers().allValues("Warning")).anySatisfy(w -> assertThat(w).contains("spec.volumeClaimTemplatesPolicy"));
        assertThat(daemon.get(NS, "sandboxtemplates", "vct-allowed").path("spec").path("volumeClaimTemplatesPolicy").asText()).isEqualTo("Allowed");
    }

    @Test
    void unknownImageIsRejectedWithWhatToDo() {
        String other = Daemon.TEMPLATE.replace("name: python\nspec", "name: img\nspec").replace("agentbox/builtin", "python:3.12-slim");
        assertRejected(daemon.create(NS, other), 422, "python:3.12-slim", "agentbox image import");
    }

    @Test
    void filePathTricksAreRejectedAndHugeOutputIsTruncated() throws Exception {
        daemon.createOk(NS, Daemon.pool("py", 1));
        daemon.createOk(NS, Daemon.claim("files", "py"));
        String sandbox = daemon.awaitClaimReady(NS, "files");
        String base = "/api/v1/namespaces/" + NS + "/sandboxes/" + sandbox;
        assertThat(daemon.call("GET", base + "/files?path=/tmp/../etc/passwd", null).status()).isEqualTo(422);
        assertThat(daemon.call("PUT", base + "/files?path=/proc/self/mem", "x").status()).isEqualTo(422);
        assertThat(daemon.call("PUT", base + "/files?path=/tmp/ok.txt", "fine").status()).isEqualTo(204);
        assertThat(daemon.call("GET", base + "/files?path=/tmp/ok.txt", null).body()).isEqualTo("fine");

        Daemon.Response huge = daemon.exec(NS, sandbox, "yes aaaaaaaaaaaaaaa | head -c 100000000");
        assertThat(huge.status()).isEqualTo(200);
        JsonNode result = huge.json();
        assertThat(result.path("stdoutTruncated").asBoolean()).isTrue();
        assertThat(result.path("stdout").asText()).endsWith("[agentbox: output truncated at 1048576 bytes]\n");
        assertThat(result.path("stdout").asText().length()).isLessThan(1_100_000);
        assertThat(daemon.exec(NS, sandbox, "echo still here").json().path("stdout").asText()).isEqualTo("still here\n");
    }

    @Test
    void commandOverItsTimeoutIsKilledAndReportedAsTimedOut() throws Exception {
        daemon.createOk(NS, Daemon.pool("slow", 0));
        daemon.createOk(NS, Daemon.claim("slow", "slow"));
        String sandbox = daemon.awaitClaimReady(NS, "slow");
        Daemon.Response r = daemon.call("POST", "/api/v1/namespaces/" + NS + "/sandboxes/" + sandbox + "/exec",
                "{\"shell\":\"sleep 30\",\"timeoutSeconds\":1}");
        assertThat(r.json().path("timedOut").asBoolean()).isTrue();
        assertThat(r.json().path("durationMillis").asLong()).isLessThan(10_000);
    }
}
