package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** A Cloud Storage location for snapshots (GKE {@code snapshotStorageConfig.gcs}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"bucket", "path", "tokenSource"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class GcsStorage {
    /** Bucket name (required). */
    private String bucket;
    /** Child directory within the bucket (optional). */
    private String path;
    /** How GKE authenticates to the bucket, e.g. federatedP4SA (optional). */
    private String tokenSource;
}
