package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** How a policy's snapshots are grouped (for retention and restore matching). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"groupByLabelValue"})
public class SnapshotGroupingRules {
    private GroupByLabelValue groupByLabelValue;

    public SnapshotGroupingRules() {
    }

    public SnapshotGroupingRules(GroupByLabelValue groupByLabelValue) {
        this.groupByLabelValue = groupByLabelValue;
    }

    public GroupByLabelValue getGroupByLabelValue() {
        return groupByLabelValue;
    }

    public void setGroupByLabelValue(GroupByLabelValue groupByLabelValue) {
        this.groupByLabelValue = groupByLabelValue;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnapshotGroupingRules other
                && Objects.equals(groupByLabelValue, other.groupByLabelValue);
    }

    @Override
    public int hashCode() {
        return Objects.hash(groupByLabelValue);
    }
}
