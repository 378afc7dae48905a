package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** How a policy's snapshots are grouped (for retention and restore matching). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"groupByLabelValue"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class SnapshotGroupingRules {
    private GroupByLabelValue groupByLabelValue;
}
