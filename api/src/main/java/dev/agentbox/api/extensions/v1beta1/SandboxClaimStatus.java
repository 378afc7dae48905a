package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Observed state of a {@link SandboxClaim} (upstream {@code SandboxClaimStatus}): conditions and the bound sandbox. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"conditions", "sandbox"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxClaimStatus implements HasConditions {
    private List<Condition> conditions;
    private ClaimSandboxStatus sandbox;
}
