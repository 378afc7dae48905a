package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Where snapshots are stored: exactly one of {@code gcs} (GKE) or {@code local} (agentbox). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"gcs", "local"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class SnapshotStorageConfig {
    private GcsStorage gcs;
    private LocalStorage local;
}
