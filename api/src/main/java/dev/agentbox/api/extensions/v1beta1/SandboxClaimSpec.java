package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Desired state of a {@link SandboxClaim} (upstream {@code SandboxClaimSpec}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"warmPoolRef", "lifecycle", "additionalPodMetadata", "env", "volumeClaimTemplates"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxClaimSpec {
    private SandboxWarmPoolRef warmPoolRef;
    private ClaimLifecycle lifecycle;
    /** Labels and annotations added to the claimed sandbox's pod. */
    private PodMetadata additionalPodMetadata;
    /** Environment variables to inject; a claim with env is always cold-started. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private List<ClaimEnvVar> env;
    /**
     * Volume claim templates added to the template's (as its {@code volumeClaimTemplatesPolicy} allows); a claim with
     * volumeClaimTemplates is always cold-started.
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private List<PersistentVolumeClaimTemplate> volumeClaimTemplates;

    public SandboxClaimSpec(SandboxWarmPoolRef warmPoolRef) {
        this.warmPoolRef = warmPoolRef;
    }
}
