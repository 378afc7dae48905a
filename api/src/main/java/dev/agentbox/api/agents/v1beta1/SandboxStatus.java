package dev.agentbox.api.agents.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.agentbox.api.HasConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.NoArgsConstructor;
import lombok.Setter;

/** Observed state of a {@link Sandbox} (upstream {@code SandboxStatus}). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"serviceFQDN", "service", "conditions", "selector", "podIPs", "nodeName"})
@Getter
@Setter
@EqualsAndHashCode
@NoArgsConstructor
public class SandboxStatus implements HasConditions {
    private String serviceFQDN;
    private String service;
    private List<Condition> conditions;
    /** Label selector of the sandbox's pod, e.g. {@code agents.x-k8s.io/sandbox-name-hash=1a2b3c4d}. */
    private String selector;
    /**
     * The pod's IP addresses (upstream). Set by the Kubernetes operator from the Pod. agentboxd leaves it out: a local
     * sandbox has no network interface but loopback (no address another process could reach), and a made-up
     * address would mislead clients that connect to it.
     */
    private List<String> podIPs;
    /** The node the pod runs on (upstream); set by the operator, left out by agentboxd (one host). */
    private String nodeName;
}
