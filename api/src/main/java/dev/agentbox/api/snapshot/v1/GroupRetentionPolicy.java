package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** How many snapshots each group keeps. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"maxSnapshotCountPerGroup"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class GroupRetentionPolicy {
    /** Maximum snapshots per group; the oldest are deleted beyond it; 0 means no limit. */
    private Integer maxSnapshotCountPerGroup;
}
