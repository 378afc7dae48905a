package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.Objects;

/** Desired state of a {@link SandboxWarmPool} (upstream {@code SandboxWarmPoolSpec}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"replicas", "sandboxTemplateRef", "updateStrategy"})
public class SandboxWarmPoolSpec {
    /** Replicas when the field is omitted. */
    public static final int DEFAULT_REPLICAS = 1;

    @SpecReplicas
    private Integer replicas;
    private SandboxTemplateRef sandboxTemplateRef;
    private WarmPoolUpdateStrategy updateStrategy;

    public SandboxWarmPoolSpec() {
    }

    public SandboxWarmPoolSpec(Integer replicas, SandboxTemplateRef sandboxTemplateRef) {
        this.replicas = replicas;
        this.sandboxTemplateRef = sandboxTemplateRef;
    }

    /** {@code replicas}, or {@value #DEFAULT_REPLICAS} when omitted. */
    @JsonIgnore
    public int effectiveReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public SandboxTemplateRef getSandboxTemplateRef() {
        return sandboxTemplateRef;
    }

    public void setSandboxTemplateRef(SandboxTemplateRef sandboxTemplateRef) {
        this.sandboxTemplateRef = sandboxTemplateRef;
    }

    public WarmPoolUpdateStrategy getUpdateStrategy() {
        return updateStrategy;
    }

    public void setUpdateStrategy(WarmPoolUpdateStrategy updateStrategy) {
        this.updateStrategy = updateStrategy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxWarmPoolSpec s && Objects.equals(replicas, s.replicas)
                && Objects.equals(sandboxTemplateRef, s.sandboxTemplateRef) && Objects.equals(updateStrategy, s.updateStrategy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(replicas, sandboxTemplateRef, updateStrategy);
    }
}
