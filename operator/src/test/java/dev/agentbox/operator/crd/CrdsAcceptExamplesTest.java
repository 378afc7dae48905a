package dev.agentbox.operator.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checked-in CRDs accept the upstream example manifests (examples/upstream, verbatim from
 * kubernetes-sigs/agent-sandbox) and agentbox's own examples unchanged, and reject what the API server would.
 */
class CrdsAcceptExamplesTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static Stream<Path> manifests() throws Exception {
        List<Path> out = new ArrayList<>();
        try (var files = Files.walk(Path.of("..", "examples"))) {
            files.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(out::add);
        }
        return out.stream();
    }

    static List<JsonNode> documents(Path file) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && n.isObject()) docs.add(n);
            }
        }
        return docs;
    }

    static JSONSchemaProps schemaFor(String apiVersion, String kind) {
        for (CustomResourceDefinition crd : Crds.loadAll()) {
            if (!crd.getSpec().getNames().getKind().equals(kind)) continue;
            for (var v : crd.getSpec().getVersions()) {
                if ((crd.getSpec().getGroup() + "/" + v.getName()).equals(apiVersion)) return v.getSchema().getOpenAPIV3Schema();
            }
        }
        return null;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void exampleManifestIsAcceptedUnchanged(Path file) throws Exception {
        int checked = 0;
        for (JsonNode doc : documents(file)) {
            JSONSchemaProps schema = schemaFor(doc.path("apiVersion").asText(), doc.path("kind").asText());
            if (schema == null) continue; // a kind the operator does not serve (e.g. podsnapshot.gke.io, which GKE installs)
            assertThat(SchemaCheck.validate(schema, doc)).as("%s %s", file, doc.path("kind").asText()).isEmpty();
            checked++;
        }
        if (file.toString().contains("upstream")) assertThat(checked).as("agent-sandbox objects in %s", file).isPositive();
    }

    @Test
    void theUpstreamPythonTemplateWarmPoolAndClaimAreAllChecked() throws Exception {
        List<String> kinds = new ArrayList<>();
        for (Path p : manifests().filter(p -> p.toString().contains("upstream")).toList()) {
            for (JsonNode d : documents(p)) kinds.add(d.path("kind").asText());
        }
        assertThat(kinds).contains("SandboxTemplate", "SandboxWarmPool", "SandboxClaim");
    }

    @Test
    void unknownFieldsWrongTypesBadEnumsAndMissingRequiredFieldsAreRejected() throws Exception {
        JSONSchemaProps claim = schemaFor("extensions.agents.x-k8s.io/v1beta1", "SandboxClaim");
        ObjectNode bad = (ObjectNode) YAML.readTree("""
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxClaim
                metadata: {name: x}
                spec:
                  warmPoolRefs: {name: p}
                  lifecycle: {shutdownPolicy: Sometimes, ttlSecondsAfterFinished: "ten"}
                """);
        assertThat(SchemaCheck.validate(claim, bad)).containsExactlyInAnyOrder(
                "spec.warmPoolRef: required",
                "spec.warmPoolRefs: unknown field (the API server would prune it)",
                "spec.lifecycle.shutdownPolicy: \"Sometimes\" is not one of [\"Delete\", \"DeleteForeground\", \"Retain\"]",
                "spec.lifecycle.ttlSecondsAfterFinished: must be an integer, got STRING");
        JSONSchemaProps template = schemaFor("extensions.agents.x-k8s.io/v1beta1", "SandboxTemplate");
        ObjectNode badPod = (ObjectNode) YAML.readTree("""
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata: {name: x}
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: c
                        image: i
                        resources: {limits: {cpu: 1, memory: 512Mi}}
                        ports: [{containerPort: "http"}]
                """);
        assertThat(SchemaCheck.validate(template, badPod))
                .containsExactly("spec.podTemplate.spec.containers[0].ports[0].containerPort: must be an integer, got STRING");
    }
}
