package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.Objects;

/** A pod template (upstream {@code PodTemplate}): pod metadata (labels, annotations) and Kubernetes' own PodSpec. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"metadata", "spec"})
public class PodTemplate {
    private PodMetadata metadata;
    private PodSpec spec;

    public PodTemplate() {
    }

    public PodTemplate(PodMetadata metadata, PodSpec spec) {
        this.metadata = metadata;
        this.spec = spec;
    }

    public PodMetadata getMetadata() {
        return metadata;
    }

    public void setMetadata(PodMetadata metadata) {
        this.metadata = metadata;
    }

    public PodSpec getSpec() {
        return spec;
    }

    public void setSpec(PodSpec spec) {
        this.spec = spec;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodTemplate p && Objects.equals(metadata, p.metadata) && Objects.equals(spec, p.spec);
    }

    @Override
    public int hashCode() {
        return Objects.hash(metadata, spec);
    }
}
