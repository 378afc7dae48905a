package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.snapshot.v1.LocalStorageStatus;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTriggerStatus;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotStatus;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import dev.agentbox.api.snapshot.v1.PostCheckpoint;
import dev.agentbox.api.snapshot.v1.SnapshotDurations;
import dev.agentbox.api.snapshot.v1.SnapshotRef;
import dev.agentbox.api.snapshot.v1.SnapshotStorageStatus;
import dev.agentbox.api.snapshot.v1.TriggerType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotKindsTest {
    /** GKE's documented shapes (docs.cloud.google.com/kubernetes-engine/docs/reference/crds/podsnapshot). */
    static final String GKE = """
            apiVersion: podsnapshot.gke.io/v1
            kind: PodSnapshotStorageConfig
            metadata:
              name: cpu-pssc-gcs
            spec:
              snapshotStorageConfig:
                gcs:
                  bucket: "my-snapshots-bucket"
                  path: "snapshots"
                  tokenSource: federatedP4SA
            ---
            apiVersion: podsnapshot.gke.io/v1
            kind: PodSnapshotPolicy
            metadata:
              name: cpu-psp
              namespace: my-namespace
            spec:
              storageConfigName: cpu-pssc-gcs
              selector:
                matchLabels:
                  app: agent-sandbox-workload
              triggerConfig:
                type: manual
                postCheckpoint: resume
              retentionConfig:
                lastAccessTimeout: 1d12h
              snapshotGroupingRules:
                groupByLabelValue:
                  labels: ["agents.x-k8s.io/sandbox-name-hash"]
                  groupRetentionPolicy:
                    maxSnapshotCountPerGroup: 3
            ---
            apiVersion: podsnapshot.gke.io/v1
            kind: PodSnapshotManualTrigger
            metadata:
              name: snap-20250101-000000-abcdef12
              namespace: my-namespace
            spec:
              targetPod: my-sandbox
            ---
            apiVersion: podsnapshot.gke.io/v1
            kind: PodSnapshot
            metadata:
              name: ps-1
              namespace: my-namespace
              annotations:
                podsnapshot.gke.io/origin-pod: my-sandbox
            spec:
              policyName: cpu-psp
            status:
              lastAccessTime: "2025-01-01T00:00:00Z"
              observedCheckpointRetryCount: 0
              storageStatus:
                gcs:
                  observedGCSPath: gs://my-snapshots-bucket/snapshots/ps-1
            """;

    @Test
    void gkeManifestsParseIntoTheSnapshotKindsAndValidate() {
        List<HasMetadata> objects = Resources.parseAll(GKE);
        assertThat(objects).extracting(HasMetadata::getKind)
                .containsExactly("PodSnapshotStorageConfig", "PodSnapshotPolicy", "PodSnapshotManualTrigger", "PodSnapshot");
        for (HasMetadata o : objects) assertThatCode(() -> Validation.check(o)).as(o.getKind()).doesNotThrowAnyException();
        PodSnapshotPolicy policy = (PodSnapshotPolicy) objects.get(1);
        assertThat(policy.getSpec().getTriggerConfig().getType()).isEqualTo(TriggerType.MANUAL);
        assertThat(policy.getSpec().getTriggerConfig().effectivePostCheckpoint()).isEqualTo(PostCheckpoint.RESUME);
        assertThat(policy.getSpec().getRetentionConfig().lastAccessTimeoutDuration()).isEqualTo(Duration.ofHours(36));
        assertThat(policy.getSpec().getSnapshotGroupingRules().getGroupByLabelValue().getGroupRetentionPolicy().getMaxSnapshotCountPerGroup()).isEqualTo(3);
        PodSnapshot snapshot = (PodSnapshot) objects.get(3);
        assertThat(snapshot.getStatus().getStorageStatus().getGcs().getObservedGCSPath()).endsWith("ps-1");
        assertThat(snapshot.getMetadata().getAnnotations()).containsKey(Names.ORIGIN_POD_ANNOTATION);
    }

    @Test
    void theStorageConfigIsClusterScopedAndTheOthersAreNamespaced() {
        assertThat(ResourceKinds.forClass(PodSnapshotStorageConfig.class).namespaced()).isFalse();
        assertThat(ResourceKinds.forClass(PodSnapshotPolicy.class).namespaced()).isTrue();
        assertThat(ResourceKinds.byPlural("podsnapshot.gke.io", "v1", "podsnapshotpolicies")).isPresent();
        assertThat(ResourceKinds.forClass(PodSnapshot.class).apiVersion()).isEqualTo("podsnapshot.gke.io/v1");
    }

    @Test
    void snapshotStatusesRoundTripWithAgentboxFields() {
        PodSnapshot s = (PodSnapshot) Resources.parseAll(GKE).get(3);
        PodSnapshotStatus status = s.getStatus();
        status.setStorageStatus(new SnapshotStorageStatus(null, new LocalStorageStatus("/var/lib/agentbox/snapshots/ps-1")));
        status.setSizeBytes(4_194_304L);
        status.setSourceSandbox("my-sandbox");
        status.setTemplateHash("0123456789abcdef");
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.TRUE, "SnapshotReady", "stored", 1L), Instant.EPOCH);
        assertThat(Resources.parseAll(Resources.toYaml(s))).singleElement().isEqualTo(s);

        PodSnapshotManualTrigger t = (PodSnapshotManualTrigger) Resources.parseAll(GKE).get(2);
        PodSnapshotManualTriggerStatus ts = new PodSnapshotManualTriggerStatus();
        ts.setSnapshotCreated(new SnapshotRef("ps-1"));
        Conditions.set(ts, Conditions.of(Conditions.TRIGGERED, Conditions.TRUE, Conditions.REASON_COMPLETE, "checkpoint taken", 1L), Instant.EPOCH);
        t.setStatus(ts);
        String json = Resources.toJson(t);
        assertThat(json).contains("\"snapshotCreated\":{\"name\":\"ps-1\"}");
        assertThat(Resources.parseAll(json)).singleElement().isEqualTo(t);
    }

    @Test
    void invalidSnapshotObjectsNameEveryBadField() {
        String bad = """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotPolicy
                metadata: {name: p}
                spec:
                  selector:
                    matchExpressions: [{key: app, operator: Has}]
                  triggerConfig: {}
                  retentionConfig: {lastAccessTimeout: 3weeks}
                  snapshotGroupingRules:
                    groupByLabelValue:
                      labels: []
                      groupRetentionPolicy: {maxSnapshotCountPerGroup: -1}
                """;
        assertThat(Validation.errors(Resources.parseAll(bad).get(0))).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.selector.matchExpressions[0].operator", "spec.storageConfigName", "spec.triggerConfig.type",
                "spec.retentionConfig.lastAccessTimeout", "spec.snapshotGroupingRules.groupByLabelValue.labels",
                "spec.snapshotGroupingRules.groupByLabelValue.groupRetentionPolicy.maxSnapshotCountPerGroup");
        String storage = """
                apiVersion: podsnapshot.gke.io/v1
                kind: PodSnapshotStorageConfig
                metadata: {name: s}
                spec: {snapshotStorageConfig: {gcs: {path: x}, local: {path: relative/dir}}}
                """;
        assertThat(Validation.errors(Resources.parseAll(storage).get(0))).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.snapshotStorageConfig", "spec.snapshotStorageConfig.gcs.bucket", "spec.snapshotStorageConfig.local.path");
        String trigger = "apiVersion: podsnapshot.gke.io/v1\nkind: PodSnapshotManualTrigger\nmetadata: {name: t}\nspec: {}\n";
        assertThatThrownBy(() -> Validation.check(Resources.parseAll(trigger).get(0))).isInstanceOf(InvalidException.class)
                .hasMessageStartingWith("spec.targetPod: required");
        String snapshot = "apiVersion: podsnapshot.gke.io/v1\nkind: PodSnapshot\nmetadata: {name: s}\nspec: {}\n";
        assertThat(Validation.errors(Resources.parseAll(snapshot).get(0))).extracting(FieldError::field).containsExactly("spec.policyName");
    }

    @Test
    void groupRetentionPolicyAtTheWrongLevelIsAnUnknownField() {
        String wrong = GKE.split("---\n")[1].replace("""
                      groupRetentionPolicy:
                        maxSnapshotCountPerGroup: 3
                """, """
                    groupRetentionPolicy:
                      maxSnapshotCountPerGroup: 3
                """);
        assertThatThrownBy(() -> Resources.parseAll(wrong)).isInstanceOf(InvalidException.class)
                .hasMessageContaining("spec.snapshotGroupingRules.groupRetentionPolicy: unknown field");
    }

    @Test
    void triggerTypesAreTheGkeStrings() {
        assertThatThrownBy(() -> Resources.parseAll(GKE.replace("type: manual", "type: Manual")))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("spec.triggerConfig.type: unsupported value \"Manual\": must be one of manual, workload");
    }

    @Test
    void retentionDurationsUseGkeUnits() {
        assertThat(SnapshotDurations.parse("30min")).isEqualTo(Duration.ofMinutes(30));
        assertThat(SnapshotDurations.parse("1y")).isEqualTo(Duration.ofDays(365));
        assertThat(SnapshotDurations.parse("2mo")).isEqualTo(Duration.ofDays(60));
        assertThatThrownBy(() -> SnapshotDurations.parse("10s")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y, mo, d, h or min");
    }

    @Test
    void theSnapshotExamplesParseAndValidate() throws Exception {
        for (String file : List.of("snapshot-policy.yaml", "snapshot-trigger.yaml")) {
            for (HasMetadata o : Resources.parseAll(Files.readString(Path.of("..", "examples", file)))) {
                assertThatCode(() -> Validation.check(o)).as(file).doesNotThrowAnyException();
            }
        }
    }
}
