package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.api.agents.v1beta1.ShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.ClaimShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.UpdateStrategyType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourcesTest {
    static final String TEMPLATE = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: python
              labels:
                example.com/team: agents
            spec:
              podTemplate:
                metadata:
                  annotations:
                    anything.example.com/goes: "here"
                spec:
                  containers:
                  - name: python
                    image: agentbox/builtin
                    command: ["sleep", "infinity"]
                    resources:
                      limits:
                        memory: 256Mi
                        cpu: "1"
              networkPolicyManagement: Unmanaged
            """;

    static final String POOL_AND_CLAIM = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxWarmPool
            metadata:
              name: pool
            spec:
              replicas: 3
              sandboxTemplateRef:
                name: python
              updateStrategy:
                type: Recreate
            ---
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxClaim
            metadata:
              name: claim
            spec:
              warmPoolRef:
                name: pool
              lifecycle:
                shutdownTime: "2030-01-01T00:00:00Z"
                shutdownPolicy: DeleteForeground
                ttlSecondsAfterFinished: 60
              env:
              - name: A
                value: b
            """;

    @Test
    void parsesMultiDocumentYamlIntoTypedObjectsByApiVersionAndKind() {
        List<HasMetadata> objects = Resources.parseAll(TEMPLATE + "---\n" + POOL_AND_CLAIM);
        assertThat(objects).hasSize(3);
        SandboxTemplate t = (SandboxTemplate) objects.get(0);
        assertThat(t.getSpec().getPodTemplate().getSpec().getContainers().get(0).getResources().getLimits().get("memory"))
                .isEqualTo(new Quantity("256Mi"));
        SandboxWarmPool pool = (SandboxWarmPool) objects.get(1);
        assertThat(pool.getSpec().getReplicas()).isEqualTo(3);
        assertThat(pool.getSpec().getUpdateStrategy().effectiveType()).isEqualTo(UpdateStrategyType.RECREATE);
        SandboxClaim claim = (SandboxClaim) objects.get(2);
        assertThat(claim.getSpec().getWarmPoolRef().getName()).isEqualTo("pool");
        assertThat(claim.getSpec().getLifecycle().effectiveShutdownPolicy()).isEqualTo(ClaimShutdownPolicy.DELETE_FOREGROUND);
        assertThat(claim.getSpec().getEnv().get(0).getValue()).isEqualTo("b");
    }

    @Test
    void skipsEmptyYamlDocuments() {
        assertThat(Resources.parseAll("---\n" + TEMPLATE + "---\n---\n")).hasSize(1);
    }

    @Test
    void parsesJsonObjectsAndJsonLists() {
        SandboxTemplate t = Resources.parse(TEMPLATE, SandboxTemplate.class);
        String json = Resources.toJson(t);
        assertThat(Resources.parseAll(json)).singleElement().isEqualTo(t);
        String list = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[" + json + "," + json + "]}";
        assertThat(Resources.parseAll(list)).hasSize(2);
    }

    @Test
    void roundTripsThroughYamlAndJsonUnchanged() {
        for (HasMetadata o : Resources.parseAll(TEMPLATE + "---\n" + POOL_AND_CLAIM)) {
            assertThat(Resources.parseAll(Resources.toYaml(o))).singleElement().isEqualTo(o);
            assertThat(Resources.parseAll(Resources.toJson(o))).singleElement().isEqualTo(o);
        }
        List<HasMetadata> all = Resources.parseAll(POOL_AND_CLAIM);
        assertThat(Resources.parseAll(Resources.toYaml(all))).isEqualTo(all);
    }

    @Test
    void roundTripsStatusWithConditions() {
        Sandbox s = Resources.parse("""
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata: {name: sb}
                spec:
                  podTemplate:
                    spec:
                      containers: [{name: c, image: agentbox/builtin}]
                  shutdownTime: "2030-01-01T00:00:00Z"
                  shutdownPolicy: Delete
                  operatingMode: Suspended
                  service: true
                """, Sandbox.class);
        assertThat(s.getSpec().effectiveShutdownPolicy()).isEqualTo(ShutdownPolicy.DELETE);
        assertThat(s.getSpec().effectiveOperatingMode()).isEqualTo(OperatingMode.SUSPENDED);
        SandboxStatus status = new SandboxStatus();
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_DEPENDENCIES_READY, "ok", 1L), Instant.parse("2025-01-01T00:00:00Z"));
        status.setSelector("agents.x-k8s.io/sandbox-name-hash=" + Hashing.nameHash("sb"));
        s.setStatus(status);
        Sandbox back = (Sandbox) Resources.parseAll(Resources.toYaml(s)).get(0);
        assertThat(back.getStatus()).isEqualTo(status);
        assertThat(Resources.toJson(s)).contains("\"operatingMode\":\"Suspended\"", "\"lastTransitionTime\":\"2025-01-01T00:00:00Z\"");
    }

    @Test
    void writesNoNullsAndNoEmptyStatus() {
        SandboxWarmPool pool = (SandboxWarmPool) Resources.parseAll(POOL_AND_CLAIM).get(0);
        String json = Resources.toJson(pool);
        assertThat(json).doesNotContain("null").doesNotContain("\"status\"");
        pool.setStatus(new dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolStatus(2, 1, "x=y"));
        assertThat(Resources.toJson(pool)).contains("\"status\":{\"replicas\":2,\"readyReplicas\":1,\"selector\":\"x=y\"}");
        Sandbox sandbox = new Sandbox();
        sandbox.setStatus(new SandboxStatus());
        assertThat(Resources.toYaml(sandbox)).doesNotContain("status").doesNotContain("null");
    }

    @Test
    void rejectsMalformedYamlWithLineAndColumn() {
        String broken = "apiVersion: agents.x-k8s.io/v1beta1\nkind: Sandbox\nmetadata:\n  name: [oops\n";
        assertThatThrownBy(() -> Resources.parseAll(broken))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("malformed")
                .hasMessageMatching("(?s).*line \\d+, column \\d+.*");
    }

    @Test
    void rejectsMalformedJsonWithLineAndColumn() {
        assertThatThrownBy(() -> Resources.parseAll("{\"apiVersion\": \"agents.x-k8s.io/v1beta1\",\n \"kind\": }"))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("line 2, column");
    }

    @Test
    void rejectsDuplicateKeys() {
        assertThatThrownBy(() -> Resources.parseAll("apiVersion: agents.x-k8s.io/v1beta1\nkind: Sandbox\nkind: Sandbox\n"))
                .isInstanceOf(InvalidException.class).hasMessageContaining("kind");
    }

    @Test
    void rejectsMissingApiVersionAndKindListingKnownKinds() {
        assertThatThrownBy(() -> Resources.parseAll("metadata:\n  name: x\n"))
                .isInstanceOf(InvalidException.class)
                .satisfies(e -> assertThat(((InvalidException) e).errors()).extracting(FieldError::field).containsExactly("apiVersion", "kind"))
                .hasMessageContaining("SandboxClaim");
    }

    @Test
    void rejectsUnknownKindListingKnownKinds() {
        // v1 is served (for Event only): the kind is what is unknown
        assertThatThrownBy(() -> Resources.parseAll("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("kind: unknown kind Pod in v1") // v1 is served: ConfigMap and Secret
                .hasMessageContaining("extensions.agents.x-k8s.io/v1beta1 SandboxWarmPool");
        assertThatThrownBy(() -> Resources.parseAll("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"))
                .isInstanceOf(InvalidException.class).hasMessageContaining("apiVersion: unknown apiVersion/kind apps/v1 Deployment")
                .hasMessageContaining("v1 Secret");
        assertThatThrownBy(() -> Resources.parseAll("apiVersion: agents.x-k8s.io/v1beta1\nkind: Sandboxx\n"))
                .isInstanceOf(InvalidException.class).hasMessageContaining("kind: unknown kind Sandboxx");
    }

    @Test
    void rejectsAWrongApiVersionNamingTheServedOne() {
        assertThatThrownBy(() -> Resources.parseAll(TEMPLATE.replace("v1beta1", "v1alpha1")))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("apiVersion: extensions.agents.x-k8s.io/v1alpha1 is not served for SandboxTemplate; use apiVersion: extensions.agents.x-k8s.io/v1beta1");
    }

    @Test
    void rejectsAnUnknownFieldInsideThePodSpecWithItsFullPath() {
        assertThatThrownBy(() -> Resources.parseAll(TEMPLATE.replace("image: agentbox/builtin", "imagee: agentbox/builtin")))
                .isInstanceOf(InvalidException.class)
                .satisfies(e -> assertThat(((InvalidException) e).errors())
                        .containsExactly(new FieldError("spec.podTemplate.spec.containers[0].imagee", "unknown field; did you mean image?")));
    }

    @Test
    void reportsEveryUnknownFieldAtEveryLevel() {
        String yaml = TEMPLATE.replace("kind: SandboxTemplate", "kind: SandboxTemplate\nextra: 1")
                .replace("  podTemplate:", "  replicas: 2\n  podTemplate:")
                .replace("      containers:", "      nodeSelectorr: {}\n      containers:")
                .replace("        resources:", "        securityContext: {runAsUserr: 1}\n        resources:");
        assertThatThrownBy(() -> Resources.parseAll(yaml))
                .isInstanceOf(InvalidException.class)
                .satisfies(e -> assertThat(((InvalidException) e).errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                        "extra", "spec.replicas", "spec.podTemplate.spec.nodeSelectorr",
                        "spec.podTemplate.spec.containers[0].securityContext.runAsUserr"));
    }

    @Test
    void rejectsUnknownFieldsInMetadataAndInNetworkPolicyRules() {
        String yaml = TEMPLATE.replace("  name: python\n", "  name: python\n  nmae: x\n")
                .replace("  networkPolicyManagement: Unmanaged", "  networkPolicy:\n    egress:\n    - to: [{ipBlock: {cidr: 0.0.0.0/0, exept: []}}]");
        assertThatThrownBy(() -> Resources.parseAll(yaml))
                .isInstanceOf(InvalidException.class)
                .satisfies(e -> assertThat(((InvalidException) e).errors()).extracting(FieldError::field)
                        .containsExactlyInAnyOrder("metadata.nmae", "spec.networkPolicy.egress[0].to[0].ipBlock.exept"));
    }

    @Test
    void acceptsArbitraryKeysWhereKubernetesAllowsMaps() {
        String yaml = TEMPLATE.replace("        resources:\n", """
                        env: [{name: X, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
                        ports: [{containerPort: 8080, name: http}]
                        readinessProbe: {httpGet: {path: /, port: http}}
                        resources:
                          requests: {nvidia.com/gpu: "1", ephemeral-storage: 1Gi}
                """);
        SandboxTemplate t = (SandboxTemplate) Resources.parseAll(yaml).get(0);
        var c = t.getSpec().getPodTemplate().getSpec().getContainers().get(0);
        assertThat(c.getResources().getRequests()).containsKeys("nvidia.com/gpu", "ephemeral-storage");
        assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(t.getMetadata().getLabels()).containsEntry("example.com/team", "agents");
        assertThat(t.getSpec().getPodTemplate().getMetadata().getAnnotations()).containsKey("anything.example.com/goes");
    }

    @Test
    void rejectsATemplateStatusBecauseTemplatesHaveNone() {
        assertThatThrownBy(() -> Resources.parseAll(TEMPLATE + "status:\n  ready: true\n"))
                .isInstanceOf(InvalidException.class).hasMessageContaining("status: unknown field");
    }

    @Test
    void rejectsUnsupportedEnumValuesListingTheAllowedOnes() {
        assertThatThrownBy(() -> Resources.parseAll(POOL_AND_CLAIM.replace("type: Recreate", "type: Rolling")))
                .isInstanceOf(InvalidException.class)
                .satisfies(e -> assertThat(((InvalidException) e).errors()).singleElement()
                        .isEqualTo(new FieldError("spec.updateStrategy.type", "unsupported value \"Rolling\": must be one of OnReplenish, Recreate (document 1)")));
    }

    @Test
    void rejectsValuesOfTheWrongTypeWithTheirPath() {
        assertThatThrownBy(() -> Resources.parseAll(POOL_AND_CLAIM.replace("replicas: 3", "replicas: three")))
                .isInstanceOf(InvalidException.class)
                .satisfies(e -> assertThat(((InvalidException) e).errors()).singleElement()
                        .satisfies(fe -> {
                            assertThat(fe.field()).isEqualTo("spec.replicas");
                            assertThat(fe.message()).contains("expected an integer");
                        }));
    }

    @Test
    void parseOfOneClassFillsOrChecksApiVersionAndKind() {
        SandboxWarmPool p = Resources.parse("metadata: {name: p}\nspec: {replicas: 1, sandboxTemplateRef: {name: t}}\n", SandboxWarmPool.class);
        assertThat(p.getApiVersion()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThatThrownBy(() -> Resources.parse(TEMPLATE, SandboxWarmPool.class))
                .isInstanceOf(InvalidException.class).hasMessageContaining("SandboxTemplate given where a SandboxWarmPool is expected");
    }

    @Test
    void emptyInputIsAnError() {
        assertThatThrownBy(() -> Resources.parseAll("  \n")).isInstanceOf(InvalidException.class).hasMessageContaining("empty");
    }
}
