package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import java.util.List;
import java.util.Objects;

/** Desired state of a {@link SandboxTemplate} (upstream {@code SandboxTemplateSpec}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"podTemplate", "volumeClaimTemplates", "networkPolicy", "networkPolicyManagement", "envVarsInjectionPolicy", "service"})
public class SandboxTemplateSpec {
    private PodTemplate podTemplate;
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private List<PersistentVolumeClaimTemplate> volumeClaimTemplates;
    private SandboxNetworkPolicy networkPolicy;
    private NetworkPolicyManagement networkPolicyManagement;
    private EnvVarsInjectionPolicy envVarsInjectionPolicy;
    private Boolean service;

    public SandboxTemplateSpec() {
    }

    public SandboxTemplateSpec(PodTemplate podTemplate) {
        this.podTemplate = podTemplate;
    }

    /** {@code networkPolicyManagement}, or its upstream default Managed. */
    @JsonIgnore
    public NetworkPolicyManagement effectiveNetworkPolicyManagement() {
        return networkPolicyManagement == null ? NetworkPolicyManagement.MANAGED : networkPolicyManagement;
    }

    /** {@code envVarsInjectionPolicy}, or its upstream default Disallowed. */
    @JsonIgnore
    public EnvVarsInjectionPolicy effectiveEnvVarsInjectionPolicy() {
        return envVarsInjectionPolicy == null ? EnvVarsInjectionPolicy.DISALLOWED : envVarsInjectionPolicy;
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

    public SandboxNetworkPolicy getNetworkPolicy() {
        return networkPolicy;
    }

    public void setNetworkPolicy(SandboxNetworkPolicy networkPolicy) {
        this.networkPolicy = networkPolicy;
    }

    public NetworkPolicyManagement getNetworkPolicyManagement() {
        return networkPolicyManagement;
    }

    public void setNetworkPolicyManagement(NetworkPolicyManagement networkPolicyManagement) {
        this.networkPolicyManagement = networkPolicyManagement;
    }

    public EnvVarsInjectionPolicy getEnvVarsInjectionPolicy() {
        return envVarsInjectionPolicy;
    }

    public void setEnvVarsInjectionPolicy(EnvVarsInjectionPolicy envVarsInjectionPolicy) {
        this.envVarsInjectionPolicy = envVarsInjectionPolicy;
    }

    public Boolean getService() {
        return service;
    }

    public void setService(Boolean service) {
        this.service = service;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxTemplateSpec s && Objects.equals(podTemplate, s.podTemplate)
                && Objects.equals(volumeClaimTemplates, s.volumeClaimTemplates) && Objects.equals(networkPolicy, s.networkPolicy)
                && networkPolicyManagement == s.networkPolicyManagement && envVarsInjectionPolicy == s.envVarsInjectionPolicy
                && Objects.equals(service, s.service);
    }

    @Override
    public int hashCode() {
        return Objects.hash(podTemplate, volumeClaimTemplates, networkPolicy, networkPolicyManagement, envVarsInjectionPolicy, service);
    }
}
