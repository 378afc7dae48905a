package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplateSpec;
import dev.agentbox.api.internal.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Desired state of a {@link Sandbox} (upstream {@code SandboxSpec}): the pod template, per-sandbox volume
 * claims, the inlined lifecycle ({@code shutdownTime}, {@code shutdownPolicy}), {@code operatingMode} and
 * {@code service}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"podTemplate", "volumeClaimTemplates", "shutdownTime", "shutdownPolicy", "operatingMode", "service"})
public class SandboxSpec {
    private PodTemplate podTemplate;
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private List<PersistentVolumeClaimTemplate> volumeClaimTemplates;
    private String shutdownTime;
    private ShutdownPolicy shutdownPolicy;
    private OperatingMode operatingMode;
    private Boolean service;

    public SandboxSpec() {
    }

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

    public PodTemplate getPodTemplate() {
        return podTemplate;
    }

    public void setPodTemplate(PodTemplate podTemplate) {
        this.podTemplate = podTemplate;
    }

    public List<PersistentVolumeClaimTemplate> getVolumeClaimTemplates() {
        return volumeClaimTemplates;
    }

    public void setVolumeClaimTemplates(List<PersistentVolumeClaimTemplate> volumeClaimTemplates) {
        this.volumeClaimTemplates = volumeClaimTemplates;
    }

    /** RFC 3339 time at which the sandbox expires, or null. */
    public String getShutdownTime() {
        return shutdownTime;
    }

    public void setShutdownTime(String shutdownTime) {
        this.shutdownTime = shutdownTime;
    }

    public ShutdownPolicy getShutdownPolicy() {
        return shutdownPolicy;
    }

    public void setShutdownPolicy(ShutdownPolicy shutdownPolicy) {
        this.shutdownPolicy = shutdownPolicy;
    }

    public OperatingMode getOperatingMode() {
        return operatingMode;
    }

    public void setOperatingMode(OperatingMode operatingMode) {
        this.operatingMode = operatingMode;
    }

    public Boolean getService() {
        return service;
    }

    public void setService(Boolean service) {
        this.service = service;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxSpec s && Objects.equals(podTemplate, s.podTemplate)
                && Objects.equals(volumeClaimTemplates, s.volumeClaimTemplates) && Objects.equals(shutdownTime, s.shutdownTime)
                && shutdownPolicy == s.shutdownPolicy && operatingMode == s.operatingMode && Objects.equals(service, s.service);
    }

    @Override
    public int hashCode() {
        return Objects.hash(podTemplate, volumeClaimTemplates, shutdownTime, shutdownPolicy, operatingMode, service);
    }
}
