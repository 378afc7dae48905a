package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** agentbox extension: where a snapshot lives on the agentboxd host. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedPath"})
public class LocalStorageStatus {
    private String observedPath;

    public LocalStorageStatus() {
    }

    public LocalStorageStatus(String observedPath) {
        this.observedPath = observedPath;
    }

    public String getObservedPath() {
        return observedPath;
    }

    public void setObservedPath(String observedPath) {
        this.observedPath = observedPath;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocalStorageStatus other
                && Objects.equals(observedPath, other.observedPath);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedPath);
    }
}
