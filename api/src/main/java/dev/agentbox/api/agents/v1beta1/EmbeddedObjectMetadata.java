package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Name, labels and annotations of an embedded object such as a volume claim template (upstream {@code EmbeddedObjectMetadata}). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"name", "labels", "annotations"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class EmbeddedObjectMetadata {
    private String name;
    private Map<String, String> labels;
    private Map<String, String> annotations;

    public EmbeddedObjectMetadata(String name) {
        this.name = name;
    }
}
