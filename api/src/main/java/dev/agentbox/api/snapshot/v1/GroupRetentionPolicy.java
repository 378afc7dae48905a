package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** How many snapshots each group keeps. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"maxSnapshotCountPerGroup"})
public class GroupRetentionPolicy {
    private Integer maxSnapshotCountPerGroup;

    public GroupRetentionPolicy() {
    }

    public GroupRetentionPolicy(Integer maxSnapshotCountPerGroup) {
        this.maxSnapshotCountPerGroup = maxSnapshotCountPerGroup;
    }

    /** Maximum snapshots per group; the oldest are deleted beyond it; 0 means no limit. */
    public Integer getMaxSnapshotCountPerGroup() {
        return maxSnapshotCountPerGroup;
    }

    public void setMaxSnapshotCountPerGroup(Integer maxSnapshotCountPerGroup) {
        this.maxSnapshotCountPerGroup = maxSnapshotCountPerGroup;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GroupRetentionPolicy other
                && Objects.equals(maxSnapshotCountPerGroup, other.maxSnapshotCountPerGroup);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxSnapshotCountPerGroup);
    }
}
