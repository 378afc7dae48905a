package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplateSpec;
import dev.agentbox.api.internal.Json;
import java.util.ArrayList;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/**
 * Desired state of a {@link Sandbox} (upstream {@code SandboxSpec}): the pod template, per-sandbox volume
 * claims, the inlined lifecycle ({@code shutdownTime}, {@code shutdownPolicy}), {@code operatingMode} and
 * {@code service}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"podTemplate", "volumeClaimTemplates", "shutdownTime", "shutdownPolicy", "operatingMode", "service"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxSpec {
    private PodTemplate podTemplate;
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private List<PersistentVolumeClaimTemplate> volumeClaimTemplates;
    /** RFC 3339 time at which the sandbox expires, or null. */
    private String shutdownTime;
    private ShutdownPolicy shutdownPolicy;
    private OperatingMode operatingMode;
    private Boolean service;

    public SandboxSpec(PodTemplate podTemplate) {
        this.podTemplate = podTemplate;
    }

    /** Copies what a template defines for its sandboxes (deep copies of podTemplate, volumeClaimTemplates, service). */
    public SandboxSpec copyBlueprintFrom(SandboxTemplateSpec template) {
        if (template == null) return this;
        this.podTemplate = Json.deepCopy(template.getPodTemplate());
        this.volumeClaimTemplates = template.getVolumeClaimTemplates() == null ? null
                : new ArrayList<>(template.getVolumeClaimTemplates().stream().map(Json::deepCopy).toList());
        this.service = template.getService();
        return this;
    }

    /** {@code shutdownPolicy}, or its upstream default Retain. */
    @JsonIgnore
    public ShutdownPolicy effectiveShutdownPolicy() {
        return shutdownPolicy == null ? ShutdownPolicy.RETAIN : shutdownPolicy;
    }

    /** {@code operatingMode}, or its upstream default Running. */
    @JsonIgnore
    public OperatingMode effectiveOperatingMode() {
        return operatingMode == null ? OperatingMode.RUNNING : operatingMode;
    }
}
