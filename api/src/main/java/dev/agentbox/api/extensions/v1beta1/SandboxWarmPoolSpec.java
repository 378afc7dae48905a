package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Desired state of a {@link SandboxWarmPool} (upstream {@code SandboxWarmPoolSpec}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"replicas", "sandboxTemplateRef", "updateStrategy"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxWarmPoolSpec {
    /** Replicas when the field is omitted. */
    public static final int DEFAULT_REPLICAS = 1;

    @SpecReplicas
    private Integer replicas;
    private SandboxTemplateRef sandboxTemplateRef;
    private WarmPoolUpdateStrategy updateStrategy;

    public SandboxWarmPoolSpec(Integer replicas, SandboxTemplateRef sandboxTemplateRef) {
        this.replicas = replicas;
        this.sandboxTemplateRef = sandboxTemplateRef;
    }

    /** {@code replicas}, or {@value #DEFAULT_REPLICAS} when omitted. */
    @JsonIgnore
    public int effectiveReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }
}
