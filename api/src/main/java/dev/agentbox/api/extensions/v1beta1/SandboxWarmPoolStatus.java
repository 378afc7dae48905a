package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/**
 * Observed state of a {@link SandboxWarmPool} (upstream {@code SandboxWarmPoolStatus}), plus agentbox's optional
 * {@code conditions} (ReplicaFailure when a member cannot be created, e.g. over a quota).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"replicas", "readyReplicas", "selector", "observedGeneration", "conditions"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxWarmPoolStatus implements HasConditions {
    /** Members in the pool (ready or not). */
    @StatusReplicas
    private int replicas;
    /** Members whose Ready condition is True. */
    private int readyReplicas;
    /** Label selector of the pool's members. */
    @LabelSelector
    private String selector;
    /** The pool's metadata.generation this status was computed from (upstream, kubernetes-sigs/agent-sandbox#1328). */
    private Long observedGeneration;
    /** agentbox: ReplicaFailure (reason FailedCreate) while a member cannot be created; absent otherwise. */
    private List<Condition> conditions;

    public SandboxWarmPoolStatus(int replicas, int readyReplicas, String selector, List<Condition> conditions) {
        this.replicas = replicas;
        this.readyReplicas = readyReplicas;
        this.selector = selector;
        this.conditions = conditions;
    }

    public SandboxWarmPoolStatus(int replicas, int readyReplicas, String selector) {
        this(replicas, readyReplicas, selector, null);
    }

    @Override
    public String toString() {
        return "SandboxWarmPoolStatus{replicas=" + replicas + ", readyReplicas=" + readyReplicas + ", selector=" + selector + ", observedGeneration=" + observedGeneration + ", conditions=" + conditions + "}";
    }
}
