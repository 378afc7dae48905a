package dev.agentbox.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.Conditions;
import dev.agentbox.api.Resources;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's in-memory summaries (labels, owners, creation time, Ready), which label-selected lists and claim binding
 * read instead of parsing every stored object: they follow every kind of write, and are rebuilt from the file.
 */
class StoreIndexTest {
    static final ObjectMapper MAPPER = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static Sandbox sandbox(String ns, String name, Map<String, String> labels) {
        Sandbox s = Resources.parse("""
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata: {name: %s, namespace: %s}
                spec: {podTemplate: {spec: {containers: [{name: main, image: agentbox/builtin}]}}}
                """.formatted(name, ns), Sandbox.class);
        s.getMetadata().setLabels(labels);
        return s;
    }

    static List<String> names(List<Store.Summary> summaries) {
        return summaries.stream().map(s -> s.key().namespace() + "/" + s.key().name()).toList();
    }

    @Test
    void summariesFollowCreateUpdateStatusAndDeleteAndAreRebuiltWhenTheStoreOpensAgain(@TempDir Path dir) {
        Path file = dir.resolve("state.db");
        try (Store store = new Store(file, MAPPER)) {
            store.create(sandbox("a", "one", Map.of("pool", "p")));
            store.create(sandbox("a", "two", Map.of("pool", "q")));
            store.create(sandbox("ab", "three", Map.of("pool", "p"))); // a namespace whose name starts like "a"
            store.create(sandbox("b", "four", Map.of("pool", "p")));

            assertThat(names(store.summaries(Sandbox.class, "a", s -> "p".equals(s.labels().get("pool"))))).containsExactly("a/one");
            assertThat(names(store.summaries(Sandbox.class, null, s -> "p".equals(s.labels().get("pool"))))).containsExactly("a/one", "ab/three", "b/four");
            assertThat(store.list(Sandbox.class, "a", l -> "q".equals(l.get("pool")))).extracting(s -> s.getMetadata().getName()).containsExactly("two");

            // a label change moves it between selections
            Sandbox two = store.get(Sandbox.class, "a", "two").orElseThrow();
            two.getMetadata().setLabels(Map.of("pool", "p"));
            two.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("v1").withKind("X").withName("x").withUid("owner-uid").build()));
            store.update(two);
            assertThat(names(store.summaries(Sandbox.class, "a", s -> "p".equals(s.labels().get("pool"))))).containsExactly("a/one", "a/two");
            assertThat(store.list(Sandbox.class, "a", l -> "q".equals(l.get("pool")))).isEmpty();
            assertThat(names(store.summaries(Sandbox.class, "a", s -> s.ownerUids().contains("owner-uid")))).containsExactly("a/two");

            // Ready follows status writes
            assertThat(store.summaries(Sandbox.class, "a", Store.Summary::ready)).isEmpty();
            Sandbox one = store.get(Sandbox.class, "a", "one").orElseThrow();
            SandboxStatus status = new SandboxStatus();
            Conditions.set(status, Conditions.of(Conditions.READY, Conditions.TRUE, "DependenciesReady", "ready", 1L), Instant.now());
            one.setStatus(status);
            store.updateStatus(one);
            assertThat(names(store.summaries(Sandbox.class, "a", Store.Summary::ready))).containsExactly("a/one");
            // ... and the bulk status rewrite of start-up
            store.updateStatusTrees(Sandbox.class, tree -> {
                if (!tree.path("status").has("conditions")) return false;
                ((com.fasterxml.jackson.databind.node.ObjectNode) tree.path("status").path("conditions").get(0)).put("status", "False");
                return true;
            });
            assertThat(store.summaries(Sandbox.class, "a", Store.Summary::ready)).isEmpty();

            store.delete(Sandbox.class, "a", "one");
            assertThat(names(store.summaries(Sandbox.class, null, null))).containsExactly("a/two", "ab/three", "b/four");
            assertThat(store.count(Sandbox.class, "a")).as("quotas count from the summaries").isEqualTo(1);
            assertThat(store.count(Sandbox.class, null)).isEqualTo(3);
            assertThat(store.summaries(Sandbox.class, "b", null).get(0).creationTimestamp()).isNotEmpty();
        }
        try (Store again = new Store(file, MAPPER)) {
            assertThat(names(again.summaries(Sandbox.class, null, s -> "p".equals(s.labels().get("pool"))))).containsExactly("a/two", "ab/three", "b/four");
            assertThat(names(again.summaries(Sandbox.class, "a", s -> s.ownerUids().contains("owner-uid")))).containsExactly("a/two");
        }
    }

    @Test
    void aWriteTheGuardRefusesLeavesTheSummariesAsTheyWere(@TempDir Path dir) {
        try (Store store = new Store(dir.resolve("state.db"), MAPPER)) {
            store.create(sandbox("a", "one", Map.of("pool", "p")));
            store.setGuard((ns, o, create) -> { throw new dev.agentbox.api.QuotaExceededException("no"); });
            Sandbox one = store.get(Sandbox.class, "a", "one").orElseThrow();
            one.getMetadata().setLabels(Map.of("pool", "q"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.update(one)).isInstanceOf(dev.agentbox.api.QuotaExceededException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.create(sandbox("a", "two", Map.of("pool", "p")))).isInstanceOf(dev.agentbox.api.QuotaExceededException.class);
            assertThat(names(store.summaries(Sandbox.class, "a", s -> "p".equals(s.labels().get("pool"))))).containsExactly("a/one");
        }
    }
}
