package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Observed state of a {@link SandboxWarmPool} (upstream {@code SandboxWarmPoolStatus}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"replicas", "readyReplicas", "selector"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class SandboxWarmPoolStatus {
    /** Members in the pool (ready or not). */
    @StatusReplicas
    private int replicas;
    /** Members whose Ready condition is True. */
    private int readyReplicas;
    /** Label selector of the pool's members. */
    @LabelSelector
    private String selector;

    @Override
    public String toString() {
        return "SandboxWarmPoolStatus{replicas=" + replicas + ", readyReplicas=" + readyReplicas + ", selector=" + selector + "}";
    }
}
