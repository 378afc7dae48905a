package dev.agentbox.api;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** A status with Kubernetes-style {@code conditions}; see {@link Conditions} for the helpers. */
public interface HasConditions {
    List<Condition> getConditions();

    void setConditions(List<Condition> conditions);
}
