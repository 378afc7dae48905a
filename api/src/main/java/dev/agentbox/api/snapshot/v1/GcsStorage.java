package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** A Cloud Storage location for snapshots (GKE {@code snapshotStorageConfig.gcs}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"bucket", "path", "tokenSource"})
public class GcsStorage {
    private String bucket;
    private String path;
    private String tokenSource;

    public GcsStorage() {
    }

    public GcsStorage(String bucket, String path, String tokenSource) {
        this.bucket = bucket;
        this.path = path;
        this.tokenSource = tokenSource;
    }

    /** Bucket name (required). */
    public String getBucket() {
        return bucket;
    }

    public void setBucket(String bucket) {
        this.bucket = bucket;
    }

    /** Child directory within the bucket (optional). */
    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    /** How GKE authenticates to the bucket, e.g. federatedP4SA (optional). */
    public String getTokenSource() {
        return tokenSource;
    }

    public void setTokenSource(String tokenSource) {
        this.tokenSource = tokenSource;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GcsStorage other
                && Objects.equals(bucket, other.bucket)
                && Objects.equals(path, other.path)
                && Objects.equals(tokenSource, other.tokenSource);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bucket, path, tokenSource);
    }
}
