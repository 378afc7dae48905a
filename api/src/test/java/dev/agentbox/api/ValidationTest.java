package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidationTest {
    private static List<FieldError> errorsOf(String yaml) {
        HasMetadata object = Resources.parseAll(yaml).get(0);
        return Validation.errors(object);
    }

    private static List<String> fieldsOf(String yaml) {
        return errorsOf(yaml).stream().map(FieldError::field).toList();
    }

    @Test
    void acceptsValidObjectsOfEveryKind() {
        for (HasMetadata o : Resources.parseAll(ResourcesTest.TEMPLATE + "---\n" + ResourcesTest.POOL_AND_CLAIM)) {
            assertThatCode(() -> Validation.check(o)).doesNotThrowAnyException();
        }
    }

    @Test
    void aClaimWithoutWarmPoolRefNamesTheMissingField() {
        String claim = """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxClaim
                metadata: {name: c}
                spec: {}
                """;
        assertThatThrownBy(() -> Validation.check(Resources.parseAll(claim).get(0)))
                .isInstanceOf(InvalidException.class)
                .hasMessageStartingWith("spec.warmPoolRef.name: required");
        assertThat(fieldsOf(claim.replace("spec: {}\n", ""))).containsExactly("spec.warmPoolRef.name");
    }

    @Test
    void reportsEveryErrorAtOnceWithItsPath() {
        String sandbox = """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: Bad_Name
                  labels: {"bad key!": v}
                spec:
                  shutdownTime: tomorrow
                  podTemplate:
                    spec:
                      restartPolicy: Sometimes
                      containers:
                      - name: c
                        env: [{name: "1=bad", value: x}]
                        resources: {limits: {memory: 12Q}}
                        volumeMounts: [{name: missing, mountPath: data}]
                      - name: c
                        image: agentbox/builtin
                """;
        assertThat(fieldsOf(sandbox)).containsExactlyInAnyOrder(
                "metadata.name",
                "metadata.labels",
                "spec.podTemplate.spec.containers[0].image",
                "spec.podTemplate.spec.containers[0].env[0].name",
                "spec.podTemplate.spec.containers[0].resources.limits.memory",
                "spec.podTemplate.spec.containers[0].volumeMounts[0].name",
                "spec.podTemplate.spec.containers[0].volumeMounts[0].mountPath",
                "spec.podTemplate.spec.containers[1].name",
                "spec.podTemplate.spec.restartPolicy",
                "spec.shutdownTime");
    }

    @Test
    void anInvalidQuantityIsReportedWithItsPath() {
        String t = ResourcesTest.TEMPLATE.replace("memory: 256Mi", "memory: lots");
        List<FieldError> errors;
        try {
            errors = errorsOf(t);
        } catch (InvalidException e) {
            errors = e.errors(); // the codec may already refuse it
        }
        assertThat(errors).extracting(FieldError::field).anyMatch(f -> f.startsWith("spec.podTemplate.spec.containers[0].resources.limits"));
    }

    @Test
    void aTemplateNeedsAPodTemplateWithAtLeastOneContainer() {
        String base = """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata: {name: t}
                """;
        assertThat(fieldsOf(base + "spec: {}\n")).containsExactly("spec.podTemplate");
        assertThat(fieldsOf(base + "spec: {podTemplate: {}}\n")).containsExactly("spec.podTemplate.spec");
        assertThat(fieldsOf(base + "spec: {podTemplate: {spec: {containers: []}}}\n")).containsExactly("spec.podTemplate.spec.containers");
        assertThat(errorsOf(base + "spec: {podTemplate: {spec: {containers: []}}}\n").get(0).message()).contains("add at least one container");
    }

    @Test
    void aWarmPoolNeedsATemplateRefAndNonNegativeReplicas() {
        String pool = """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata: {name: p}
                spec: {replicas: -1}
                """;
        assertThat(errorsOf(pool)).containsExactlyInAnyOrder(
                new FieldError("spec.replicas", "must be >= 0, got -1"),
                new FieldError("spec.sandboxTemplateRef.name", "required: name the SandboxTemplate the pool's sandboxes are made from"));
    }

    @Test
    void claimLifecycleAndEnvAreChecked() {
        String claim = """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxClaim
                metadata: {name: c}
                spec:
                  warmPoolRef: {name: p}
                  lifecycle: {shutdownTime: "2030-13-01", ttlSecondsAfterFinished: -5}
                  additionalPodMetadata: {labels: {ok: "not ok!"}}
                  env:
                  - {name: "", value: x}
                  - {name: A}
                  - {name: A, value: y}
                """;
        assertThat(fieldsOf(claim)).containsExactlyInAnyOrder(
                "spec.lifecycle.shutdownTime", "spec.lifecycle.ttlSecondsAfterFinished",
                "spec.additionalPodMetadata.labels[\"ok\"]", "spec.env[0].name", "spec.env[1].value", "spec.env[2].name");
        assertThat(errorsOf(claim).get(0).message()).contains("RFC 3339", "2030-01-31T18:00:00Z");
    }

    @Test
    void namesUsedAsHostNamesAreLimitedTo63Characters() {
        String longName = "a".repeat(64);
        String claim = "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxClaim\nmetadata: {name: " + longName
                + "}\nspec: {warmPoolRef: {name: p}}\n";
        assertThat(fieldsOf(claim)).containsExactly("metadata.name");
        String template = "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxTemplate\nmetadata: {name: " + longName
                + "}\nspec: {podTemplate: {spec: {containers: [{name: c, image: i}]}}}\n";
        assertThat(fieldsOf(template)).isEmpty();
    }

    @Test
    void generateNameIsAcceptedWhenNameIsAbsent() {
        String claim = "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxClaim\nmetadata: {generateName: job-}\nspec: {warmPoolRef: {name: p}}\n";
        assertThat(fieldsOf(claim)).isEmpty();
        assertThat(fieldsOf(claim.replace("generateName: job-", "namespace: default"))).containsExactly("metadata.name");
        assertThat(fieldsOf(claim.replace("generateName: job-", "generateName: Job_"))).containsExactly("metadata.generateName");
    }

    @Test
    void volumeMountsMayReferToVolumeClaimTemplates() {
        String sandbox = """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata: {name: s}
                spec:
                  volumeClaimTemplates:
                  - metadata: {name: work}
                    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
                  podTemplate:
                    spec:
                      containers:
                      - name: c
                        image: agentbox/builtin
                        volumeMounts: [{name: work, mountPath: /work}]
                """;
        assertThat(fieldsOf(sandbox)).isEmpty();
    }

    @Test
    void messagesSayWhatToDo() {
        String claim = "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxClaim\nmetadata: {}\nspec: {warmPoolRef: {name: p}}\n";
        assertThat(errorsOf(claim)).singleElement().isEqualTo(new FieldError("metadata.name", "required: set metadata.name (or metadata.generateName)"));
    }
}
