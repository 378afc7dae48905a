package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Desired state of a {@link SandboxTemplate} (upstream {@code SandboxTemplateSpec}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"podTemplate", "volumeClaimTemplates", "networkPolicy", "networkPolicyManagement", "envVarsInjectionPolicy", "volumeClaimTemplatesPolicy", "service"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxTemplateSpec {
    private PodTemplate podTemplate;
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    private List<PersistentVolumeClaimTemplate> volumeClaimTemplates;
    private SandboxNetworkPolicy networkPolicy;
    private NetworkPolicyManagement networkPolicyManagement;
    private EnvVarsInjectionPolicy envVarsInjectionPolicy;
    /** May a claim add (or override) volume claim templates; upstream default Disallowed. */
    private VolumeClaimTemplatesPolicy volumeClaimTemplatesPolicy;
    private Boolean service;

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

    /** {@code volumeClaimTemplatesPolicy}, or its upstream default Disallowed. */
    @JsonIgnore
    public VolumeClaimTemplatesPolicy effectiveVolumeClaimTemplatesPolicy() {
        return volumeClaimTemplatesPolicy == null ? VolumeClaimTemplatesPolicy.DISALLOWED : volumeClaimTemplatesPolicy;
    }
}
