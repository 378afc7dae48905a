package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** agentbox extension: snapshots in a directory on the agentboxd host ({@code snapshotStorageConfig.local}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"path"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class LocalStorage {
    /** Absolute host directory that holds the snapshot images (required). */
    private String path;
}
