package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;
import lombok.AllArgsConstructor;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Labels and annotations of a sandbox's pod (upstream {@code PodMetadata}); only these two are used. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"labels", "annotations"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
@AllArgsConstructor
public class PodMetadata {
    private Map<String, String> labels;
    private Map<String, String> annotations;

    @Override
    public String toString() {
        return "PodMetadata{labels=" + labels + ", annotations=" + annotations + "}";
    }
}
