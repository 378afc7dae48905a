package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;
import java.util.Objects;

/** Labels and annotations of a sandbox's pod (upstream {@code PodMetadata}); only these two are used. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"labels", "annotations"})
public class PodMetadata {
    private Map<String, String> labels;
    private Map<String, String> annotations;

    public PodMetadata() {
    }

    public PodMetadata(Map<String, String> labels, Map<String, String> annotations) {
        this.labels = labels;
        this.annotations = annotations;
    }

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodMetadata p && Objects.equals(labels, p.labels) && Objects.equals(annotations, p.annotations);
    }

    @Override
    public int hashCode() {
        return Objects.hash(labels, annotations);
    }

    @Override
    public String toString() {
        return "PodMetadata{labels=" + labels + ", annotations=" + annotations + "}";
    }
}
