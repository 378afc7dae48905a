package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** When checkpoints are taken and what the pod does afterwards. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"type", "postCheckpoint"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class TriggerConfig {
    /** manual or workload (required). */
    private TriggerType type;
    /** resume (default) or stop. */
    private PostCheckpoint postCheckpoint;

    /** {@code postCheckpoint}, or its default resume. */
    @JsonIgnore
    public PostCheckpoint effectivePostCheckpoint() {
        return postCheckpoint == null ? PostCheckpoint.RESUME : postCheckpoint;
    }
}
