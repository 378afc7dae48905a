package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;

/** The sandbox a claim is bound to (upstream claim {@code SandboxStatus}): its name and pod IPs. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"name", "podIPs"})
public class ClaimSandboxStatus {
    private String name;
    private List<String> podIPs;

    public ClaimSandboxStatus() {
    }

    public ClaimSandboxStatus(String name, List<String> podIPs) {
        this.name = name;
        this.podIPs = podIPs;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public List<String> getPodIPs() {
        return podIPs;
    }

    public void setPodIPs(List<String> podIPs) {
        this.podIPs = podIPs;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClaimSandboxStatus s && Objects.equals(name, s.name) && Objects.equals(podIPs, s.podIPs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, podIPs);
    }
}
