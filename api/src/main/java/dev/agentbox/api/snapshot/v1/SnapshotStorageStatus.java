package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Where a snapshot's data resides ({@code status.storageStatus}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"gcs", "local"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class SnapshotStorageStatus {
    private GcsStorageStatus gcs;
    private LocalStorageStatus local;
}
