package dev.agentbox.api;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The warm pool's readiness grace period ({@code spec.readinessGracePeriodSeconds}): how long a member may stay not
 * Ready before its pool replaces it. One rule for agentboxd's pool controller and the Kubernetes operator.
 */
public final class ReadinessGrace {
    private ReadinessGrace() {
    }

    /**
     * The time left before the member's grace period ends: zero or negative when it is overdue (delete and replace
     * it), empty when it is Ready or its times do not parse. Not Ready since its last Ready transition, else its creation.
     */
    public static Optional<Duration> left(Sandbox member, Duration grace, Instant now) {
        if (Conditions.isReady(member)) return Optional.empty();
        String since = Conditions.get(member.getStatus(), Conditions.READY).map(Condition::getLastTransitionTime)
                .orElse(member.getMetadata() == null ? null : member.getMetadata().getCreationTimestamp());
        if (since == null) return Optional.empty();
        try {
            return Optional.of(Duration.between(now, Instant.parse(since).plus(grace)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
