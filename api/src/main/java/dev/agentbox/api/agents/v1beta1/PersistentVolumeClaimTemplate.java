package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/**
 * A per-sandbox volume claim (upstream {@code PersistentVolumeClaimTemplate}). The pod gets a volume named
 * {@code metadata.name} backed by the claim {@code <metadata.name>-<sandbox name>}; it is kept across suspend.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"metadata", "spec"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class PersistentVolumeClaimTemplate {
    private EmbeddedObjectMetadata metadata;
    private PersistentVolumeClaimSpec spec;
}
