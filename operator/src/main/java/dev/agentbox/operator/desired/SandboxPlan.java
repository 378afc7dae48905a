package dev.agentbox.operator.desired;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.time.Duration;
import java.util.List;

/** What the Sandbox reconciler does for one Sandbox: the decision of {@link Sandboxes#plan}. */
public sealed interface SandboxPlan {
    /** shutdownTime passed and shutdownPolicy is Delete: delete the Sandbox (its Pod, Service and PVCs go by owner reference). */
    record DeleteSandbox(String reason) implements SandboxPlan {}

    /** shutdownTime passed and shutdownPolicy is Retain: delete the Pod and Service, keep the Sandbox (Ready=False SandboxExpired). */
    record Expire(String message) implements SandboxPlan {}

    /** operatingMode Suspended: delete the Pod, keep the PVCs and the Service (Ready=False SandboxSuspended). */
    record Suspend() implements SandboxPlan {}

    /**
     * Run: these objects should exist. {@code service} is the headless Service when {@code service: true}, else null;
     * {@code deleteService} is true only for an explicit {@code service: false} (unset keeps an existing Service and
     * creates none, as upstream). {@code requeueAfter} is the time until shutdownTime, or null.
     */
    record Run(Pod pod, Service service, boolean deleteService, List<PersistentVolumeClaim> volumeClaims, Duration requeueAfter) implements SandboxPlan {
        public Run {
            volumeClaims = List.copyOf(volumeClaims);
        }
    }
}
