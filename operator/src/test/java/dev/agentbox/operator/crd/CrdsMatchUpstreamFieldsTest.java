package dev.agentbox.operator.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Field names, types, enums, defaults and subresources of the generated CRDs against upstream's v1beta1 Go types
 * (kubernetes-sigs/agent-sandbox api/v1beta1/sandbox_types.go, extensions/api/v1beta1/sandbox{template,claim,warmpool}_types.go),
 * transcribed here path by path.
 */
class CrdsMatchUpstreamFieldsTest {

    private static CustomResourceDefinitionVersion version(String kind) {
        CustomResourceDefinition crd = Crds.loadAll().stream().filter(c -> c.getSpec().getNames().getKind().equals(kind)).findFirst().orElseThrow();
        assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
        assertThat(crd.getSpec().getVersions()).singleElement().satisfies(v -> {
            assertThat(v.getName()).isEqualTo("v1beta1");
            assertThat(v.getServed()).isTrue();
            assertThat(v.getStorage()).isTrue();
        });
        return crd.getSpec().getVersions().get(0);
    }

    private static JSONSchemaProps at(JSONSchemaProps root, String path) {
        JSONSchemaProps s = root;
        for (String p : path.split("\\.")) {
            if (p.equals("[]")) {
                s = s.getItems().getSchema();
                continue;
            }
            assertThat(s.getProperties()).as("%s (at %s)", path, p).containsKey(p);
            s = s.getProperties().get(p);
        }
        return s;
    }

    /** "path type" or "path type enum1,enum2". */
    private static void expect(String kind, List<String> fields) {
        expect(kind, version(kind).getSchema().getOpenAPIV3Schema(), fields);
    }

    private static void expect(String kind, JSONSchemaProps root, List<String> fields) {
        for (String f : fields) {
            String[] p = f.split(" ");
            JSONSchemaProps s = at(root, p[0]);
            assertThat(s.getType()).as("%s %s type", kind, p[0]).isEqualTo(p[1]);
            if (p.length > 2) {
                assertThat(s.getEnum()).as("%s %s enum", kind, p[0]).extracting(com.fasterxml.jackson.databind.JsonNode::asText)
                        .containsExactlyInAnyOrder(p[2].split(","));
            }
        }
    }

    @Test
    void sandbox() {
        expect("Sandbox", List.of(
                "spec.podTemplate object", "spec.podTemplate.spec object", "spec.podTemplate.spec.containers array",
                "spec.podTemplate.spec.runtimeClassName string", "spec.podTemplate.metadata.labels object", "spec.podTemplate.metadata.annotations object",
                "spec.volumeClaimTemplates array", "spec.volumeClaimTemplates.[].metadata.name string", "spec.volumeClaimTemplates.[].spec object",
                "spec.shutdownTime string", "spec.shutdownPolicy string Delete,Retain", "spec.operatingMode string Running,Suspended",
                "spec.service boolean",
                "status.serviceFQDN string", "status.service string", "status.conditions array", "status.conditions.[].type string",
                "status.conditions.[].lastTransitionTime string", "status.selector string", "status.podIPs array", "status.nodeName string"));
        JSONSchemaProps root = version("Sandbox").getSchema().getOpenAPIV3Schema();
        assertThat(at(root, "spec.shutdownTime").getFormat()).isEqualTo("date-time");
        assertThat(at(root, "spec.shutdownPolicy").getDefault().asText()).isEqualTo("Retain");
        assertThat(at(root, "spec.operatingMode").getDefault().asText()).isEqualTo("Running");
        assertThat(at(root, "spec").getRequired()).contains("podTemplate");
        assertThat(version("Sandbox").getSubresources().getStatus()).isNotNull();
    }

    @Test
    void sandboxTemplate() {
        expect("SandboxTemplate", List.of(
                "spec.podTemplate object", "spec.podTemplate.spec object", "spec.volumeClaimTemplates array",
                "spec.networkPolicy.ingress array", "spec.networkPolicy.egress array", "spec.networkPolicy.egress.[].to.[].ipBlock.cidr string",
                "spec.networkPolicyManagement string Managed,Unmanaged", "spec.envVarsInjectionPolicy string Allowed,Overrides,Disallowed",
                "spec.volumeClaimTemplatesPolicy string Disallowed,Allowed,Overrides", "spec.service boolean"));
        JSONSchemaProps root = version("SandboxTemplate").getSchema().getOpenAPIV3Schema();
        assertThat(at(root, "spec.networkPolicyManagement").getDefault().asText()).isEqualTo("Managed");
        assertThat(at(root, "spec.envVarsInjectionPolicy").getDefault().asText()).isEqualTo("Disallowed");
        assertThat(at(root, "spec.volumeClaimTemplatesPolicy").getDefault().asText()).isEqualTo("Disallowed");
        assertThat(root.getProperties().keySet()).doesNotContain("status"); // upstream's template has no status
    }

    @Test
    void sandboxClaim() {
        expect("SandboxClaim", List.of(
                "spec.warmPoolRef.name string", "spec.lifecycle.shutdownTime string", "spec.lifecycle.ttlSecondsAfterFinished integer",
                "spec.lifecycle.shutdownPolicy string Delete,DeleteForeground,Retain",
                "spec.additionalPodMetadata.labels object", "spec.additionalPodMetadata.annotations object",
                "spec.env array", "spec.env.[].name string", "spec.env.[].value string", "spec.env.[].containerName string",
                "spec.volumeClaimTemplates array", "spec.volumeClaimTemplates.[].metadata.name string", "spec.volumeClaimTemplates.[].spec object",
                "spec.volumeClaimTemplates.[].spec.accessModes array",
                "status.conditions array", "status.sandbox.name string", "status.sandbox.podIPs array"));
        JSONSchemaProps root = version("SandboxClaim").getSchema().getOpenAPIV3Schema();
        assertThat(at(root, "spec.volumeClaimTemplates.[]").getRequired()).contains("spec");
        assertThat(at(root, "spec").getRequired()).contains("warmPoolRef");
        assertThat(at(root, "spec.lifecycle.shutdownPolicy").getDefault().asText()).isEqualTo("Retain");
        assertThat(at(root, "spec.lifecycle.ttlSecondsAfterFinished").getMinimum()).isEqualTo(0.0);
    }

    @Test
    void sandboxWarmPool() {
        expect("SandboxWarmPool", List.of(
                "spec.replicas integer", "spec.sandboxTemplateRef.name string", "spec.updateStrategy.type string Recreate,OnReplenish",
                "spec.readinessGracePeriodSeconds integer",
                "status.replicas integer", "status.readyReplicas integer", "status.selector string", "status.observedGeneration integer"));
        var scale = version("SandboxWarmPool").getSubresources().getScale();
        assertThat(scale.getSpecReplicasPath()).isEqualTo(".spec.replicas");
        assertThat(scale.getStatusReplicasPath()).isEqualTo(".status.replicas");
        assertThat(scale.getLabelSelectorPath()).isEqualTo(".status.selector");
        JSONSchemaProps root = version("SandboxWarmPool").getSchema().getOpenAPIV3Schema();
        assertThat(at(root, "spec.updateStrategy.type").getDefault().asText()).isEqualTo("OnReplenish");
        assertThat(at(root, "spec.replicas").getMinimum()).isEqualTo(0.0);
        assertThat(at(root, "status.observedGeneration").getMinimum()).isEqualTo(0.0);
        assertThat(at(root, "spec.readinessGracePeriodSeconds").getMinimum()).isEqualTo(1.0);
    }

    /**
     * The podsnapshot.gke.io CRDs, generated from the same api classes, against GKE's Pod Snapshot CRD reference (v1;
     * PodSnapshotStorageConfig cluster-scoped); agentbox's own additions (snapshotStorageConfig.local, status.sourceSandbox,
     * templateHash, sizeBytes...) are extra fields beside them.
     */
    @Test
    void podSnapshotKinds() {
        for (String kind : List.of("PodSnapshotStorageConfig", "PodSnapshotPolicy", "PodSnapshotManualTrigger", "PodSnapshot")) {
            CustomResourceDefinition crd = Crds.loadAll().stream().filter(c -> c.getSpec().getNames().getKind().equals(kind)).findFirst().orElseThrow();
            assertThat(crd.getSpec().getGroup()).isEqualTo("podsnapshot.gke.io");
            assertThat(crd.getSpec().getScope()).isEqualTo(kind.equals("PodSnapshotStorageConfig") ? "Cluster" : "Namespaced");
            assertThat(crd.getSpec().getVersions()).singleElement().satisfies(v -> {
                assertThat(v.getName()).isEqualTo("v1");
                assertThat(v.getSubresources().getStatus()).isNotNull();
            });
            JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
            expect(kind, root, switch (kind) {
                case "PodSnapshotStorageConfig" -> List.of("spec.snapshotStorageConfig.gcs.bucket string", "spec.snapshotStorageConfig.gcs.path string",
                        "spec.snapshotStorageConfig.local.path string");
                case "PodSnapshotPolicy" -> List.of("spec.storageConfigName string", "spec.selector object", "spec.triggerConfig.type string manual,workload",
                        "spec.triggerConfig.postCheckpoint string resume,stop", "spec.retentionConfig.lastAccessTimeout string",
                        "spec.snapshotGroupingRules.groupByLabelValue.labels array");
                case "PodSnapshotManualTrigger" -> List.of("spec.targetPod string", "status.snapshotCreated.name string", "status.conditions array");
                default -> List.of("spec.policyName string", "status.conditions array", "status.lastAccessTime string");
            });
        }
        assertThat(Crds.SNAPSHOT_KINDS).hasSize(4);
    }
}
