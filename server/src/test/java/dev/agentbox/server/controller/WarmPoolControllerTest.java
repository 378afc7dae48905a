package dev.agentbox.server.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.Conditions;
import dev.agentbox.api.Names;
import dev.agentbox.api.Resources;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.server.store.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool controller on a real store without sandboxes (members are only objects here): it counts, scales down,
 * replaces stuck members and recreates on a template change from the store's summaries, reading only the members
 * it must look into.
 */
class WarmPoolControllerTest {
    @TempDir
    Path dir;
    Store store;
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.now()); // the store stamps creationTimestamp with the real clock
    final Clock clock = new Clock() {
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now.get(); }
    };
    WarmPoolController controller;

    @BeforeEach
    void open() {
        store = new Store(dir.resolve("state.db"), new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
        controller = new WarmPoolController(store, new PoolActivity(clock), clock);
        store.create(template("sleep"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    static SandboxTemplate template(String command) {
        return Resources.parse("""
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata: {name: t, namespace: default}
                spec:
                  podTemplate:
                    spec:
                      containers: [{name: main, image: agentbox/builtin, command: ["%s", "infinity"]}]
                """.formatted(command), SandboxTemplate.class);
    }

    SandboxWarmPool pool(int replicas, String extra) {
        SandboxWarmPool p = Resources.parse("""
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxWarmPool
                metadata: {name: p, namespace: default}
                spec:
                  replicas: %d
                  sandboxTemplateRef: {name: t}
                %s""".formatted(replicas, extra), SandboxWarmPool.class);
        var existing = store.get(SandboxWarmPool.class, "default", "p");
        if (existing.isEmpty()) return store.create(p);
        p.getMetadata().setResourceVersion(null);
        return store.update(p);
    }

    List<Sandbox> members() {
        return store.list(Sandbox.class, "default").stream()
                .filter(s -> s.getMetadata().getLabels().containsKey(Names.WARM_POOL_SANDBOX_LABEL)).toList();
    }

    void setReady(String name, boolean ready) {
        Sandbox s = store.get(Sandbox.class, "default", name).orElseThrow();
        SandboxStatus status = s.getStatus() == null ? new SandboxStatus() : s.getStatus();
        Conditions.set(status, Conditions.of(Conditions.READY, ready ? Conditions.TRUE : Conditions.FALSE, "R", "m", 1L), clock.instant());
        s.setStatus(status);
        store.updateStatus(s);
    }

    SandboxWarmPool reconciled() {
        controller.reconcile(new ObjectKey("default", "p"));
        return store.get(SandboxWarmPool.class, "default", "p").orElseThrow();
    }

    @Test
    void countsMembersAndReadyOnesAndScalesDownNotReadyOnesFirst() {
        pool(3, "");
        assertThat(reconciled().getStatus().getReplicas()).isEqualTo(3);
        List<Sandbox> made = members();
        assertThat(made).hasSize(3);
        setReady(made.get(0).getMetadata().getName(), true);
        setReady(made.get(2).getMetadata().getName(), true);
        assertThat(reconciled().getStatus().getReadyReplicas()).isEqualTo(2);

        pool(2, "");
        SandboxWarmPool scaled = reconciled();
        assertThat(members()).extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder(made.get(0).getMetadata().getName(), made.get(2).getMetadata().getName());
        assertThat(scaled.getStatus().getReplicas()).isEqualTo(2);
        assertThat(scaled.getStatus().getReadyReplicas()).isEqualTo(2);
    }

    @Test
    void aMemberNotReadyPastTheGracePeriodIsReplacedAndAReadyOneIsKept() {
        pool(2, "  readinessGracePeriodSeconds: 60\n");
        reconciled();
        List<Sandbox> made = members();
        String kept = made.get(0).getMetadata().getName();
        String stuck = made.get(1).getMetadata().getName();
        setReady(kept, true);
        setReady(stuck, false);
        now.set(now.get().plus(Duration.ofSeconds(30)));
        reconciled();
        assertThat(members()).extracting(s -> s.getMetadata().getName()).containsExactlyInAnyOrder(kept, stuck);
        now.set(now.get().plus(Duration.ofSeconds(31)));
        SandboxWarmPool after = reconciled();
        assertThat(members()).extracting(s -> s.getMetadata().getName()).contains(kept).doesNotContain(stuck).hasSize(2);
        assertThat(after.getStatus().getReplicas()).isEqualTo(2);
    }

    @Test
    void recreateReplacesMembersOfTheOldTemplateAndOnReplenishKeepsThem() {
        pool(2, "");
        reconciled();
        List<String> first = members().stream().map(s -> s.getMetadata().getName()).toList();
        SandboxTemplate changed = template("tail");
        changed.getMetadata().setResourceVersion(null);
        store.update(changed);
        reconciled(); // OnReplenish (the default): kept
        assertThat(members()).extracting(s -> s.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(first);

        pool(2, "  updateStrategy: {type: Recreate}\n");
        reconciled();
        List<Sandbox> now = members();
        assertThat(now).hasSize(2).extracting(s -> s.getMetadata().getName()).doesNotContainAnyElementsOf(first);
        assertThat(now).allSatisfy(s -> assertThat(s.getSpec().getPodTemplate().getSpec().getContainers().get(0).getCommand()).containsExactly("tail", "infinity"));
    }

    @Test
    void aClaimedMemberIsNoLongerCounted() {
        pool(2, "");
        reconciled();
        Sandbox taken = members().get(0);
        taken.getMetadata().setLabels(java.util.Map.of(Names.CLAIM_UID_LABEL, "some-claim"));
        taken.getMetadata().setOwnerReferences(List.of());
        store.update(taken);
        assertThat(WarmPoolController.members(store, store.get(SandboxWarmPool.class, "default", "p").orElseThrow())).hasSize(1);
        assertThat(reconciled().getStatus().getReplicas()).isEqualTo(2); // refilled
        assertThat(members()).hasSize(2).extracting(s -> s.getMetadata().getName()).doesNotContain(taken.getMetadata().getName());
    }
}
