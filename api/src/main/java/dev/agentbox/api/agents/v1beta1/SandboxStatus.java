package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link Sandbox} (upstream {@code SandboxStatus}). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"serviceFQDN", "service", "conditions", "selector", "podIPs", "nodeName"})
public class SandboxStatus implements HasConditions {
    private String serviceFQDN;
    private String service;
    private List<Condition> conditions;
    private String selector;
    private List<String> podIPs;
    private String nodeName;

    public SandboxStatus() {
    }

    public String getServiceFQDN() {
        return serviceFQDN;
    }

    public void setServiceFQDN(String serviceFQDN) {
        this.serviceFQDN = serviceFQDN;
    }

    public String getService() {
        return service;
    }

    public void setService(String service) {
        this.service = service;
    }

    @Override
    public List<Condition> getConditions() {
        return conditions;
    }

    @Override
    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    /** Label selector of the sandbox's pod, e.g. {@code agents.x-k8s.io/sandbox-name-hash=1a2b3c4d}. */
    public String getSelector() {
        return selector;
    }

    public void setSelector(String selector) {
        this.selector = selector;
    }

    public List<String> getPodIPs() {
        return podIPs;
    }

    public void setPodIPs(List<String> podIPs) {
        this.podIPs = podIPs;
    }

    public String getNodeName() {
        return nodeName;
    }

    public void setNodeName(String nodeName) {
        this.nodeName = nodeName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxStatus s && Objects.equals(serviceFQDN, s.serviceFQDN) && Objects.equals(service, s.service)
                && Objects.equals(conditions, s.conditions) && Objects.equals(selector, s.selector)
                && Objects.equals(podIPs, s.podIPs) && Objects.equals(nodeName, s.nodeName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(serviceFQDN, service, conditions, selector, podIPs, nodeName);
    }
}
