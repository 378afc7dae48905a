package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/** How a warm pool handles template changes (upstream {@code SandboxWarmPoolUpdateStrategy}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WarmPoolUpdateStrategy {
    private UpdateStrategyType type;

    public WarmPoolUpdateStrategy() {
    }

    public WarmPoolUpdateStrategy(UpdateStrategyType type) {
        this.type = type;
    }

    /** {@code type}, or its upstream default OnReplenish. */
    @JsonIgnore
    public UpdateStrategyType effectiveType() {
        return type == null ? UpdateStrategyType.ON_REPLENISH : type;
    }

    public UpdateStrategyType getType() {
        return type;
    }

    public void setType(UpdateStrategyType type) {
        this.type = type;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WarmPoolUpdateStrategy s && type == s.type;
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(type);
    }
}
