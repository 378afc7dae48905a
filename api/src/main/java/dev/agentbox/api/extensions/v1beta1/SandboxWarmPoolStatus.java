package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.Objects;

/** Observed state of a {@link SandboxWarmPool} (upstream {@code SandboxWarmPoolStatus}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"replicas", "readyReplicas", "selector"})
public class SandboxWarmPoolStatus {
    @StatusReplicas
    private int replicas;
    private int readyReplicas;
    @LabelSelector
    private String selector;

    public SandboxWarmPoolStatus() {
    }

    public SandboxWarmPoolStatus(int replicas, int readyReplicas, String selector) {
        this.replicas = replicas;
        this.readyReplicas = readyReplicas;
        this.selector = selector;
    }

    /** Members in the pool (ready or not). */
    public int getReplicas() {
        return replicas;
    }

    public void setReplicas(int replicas) {
        this.replicas = replicas;
    }

    /** Members whose Ready condition is True. */
    public int getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(int readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    /** Label selector of the pool's members. */
    public String getSelector() {
        return selector;
    }

    public void setSelector(String selector) {
        this.selector = selector;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxWarmPoolStatus s && replicas == s.replicas && readyReplicas == s.readyReplicas
                && Objects.equals(selector, s.selector);
    }

    @Override
    public int hashCode() {
        return Objects.hash(replicas, readyReplicas, selector);
    }

    @Override
    public String toString() {
        return "SandboxWarmPoolStatus{replicas=" + replicas + ", readyReplicas=" + readyReplicas + ", selector=" + selector + "}";
    }
}
