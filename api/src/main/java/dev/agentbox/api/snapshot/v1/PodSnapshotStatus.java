package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Observed state of a {@link PodSnapshot}: GKE's fields plus agentbox's optional sizeBytes, sourceSandbox, sourcePod and templateHash. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"conditions", "observedGeneration", "lastAccessTime", "observedCheckpointRetryCount", "storageStatus", "sizeBytes", "sourceSandbox", "sourcePod", "templateHash"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class PodSnapshotStatus implements HasConditions {
    private List<Condition> conditions;
    /** The most recent generation observed by the controller. */
    private Long observedGeneration;
    /** RFC 3339 time this snapshot last restored a pod. */
    private String lastAccessTime;
    /** The current retry attempt of the checkpoint. */
    private Integer observedCheckpointRetryCount;
    private SnapshotStorageStatus storageStatus;
    /** agentbox: size of the snapshot image in bytes. */
    private Long sizeBytes;
    /** agentbox: the Sandbox the snapshot was taken from. */
    private String sourceSandbox;
    /** agentbox: the pod the snapshot was taken from (GKE records it in the podsnapshot.gke.io/origin-pod annotation). */
    private String sourcePod;
    /** agentbox: pod template hash of the source (see Hashing#podTemplateHash); restores require a match. */
    private String templateHash;
}
