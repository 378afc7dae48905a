package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConditionsTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00.750Z");
    private static final Instant T1 = Instant.parse("2025-01-01T00:01:00Z");

    @Test
    void setAddsAConditionStampedWithWholeSeconds() {
        SandboxStatus status = new SandboxStatus();
        assertThat(Conditions.set(status, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "starting", 1L), T0)).isTrue();
        Condition c = Conditions.get(status, Conditions.READY).orElseThrow();
        assertThat(c.getLastTransitionTime()).isEqualTo("2025-01-01T00:00:00Z");
        assertThat(c.getObservedGeneration()).isEqualTo(1L);
    }

    @Test
    void setKeepsLastTransitionTimeWhenTheStatusDoesNotChange() {
        SandboxStatus status = new SandboxStatus();
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "starting", 1L), T0);
        assertThat(Conditions.set(status, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "probing", 1L), T1)).isTrue();
        Condition c = Conditions.get(status, Conditions.READY).orElseThrow();
        assertThat(c.getMessage()).isEqualTo("probing");
        assertThat(c.getLastTransitionTime()).isEqualTo("2025-01-01T00:00:00Z");
    }

    @Test
    void setReportsNoChangeForAnIdenticalCondition() {
        SandboxStatus status = new SandboxStatus();
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_DEPENDENCIES_READY, "ok", 2L), T0);
        assertThat(Conditions.set(status, Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_DEPENDENCIES_READY, "ok", 2L), T1)).isFalse();
    }

    @Test
    void setMovesLastTransitionTimeWhenTheStatusFlips() {
        SandboxStatus status = new SandboxStatus();
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "starting", 1L), T0);
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_DEPENDENCIES_READY, "ok", 1L), T1);
        assertThat(Conditions.get(status, Conditions.READY).orElseThrow().getLastTransitionTime()).isEqualTo("2025-01-01T00:01:00Z");
        assertThat(status.getConditions()).hasSize(1);
    }

    @Test
    void readinessIsReadFromAnyResourceWithConditions() {
        Sandbox s = new Sandbox();
        assertThat(Conditions.isReady(s)).isFalse();
        assertThat(Conditions.get(Conditions.statusOf(s), Conditions.READY)).isEmpty();
        s.setStatus(new SandboxStatus());
        Conditions.set(s.getStatus(), Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_DEPENDENCIES_READY, "ok", 1L), T0);
        assertThat(Conditions.isReady(s)).isTrue();
        assertThat(Conditions.statusOf(new SandboxWarmPool())).isNull();
        assertThat(Conditions.get((HasConditions) null, Conditions.READY)).isEmpty();
    }

    @Test
    void removeDropsTheCondition() {
        SandboxStatus status = new SandboxStatus();
        Conditions.set(status, Conditions.of(Conditions.SUSPENDED, Conditions.TRUE, Conditions.REASON_POD_TERMINATED, "", 1L), T0);
        assertThat(Conditions.remove(status, Conditions.SUSPENDED)).isTrue();
        assertThat(status.getConditions()).isEmpty();
    }
}
