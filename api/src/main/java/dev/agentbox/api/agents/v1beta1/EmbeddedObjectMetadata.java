package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;
import java.util.Objects;

/** Name, labels and annotations of an embedded object such as a volume claim template (upstream {@code EmbeddedObjectMetadata}). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"name", "labels", "annotations"})
public class EmbeddedObjectMetadata {
    private String name;
    private Map<String, String> labels;
    private Map<String, String> annotations;

    public EmbeddedObjectMetadata() {
    }

    public EmbeddedObjectMetadata(String name) {
        this.name = name;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
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
        return o instanceof EmbeddedObjectMetadata m && Objects.equals(name, m.name)
                && Objects.equals(labels, m.labels) && Objects.equals(annotations, m.annotations);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, labels, annotations);
    }
}
