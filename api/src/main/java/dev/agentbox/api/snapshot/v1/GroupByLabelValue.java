package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;

/** Groups snapshots by the values of pod labels. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"labels", "groupRetentionPolicy"})
public class GroupByLabelValue {
    private List<String> labels;
    private GroupRetentionPolicy groupRetentionPolicy;

    public GroupByLabelValue() {
    }

    public GroupByLabelValue(List<String> labels, GroupRetentionPolicy groupRetentionPolicy) {
        this.labels = labels;
        this.groupRetentionPolicy = groupRetentionPolicy;
    }

    /** Pod labels whose values form the group key (required). */
    public List<String> getLabels() {
        return labels;
    }

    public void setLabels(List<String> labels) {
        this.labels = labels;
    }

    public GroupRetentionPolicy getGroupRetentionPolicy() {
        return groupRetentionPolicy;
    }

    public void setGroupRetentionPolicy(GroupRetentionPolicy groupRetentionPolicy) {
        this.groupRetentionPolicy = groupRetentionPolicy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GroupByLabelValue other
                && Objects.equals(labels, other.labels)
                && Objects.equals(groupRetentionPolicy, other.groupRetentionPolicy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(labels, groupRetentionPolicy);
    }
}
