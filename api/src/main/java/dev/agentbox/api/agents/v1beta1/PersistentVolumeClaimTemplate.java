package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec;
import java.util.Objects;

/**
 * A per-sandbox volume claim (upstream {@code PersistentVolumeClaimTemplate}). The pod gets a volume named
 * {@code metadata.name} backed by the claim {@code <metadata.name>-<sandbox name>}; it is kept across suspend.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"metadata", "spec"})
public class PersistentVolumeClaimTemplate {
    private EmbeddedObjectMetadata metadata;
    private PersistentVolumeClaimSpec spec;

    public PersistentVolumeClaimTemplate() {
    }

    public PersistentVolumeClaimTemplate(EmbeddedObjectMetadata metadata, PersistentVolumeClaimSpec spec) {
        this.metadata = metadata;
        this.spec = spec;
    }

    public EmbeddedObjectMetadata getMetadata() {
        return metadata;
    }

    public void setMetadata(EmbeddedObjectMetadata metadata) {
        this.metadata = metadata;
    }

    public PersistentVolumeClaimSpec getSpec() {
        return spec;
    }

    public void setSpec(PersistentVolumeClaimSpec spec) {
        this.spec = spec;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PersistentVolumeClaimTemplate t && Objects.equals(metadata, t.metadata) && Objects.equals(spec, t.spec);
    }

    @Override
    public int hashCode() {
        return Objects.hash(metadata, spec);
    }
}
