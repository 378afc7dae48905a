package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** When checkpoints are taken and what the pod does afterwards. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"type", "postCheckpoint"})
public class TriggerConfig {
    private TriggerType type;
    private PostCheckpoint postCheckpoint;

    public TriggerConfig() {
    }

    public TriggerConfig(TriggerType type, PostCheckpoint postCheckpoint) {
        this.type = type;
        this.postCheckpoint = postCheckpoint;
    }

    /** {@code postCheckpoint}, or its default resume. */
    @JsonIgnore
    public PostCheckpoint effectivePostCheckpoint() {
        return postCheckpoint == null ? PostCheckpoint.RESUME : postCheckpoint;
    }

    /** manual or workload (required). */
    public TriggerType getType() {
        return type;
    }

    public void setType(TriggerType type) {
        this.type = type;
    }

    /** resume (default) or stop. */
    public PostCheckpoint getPostCheckpoint() {
        return postCheckpoint;
    }

    public void setPostCheckpoint(PostCheckpoint postCheckpoint) {
        this.postCheckpoint = postCheckpoint;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TriggerConfig other
                && Objects.equals(type, other.type)
                && Objects.equals(postCheckpoint, other.postCheckpoint);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, postCheckpoint);
    }
}
