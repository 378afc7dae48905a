package dev.agentbox.api.extensions.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/** A reference by name to a SandboxTemplate in the same namespace (upstream {@code SandboxTemplateRef}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxTemplateRef {
    private String name;

    public SandboxTemplateRef() {
    }

    public SandboxTemplateRef(String name) {
        this.name = name;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SandboxTemplateRef r && Objects.equals(name, r.name);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(name);
    }

    @Override
    public String toString() {
        return name;
    }
}
