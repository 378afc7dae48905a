package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** When and how a {@link SandboxClaim} ends (upstream claim {@code Lifecycle}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"shutdownTime", "ttlSecondsAfterFinished", "shutdownPolicy"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class ClaimLifecycle {
    /** RFC 3339 time at which the claim expires, or null. */
    private String shutdownTime;
    /** Seconds a finished claim is kept (from its Ready condition's last transition), or null to keep it. */
    private Integer ttlSecondsAfterFinished;
    private ClaimShutdownPolicy shutdownPolicy;

    /** {@code shutdownPolicy}, or its upstream default Retain. */
    @JsonIgnore
    public ClaimShutdownPolicy effectiveShutdownPolicy() {
        return shutdownPolicy == null ? ClaimShutdownPolicy.RETAIN : shutdownPolicy;
    }
}
