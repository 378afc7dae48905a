package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link SandboxClaim} (upstream {@code SandboxClaimStatus}): conditions and the bound sandbox. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"conditions", "sandbox"})
public class SandboxClaimStatus implements HasConditions {
    private List<Condition> conditions;
    private ClaimSandboxStatus sandbox;

    public SandboxClaimStatus() {
    }

    @Override
    public List<Condition> getConditions() {
        return conditions;
    }

    @Override
    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public ClaimSandboxStatus getSandbox() {
        return sandbox;
    }

    public void setSandbox(ClaimSandboxStatus sandbox) {
        this.sandbox = sandbox;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxClaimStatus s && Objects.equals(conditions, s.conditions) && Objects.equals(sandbox, s.sandbox);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conditions, sandbox);
    }
}
