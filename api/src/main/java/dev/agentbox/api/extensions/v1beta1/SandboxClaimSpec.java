package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import java.util.List;
import java.util.Objects;

/** Desired state of a {@link SandboxClaim} (upstream {@code SandboxClaimSpec}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"warmPoolRef", "lifecycle", "additionalPodMetadata", "env"})
public class SandboxClaimSpec {
    private SandboxWarmPoolRef warmPoolRef;
    private ClaimLifecycle lifecycle;
    private PodMetadata additionalPodMetadata;
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private List<ClaimEnvVar> env;

    public SandboxClaimSpec() {
    }

    public SandboxClaimSpec(SandboxWarmPoolRef warmPoolRef) {
        this.warmPoolRef = warmPoolRef;
    }

    public SandboxWarmPoolRef getWarmPoolRef() {
        return warmPoolRef;
    }

    public void setWarmPoolRef(SandboxWarmPoolRef warmPoolRef) {
        this.warmPoolRef = warmPoolRef;
    }

    public ClaimLifecycle getLifecycle() {
        return lifecycle;
    }

    public void setLifecycle(ClaimLifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    /** Labels and annotations added to the claimed sandbox's pod. */
    public PodMetadata getAdditionalPodMetadata() {
        return additionalPodMetadata;
    }

    public void setAdditionalPodMetadata(PodMetadata additionalPodMetadata) {
        this.additionalPodMetadata = additionalPodMetadata;
    }

    /** Environment variables to inject; a claim with env is always cold-started. */
    public List<ClaimEnvVar> getEnv() {
        return env;
    }

    public void setEnv(List<ClaimEnvVar> env) {
        this.env = env;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxClaimSpec s && Objects.equals(warmPoolRef, s.warmPoolRef) && Objects.equals(lifecycle, s.lifecycle)
                && Objects.equals(additionalPodMetadata, s.additionalPodMetadata) && Objects.equals(env, s.env);
    }

    @Override
    public int hashCode() {
        return Objects.hash(warmPoolRef, lifecycle, additionalPodMetadata, env);
    }
}
