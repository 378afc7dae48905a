package dev.agentbox.client;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;

/** The outcome of a create or apply: the object as stored, what happened, and the server's warnings. */
public record ApplyResult(GenericKubernetesResource object, Action action, List<String> warnings) {
    public enum Action { CREATED, CONFIGURED }

    public ApplyResult {
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }
}
