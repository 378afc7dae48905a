package dev.agentbox.operator.desired;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolStatus;
import java.util.List;

/**
 * What the warm-pool reconciler does: create these members (with generateName), delete these (by name), and
 * write this status. {@code templateMissing} means the pool's SandboxTemplate does not exist (nothing is created).
 * {@code recheckAfter}: when the next not-Ready member's readiness grace period ends (reconcile again then), or null.
 */
public record WarmPoolPlan(List<Sandbox> create, List<String> delete, SandboxWarmPoolStatus status, boolean templateMissing,
                           java.time.Duration recheckAfter) {
    public WarmPoolPlan {
        create = List.copyOf(create);
        delete = List.copyOf(delete);
    }
}
