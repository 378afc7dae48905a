package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** agentbox extension: snapshots in a directory on the agentboxd host ({@code snapshotStorageConfig.local}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"path"})
public class LocalStorage {
    private String path;

    public LocalStorage() {
    }

    public LocalStorage(String path) {
        this.path = path;
    }

    /** Absolute host directory that holds the snapshot images (required). */
    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocalStorage other
                && Objects.equals(path, other.path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path);
    }
}
