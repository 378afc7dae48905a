package dev.agentbox.api.snapshot.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** agentbox extension: where a snapshot lives on the agentboxd host. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedPath"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class LocalStorageStatus {
    private String observedPath;
}
