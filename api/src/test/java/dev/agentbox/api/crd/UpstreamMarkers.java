package dev.agentbox.api.crd;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Adds to the generated CRDs what upstream's kubebuilder markers add and the Java field types cannot say:
 * required fields, {@code format: date-time} on times, defaults, minimums, the metav1.Condition required list, and
 * kubectl printer columns (agentboxd's Table output and the operator's CRDs show the same). The api classes stay free of
 * generator annotations.
 */
final class UpstreamMarkers implements CRDPostProcessor {

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        CustomResourceDefinition c = (CustomResourceDefinition) crd;
        for (CustomResourceDefinitionVersion v : c.getSpec().getVersions()) {
            JSONSchemaProps root = v.getSchema().getOpenAPIV3Schema();
            require(root, "spec");
            JSONSchemaProps status = root.getProperties().get("status");
            if (status != null && status.getProperties() != null && status.getProperties().containsKey("conditions")) {
                JSONSchemaProps item = status.getProperties().get("conditions").getItems().getSchema();
                item.setRequired(List.of("lastTransitionTime", "message", "reason", "status", "type"));
                item.getProperties().get("lastTransitionTime").setFormat("date-time");
                item.getProperties().get("status").setEnum(List.of(new TextNode("True"), new TextNode("False"), new TextNode("Unknown")));
            }
            switch (c.getSpec().getNames().getKind()) {
                case "Sandbox" -> {
                    JSONSchemaProps spec = at(root, "spec");
                    require(spec, "podTemplate");
                    at(spec, "shutdownTime").setFormat("date-time");
                    at(spec, "shutdownPolicy").setDefault(new TextNode("Retain"));
                    at(spec, "operatingMode").setDefault(new TextNode("Running"));
                    require(at(spec, "podTemplate"), "spec");
                    require(at(spec, "volumeClaimTemplates").getItems().getSchema(), "spec");
                    v.setAdditionalPrinterColumns(columns(readyColumn(), reasonColumn(), column("Age", "date", ".metadata.creationTimestamp")));
                }
                case "SandboxTemplate" -> {
                    // upstream's SandboxTemplate has no status (the Java class's status type is Void)
                    root.getProperties().remove("status");
                    v.setSubresources(null);
                    JSONSchemaProps spec = at(root, "spec");
                    require(spec, "podTemplate");
                    require(at(spec, "podTemplate"), "spec");
                    require(at(spec, "volumeClaimTemplates").getItems().getSchema(), "spec");
                    at(spec, "networkPolicyManagement").setDefault(new TextNode("Managed"));
                    at(spec, "envVarsInjectionPolicy").setDefault(new TextNode("Disallowed"));
                    at(spec, "volumeClaimTemplatesPolicy").setDefault(new TextNode("Disallowed"));
                    at(spec, "volumeClaimTemplatesPolicy").setDefault(new TextNode("Disallowed"));
                    v.setAdditionalPrinterColumns(columns(column("Age", "date", ".metadata.creationTimestamp")));
                }
                case "SandboxClaim" -> {
                    JSONSchemaProps spec = at(root, "spec");
                    require(spec, "warmPoolRef");
                    require(at(spec, "warmPoolRef"), "name");
                    JSONSchemaProps lifecycle = at(spec, "lifecycle");
                    at(lifecycle, "shutdownTime").setFormat("date-time");
                    at(lifecycle, "shutdownPolicy").setDefault(new TextNode("Retain"));
                    at(lifecycle, "ttlSecondsAfterFinished").setMinimum(0.0);
                    require(at(spec, "env").getItems().getSchema(), "name", "value");
                    require(at(spec, "volumeClaimTemplates").getItems().getSchema(), "spec");
                    require(at(spec, "volumeClaimTemplates").getItems().getSchema(), "spec");
                    v.setAdditionalPrinterColumns(columns(column("Sandbox", "string", ".status.sandbox.name"), readyColumn(),
                            reasonColumn(), column("Age", "date", ".metadata.creationTimestamp")));
                }
                case "SandboxWarmPool" -> {
                    JSONSchemaProps spec = at(root, "spec");
                    require(spec, "sandboxTemplateRef");
                    require(at(spec, "sandboxTemplateRef"), "name");
                    at(spec, "replicas").setMinimum(0.0);
                    at(spec, "updateStrategy", "type").setDefault(new TextNode("OnReplenish"));
                    at(spec, "readinessGracePeriodSeconds").setMinimum(1.0);
                    at(root, "status", "observedGeneration").setMinimum(0.0); // upstream: int64, Minimum=0
                    at(spec, "readinessGracePeriodSeconds").setMinimum(1.0);
                    at(root, "status", "observedGeneration").setMinimum(0.0); // upstream: int64, Minimum=0
                    v.setAdditionalPrinterColumns(columns(column("Desired", "integer", ".spec.replicas"),
                            column("Ready", "integer", ".status.readyReplicas"), column("Age", "date", ".metadata.creationTimestamp")));
                }
                // agentbox's columns for the Pod Snapshot kinds (their upstream CRDs come with GKE)
                case "PodSnapshotStorageConfig", "PodSnapshotPolicy" -> v.setAdditionalPrinterColumns(columns(readyColumn(),
                        column("Age", "date", ".metadata.creationTimestamp")));
                case "PodSnapshotManualTrigger" -> v.setAdditionalPrinterColumns(columns(column("Pod", "string", ".spec.targetPod"),
                        conditionColumn("Triggered"), column("Snapshot", "string", ".status.snapshotCreated.name"),
                        column("Age", "date", ".metadata.creationTimestamp")));
                case "PodSnapshot" -> v.setAdditionalPrinterColumns(columns(column("Policy", "string", ".spec.policyName"), readyColumn(),
                        reasonColumn(), withPriority(column("Sandbox", "string", ".status.sourceSandbox"), 1),
                        column("Age", "date", ".metadata.creationTimestamp")));
                default -> {
                }
            }
        }
        return crd;
    }

    private static JSONSchemaProps at(JSONSchemaProps schema, String... path) {
        JSONSchemaProps s = schema;
        for (String p : path) {
            s = s.getProperties().get(p);
            if (s == null) throw new IllegalStateException("no property " + String.join(".", path) + " in the generated schema");
        }
        return s;
    }

    private static void require(JSONSchemaProps schema, String... fields) {
        List<String> req = new ArrayList<>(schema.getRequired() == null ? List.of() : schema.getRequired());
        for (String f : fields) if (!req.contains(f)) req.add(f);
        schema.setRequired(req);
    }

    private static CustomResourceColumnDefinition readyColumn() {
        return conditionColumn("Ready");
    }

    private static CustomResourceColumnDefinition conditionColumn(String type) {
        return column(type, "string", ".status.conditions[?(@.type==\"" + type + "\")].status");
    }

    /** The Ready condition's reason, in {@code kubectl get -o wide} (priority 1). */
    private static CustomResourceColumnDefinition reasonColumn() {
        return withPriority(column("Reason", "string", ".status.conditions[?(@.type==\"Ready\")].reason"), 1);
    }

    private static CustomResourceColumnDefinition withPriority(CustomResourceColumnDefinition c, int priority) {
        c.setPriority(priority);
        return c;
    }

    private static CustomResourceColumnDefinition column(String name, String type, String path) {
        return new CustomResourceColumnDefinitionBuilder().withName(name).withType(type).withJsonPath(path).build();
    }

    private static List<CustomResourceColumnDefinition> columns(CustomResourceColumnDefinition... cols) {
        return List.of(cols);
    }
}
