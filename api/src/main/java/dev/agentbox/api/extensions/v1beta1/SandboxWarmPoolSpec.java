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
@JsonPropertyOrder({"replicas", "sandboxTemplateRef", "updateStrategy", "readinessGracePeriodSeconds"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxWarmPoolSpec {
    /** Replicas when the field is omitted. */
    public static final int DEFAULT_REPLICAS = 1;
    /** The readiness grace period when the field is omitted: upstream's controller default (5 minutes). */
    public static final int DEFAULT_READINESS_GRACE_PERIOD_SECONDS = 300;

    @SpecReplicas
    private Integer replicas;
    private SandboxTemplateRef sandboxTemplateRef;
    private WarmPoolUpdateStrategy updateStrategy;
    /**
     * How long a member may stay not Ready before it is deleted and replaced (default
     * {@value #DEFAULT_READINESS_GRACE_PERIOD_SECONDS}). Upstream has this grace period as a controller flag
     * ({@code --sandbox-warm-pool-readiness-grace-period}, default 5m); the per-pool field is proposed upstream
     * (kubernetes-sigs/agent-sandbox#1293) and may land under another name.
     */
    private Integer readinessGracePeriodSeconds;

    public SandboxWarmPoolSpec(Integer replicas, SandboxTemplateRef sandboxTemplateRef) {
        this.replicas = replicas;
        this.sandboxTemplateRef = sandboxTemplateRef;
    }

    /** {@code replicas}, or {@value #DEFAULT_REPLICAS} when omitted. */
    @JsonIgnore
    public int effectiveReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }

    /** {@code readinessGracePeriodSeconds}, or {@value #DEFAULT_READINESS_GRACE_PERIOD_SECONDS} when omitted. */
    @JsonIgnore
    public int effectiveReadinessGracePeriodSeconds() {
        return readinessGracePeriodSeconds == null ? DEFAULT_READINESS_GRACE_PERIOD_SECONDS : readinessGracePeriodSeconds;
    }
}
