package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** How a warm pool handles template changes (upstream {@code SandboxWarmPoolUpdateStrategy}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class WarmPoolUpdateStrategy {
    private UpdateStrategyType type;

    /** {@code type}, or its upstream default OnReplenish. */
    @JsonIgnore
    public UpdateStrategyType effectiveType() {
        return type == null ? UpdateStrategyType.ON_REPLENISH : type;
    }
}
