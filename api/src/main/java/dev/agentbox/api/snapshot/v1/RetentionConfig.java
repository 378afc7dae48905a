package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Duration;
import java.util.Objects;

/** How long an unused snapshot is kept. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"lastAccessTimeout"})
public class RetentionConfig {
    private String lastAccessTimeout;

    public RetentionConfig() {
    }

    public RetentionConfig(String lastAccessTimeout) {
        this.lastAccessTimeout = lastAccessTimeout;
    }

    /** {@code lastAccessTimeout} as a Duration (y = 365 d, mo = 30 d); null when unset. */
    @JsonIgnore
    public Duration lastAccessTimeoutDuration() {
        return SnapshotDurations.parse(lastAccessTimeout);
    }

    /** Age since last use after which a snapshot is deleted, e.g. 30min, 12h, 7d, 1mo, 1y (units y, mo, d, h, min). */
    public String getLastAccessTimeout() {
        return lastAccessTimeout;
    }

    public void setLastAccessTimeout(String lastAccessTimeout) {
        this.lastAccessTimeout = lastAccessTimeout;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetentionConfig other
                && Objects.equals(lastAccessTimeout, other.lastAccessTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(lastAccessTimeout);
    }
}
