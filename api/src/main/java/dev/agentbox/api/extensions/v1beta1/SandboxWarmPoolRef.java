package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** A reference by name to a SandboxWarmPool in the same namespace (upstream {@code SandboxWarmPoolRef}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class SandboxWarmPoolRef {
    private String name;

    @Override
    public String toString() {
        return name;
    }
}
