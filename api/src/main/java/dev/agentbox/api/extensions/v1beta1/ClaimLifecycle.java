package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** When and how a {@link SandboxClaim} ends (upstream claim {@code Lifecycle}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"shutdownTime", "ttlSecondsAfterFinished", "shutdownPolicy"})
public class ClaimLifecycle {
    private String shutdownTime;
    private Integer ttlSecondsAfterFinished;
    private ClaimShutdownPolicy shutdownPolicy;

    public ClaimLifecycle() {
    }

    public ClaimLifecycle(String shutdownTime, Integer ttlSecondsAfterFinished, ClaimShutdownPolicy shutdownPolicy) {
        this.shutdownTime = shutdownTime;
        this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
        this.shutdownPolicy = shutdownPolicy;
    }

    /** {@code shutdownPolicy}, or its upstream default Retain. */
    @JsonIgnore
    public ClaimShutdownPolicy effectiveShutdownPolicy() {
        return shutdownPolicy == null ? ClaimShutdownPolicy.RETAIN : shutdownPolicy;
    }

    /** RFC 3339 time at which the claim expires, or null. */
    public String getShutdownTime() {
        return shutdownTime;
    }

    public void setShutdownTime(String shutdownTime) {
        this.shutdownTime = shutdownTime;
    }

    /** Seconds a finished claim is kept (from its Ready condition's last transition), or null to keep it. */
    public Integer getTtlSecondsAfterFinished() {
        return ttlSecondsAfterFinished;
    }

    public void setTtlSecondsAfterFinished(Integer ttlSecondsAfterFinished) {
        this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
    }

    public ClaimShutdownPolicy getShutdownPolicy() {
        return shutdownPolicy;
    }

    public void setShutdownPolicy(ClaimShutdownPolicy shutdownPolicy) {
        this.shutdownPolicy = shutdownPolicy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClaimLifecycle l && Objects.equals(shutdownTime, l.shutdownTime)
                && Objects.equals(ttlSecondsAfterFinished, l.ttlSecondsAfterFinished) && shutdownPolicy == l.shutdownPolicy;
    }

    @Override
    public int hashCode() {
        return Objects.hash(shutdownTime, ttlSecondsAfterFinished, shutdownPolicy);
    }
}
