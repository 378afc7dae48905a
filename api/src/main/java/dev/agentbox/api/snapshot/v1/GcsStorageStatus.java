package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** Where a snapshot lives in Cloud Storage. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedGCSPath"})
public class GcsStorageStatus {
    private String observedGCSPath;

    public GcsStorageStatus() {
    }

    public GcsStorageStatus(String observedGCSPath) {
        this.observedGCSPath = observedGCSPath;
    }

    public String getObservedGCSPath() {
        return observedGCSPath;
    }

    public void setObservedGCSPath(String observedGCSPath) {
        this.observedGCSPath = observedGCSPath;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GcsStorageStatus other
                && Objects.equals(observedGCSPath, other.observedGCSPath);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGCSPath);
    }
}
