package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Duration;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** How long an unused snapshot is kept. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"lastAccessTimeout"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class RetentionConfig {
    /** Age since last use after which a snapshot is deleted, e.g. 30min, 12h, 7d, 1mo, 1y (units y, mo, d, h, min). */
    private String lastAccessTimeout;

    /** {@code lastAccessTimeout} as a Duration (y = 365 d, mo = 30 d); null when unset. */
    @JsonIgnore
    public Duration lastAccessTimeoutDuration() {
        return SnapshotDurations.parse(lastAccessTimeout);
    }
}
