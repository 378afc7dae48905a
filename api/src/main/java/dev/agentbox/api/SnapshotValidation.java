package dev.agentbox.api;

import dev.agentbox.api.snapshot.v1.GroupByLabelValue;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicySpec;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import dev.agentbox.api.snapshot.v1.SnapshotDurations;
import dev.agentbox.api.snapshot.v1.SnapshotStorageConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Set;

/** Validation of the Pod Snapshot kinds (podsnapshot.gke.io/v1), following GKE's CRD reference. */
final class SnapshotValidation {
    private static final Set<String> OPERATORS = Set.of("In", "NotIn", "Exists", "DoesNotExist");

    private SnapshotValidation() {
    }

    static void check(HasMetadata object, List<FieldError> errors) {
        switch (object) {
            case PodSnapshotStorageConfig c -> storageConfig(c, errors);
            case PodSnapshotPolicy p -> policy(p.getSpec(), errors);
            case PodSnapshotManualTrigger t -> {
                if (t.getSpec() == null || Validation.blank(t.getSpec().getTargetPod())) {
                    errors.add(new FieldError("spec.targetPod", "required: name the pod to snapshot (locally, the Sandbox's name)"));
                } else {
                    Validation.dnsSubdomain("spec.targetPod", t.getSpec().getTargetPod(), errors);
                }
            }
            case PodSnapshot s -> {
                if (s.getSpec() == null || Validation.blank(s.getSpec().getPolicyName())) {
                    errors.add(new FieldError("spec.policyName", "required: name the PodSnapshotPolicy that governs this snapshot"));
                }
            }
            default -> errors.add(new FieldError("kind", object.getKind() + " is not a kind agentbox serves"));
        }
    }

    private static void storageConfig(PodSnapshotStorageConfig c, List<FieldError> errors) {
        SnapshotStorageConfig s = c.getSpec() == null ? null : c.getSpec().getSnapshotStorageConfig();
        if (s == null || (s.getGcs() == null && s.getLocal() == null)) {
            errors.add(new FieldError("spec.snapshotStorageConfig", "required: set gcs {bucket, path} or, on agentboxd, local {path}"));
            return;
        }
        if (s.getGcs() != null && s.getLocal() != null) {
            errors.add(new FieldError("spec.snapshotStorageConfig", "set exactly one of gcs or local, not both"));
        }
        if (s.getGcs() != null) {
            String bucket = s.getGcs().getBucket();
            if (Validation.blank(bucket)) {
                errors.add(new FieldError("spec.snapshotStorageConfig.gcs.bucket", "required: the Cloud Storage bucket name"));
            } else if (!bucket.matches("[a-z0-9][-a-z0-9_.]{1,220}[a-z0-9]")) {
                errors.add(new FieldError("spec.snapshotStorageConfig.gcs.bucket", "invalid bucket name \"" + bucket
                        + "\": use 3-222 lower-case letters, digits, '-', '_' and '.', starting and ending with a letter or digit"));
            }
        }
        if (s.getLocal() != null) {
            String path = s.getLocal().getPath();
            if (Validation.blank(path)) {
                errors.add(new FieldError("spec.snapshotStorageConfig.local.path", "required: an absolute directory on the agentboxd host, e.g. /var/lib/agentbox/snapshots"));
            } else if (!path.startsWith("/") || path.contains("/../") || path.endsWith("/..") || path.contains("\0")) {
                errors.add(new FieldError("spec.snapshotStorageConfig.local.path", "must be an absolute path without '..', got " + path));
            }
        }
    }

    private static void policy(PodSnapshotPolicySpec spec, List<FieldError> errors) {
        if (spec == null) {
            errors.add(new FieldError("spec", "required: give selector, storageConfigName and triggerConfig"));
            return;
        }
        selector("spec.selector", spec.getSelector(), errors);
        if (Validation.blank(spec.getStorageConfigName())) {
            errors.add(new FieldError("spec.storageConfigName", "required: name the PodSnapshotStorageConfig that says where snapshots go"));
        } else {
            Validation.dnsSubdomain("spec.storageConfigName", spec.getStorageConfigName(), errors);
        }
        if (spec.getTriggerConfig() == null || spec.getTriggerConfig().getType() == null) {
            errors.add(new FieldError("spec.triggerConfig.type", "required: manual (PodSnapshotManualTrigger) or workload (the sandbox asks)"));
        }
        if (spec.getRetentionConfig() != null) {
            String timeout = spec.getRetentionConfig().getLastAccessTimeout();
            if (Validation.blank(timeout)) {
                errors.add(new FieldError("spec.retentionConfig.lastAccessTimeout", "required when retentionConfig is set, e.g. 7d"));
            } else {
                try {
                    SnapshotDurations.parse(timeout);
                } catch (IllegalArgumentException e) {
                    errors.add(new FieldError("spec.retentionConfig.lastAccessTimeout", e.getMessage()));
                }
            }
        }
        if (spec.getSnapshotGroupingRules() != null) {
            GroupByLabelValue g = spec.getSnapshotGroupingRules().getGroupByLabelValue();
            String p = "spec.snapshotGroupingRules.groupByLabelValue";
            if (g == null) {
                errors.add(new FieldError(p, "required when snapshotGroupingRules is set: give labels"));
                return;
            }
            if (g.getLabels() == null || g.getLabels().isEmpty()) {
                errors.add(new FieldError(p + ".labels", "required: the pod labels that group snapshots, e.g. [agents.x-k8s.io/sandbox-name-hash]"));
            } else {
                for (int i = 0; i < g.getLabels().size(); i++) {
                    String label = g.getLabels().get(i);
                    if (Validation.blank(label)) errors.add(new FieldError(p + ".labels[" + i + "]", "must not be empty"));
                    else Validation.labels(p + ".labels[" + i + "]", java.util.Map.of(label, ""), errors);
                }
            }
            if (g.getGroupRetentionPolicy() != null) {
                Integer max = g.getGroupRetentionPolicy().getMaxSnapshotCountPerGroup();
                if (max == null) {
                    errors.add(new FieldError(p + ".groupRetentionPolicy.maxSnapshotCountPerGroup", "required: how many snapshots each group keeps (0 = no limit)"));
                } else if (max < 0) {
                    errors.add(new FieldError(p + ".groupRetentionPolicy.maxSnapshotCountPerGroup", "must be >= 0 (0 = no limit), got " + max));
                }
            }
        }
    }

    private static void selector(String path, LabelSelector selector, List<FieldError> errors) {
        if (selector == null) {
            errors.add(new FieldError(path, "required: select the sandboxes' pods by label, e.g. matchLabels: {app: python-sandbox}"));
            return;
        }
        Validation.labels(path + ".matchLabels", selector.getMatchLabels(), errors);
        List<LabelSelectorRequirement> exprs = selector.getMatchExpressions();
        if (exprs == null) return;
        for (int i = 0; i < exprs.size(); i++) {
            LabelSelectorRequirement r = exprs.get(i);
            String p = path + ".matchExpressions[" + i + "]";
            if (Validation.blank(r.getKey())) errors.add(new FieldError(p + ".key", "required"));
            if (r.getOperator() == null || !OPERATORS.contains(r.getOperator())) {
                errors.add(new FieldError(p + ".operator", "unsupported value \"" + r.getOperator() + "\": must be one of In, NotIn, Exists, DoesNotExist"));
                continue;
            }
            boolean hasValues = r.getValues() != null && !r.getValues().isEmpty();
            if ((r.getOperator().equals("In") || r.getOperator().equals("NotIn")) && !hasValues) {
                errors.add(new FieldError(p + ".values", "required and non-empty for operator " + r.getOperator()));
            }
            if ((r.getOperator().equals("Exists") || r.getOperator().equals("DoesNotExist")) && hasValues) {
                errors.add(new FieldError(p + ".values", "must be empty for operator " + r.getOperator()));
            }
        }
    }
}
