package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/** An environment variable a claim injects (upstream claim {@code EnvVar}); containerName defaults to the first container. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "value", "containerName"})
public class ClaimEnvVar {
    private String name;
    private String value;
    private String containerName;

    public ClaimEnvVar() {
    }

    public ClaimEnvVar(String name, String value) {
        this(name, value, null);
    }

    public ClaimEnvVar(String name, String value, String containerName) {
        this.name = name;
        this.value = value;
        this.containerName = containerName;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getValue() {
        return value;
    }

    public void setValue(String value) {
        this.value = value;
    }

    public String getContainerName() {
        return containerName;
    }

    public void setContainerName(String containerName) {
        this.containerName = containerName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClaimEnvVar e && Objects.equals(name, e.name) && Objects.equals(value, e.value)
                && Objects.equals(containerName, e.containerName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, value, containerName);
    }
}
