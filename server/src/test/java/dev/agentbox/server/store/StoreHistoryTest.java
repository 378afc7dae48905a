package dev.agentbox.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.Resources;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store's history of changes: watches from a past revision, lists as of a past revision, and their expiry. */
class StoreHistoryTest {
    Store store;

    @BeforeEach
    void open() throws Exception {
        Path dir = Files.createTempDirectory("store-history");
        store = new Store(dir.resolve("state.db"), new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
    }

    @AfterEach
    void close() {
        store.close();
    }

    static SandboxTemplate template(String ns, String name, String label) {
        SandboxTemplate t = Resources.parse("""
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata:
                  name: %s
                  namespace: %s
                  labels:
                    color: %s
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                """.formatted(name, ns, label), SandboxTemplate.class);
        return t;
    }

    static List<String> names(List<SandboxTemplate> items) {
        return items.stream().map(t -> t.getMetadata().getNamespace() + "/" + t.getMetadata().getName() + ":" + t.getMetadata().getLabels().get("color")).toList();
    }

    @Test
    void aWatchFromAPastRevisionReplaysEveryChangeAfterIt() throws Exception {
        store.create(template("a", "t1", "red"));
        long since = store.revision();
        SandboxTemplate t2 = store.create(template("a", "t2", "red"));
        t2.getMetadata().getLabels().put("color", "blue");
        store.update(t2);
        store.delete(SandboxTemplate.class, "a", "t1");
        List<String> seen = new ArrayList<>();
        try (AutoCloseable w = store.watch(Store.kindKey(SandboxTemplate.class), null, since, e ->
                seen.add(e.type() + " " + e.object().getMetadata().getName() + " " + e.revision() + (e.previous() == null ? "" : " prev=" + e.previous().path("metadata").path("labels").path("color").asText())))) {
            store.create(template("a", "t3", "green"));
        }
        assertThat(seen).containsExactly("ADDED t2 " + (since + 1), "MODIFIED t2 " + (since + 2) + " prev=red",
                "DELETED t1 " + (since + 3) + " prev=red", "ADDED t3 " + (since + 4));
    }

    @Test
    void aRevisionOlderThanTheHistoryIsExpired() {
        store.setHistoryLimits(2, 1 << 20, Duration.ofMinutes(5));
        long start = store.revision();
        for (int i = 0; i < 5; i++) store.create(template("a", "t" + i, "red"));
        assertThat(store.oldestRevision()).isEqualTo(start + 3);
        assertThatThrownBy(() -> store.watch(null, null, start + 1, e -> { })).isInstanceOf(ExpiredException.class)
                .hasMessage("too old resource version: " + (start + 1) + " (" + (start + 3) + ")");
        assertThatThrownBy(() -> store.list(SandboxTemplate.class, "a", null, start + 2, null, 0)).isInstanceOf(ExpiredException.class);
        // the oldest revision itself and the current one are fine
        assertThat(store.list(SandboxTemplate.class, "a", null, start + 3, null, 0).items()).hasSize(3);
        assertThat(store.list(SandboxTemplate.class, "a", null, 0, null, 0).items()).hasSize(5);
    }

    @Test
    void aListAsOfAPastRevisionShowsTheObjectsAsTheyWereThen() {
        store.create(template("a", "t1", "red"));
        store.create(template("b", "t2", "red"));
        SandboxTemplate t3 = store.create(template("a", "t3", "red"));
        long then = store.revision();
        store.delete(SandboxTemplate.class, "a", "t1");
        t3.getMetadata().getLabels().put("color", "blue");
        store.update(t3);
        store.create(template("a", "t0", "new"));
        Store.Page<SandboxTemplate> past = store.list(SandboxTemplate.class, null, null, then, null, 0);
        assertThat(past.revision()).isEqualTo(then);
        assertThat(names(past.items())).containsExactly("a/t1:red", "a/t3:red", "b/t2:red");
        assertThat(names(store.list(SandboxTemplate.class, null, null, 0, null, 0).items())).containsExactly("a/t0:new", "a/t3:blue", "b/t2:red");
        // filters see the past objects
        assertThat(names(store.list(SandboxTemplate.class, "a", o -> o.path("metadata").path("labels").path("color").asText().equals("red"), then, null, 0).items()))
                .containsExactly("a/t1:red", "a/t3:red");
    }

    @Test
    void pagesOfAPastRevisionAreConsistentWhateverChangesInBetween() {
        for (int i = 0; i < 7; i++) store.create(template(i % 2 == 0 ? "a" : "b", "t" + i, "red"));
        Store.Page<SandboxTemplate> first = store.list(SandboxTemplate.class, null, null, 0, null, 3);
        assertThat(names(first.items())).containsExactly("a/t0:red", "a/t2:red", "a/t4:red");
        assertThat(first.last()).isEqualTo(new Store.Key("a", "t4"));
        // between the pages: one deleted, one added, one changed
        store.delete(SandboxTemplate.class, "b", "t3");
        store.create(template("a", "t9", "new"));
        SandboxTemplate t5 = store.get(SandboxTemplate.class, "b", "t5").orElseThrow();
        t5.getMetadata().getLabels().put("color", "blue");
        store.update(t5);
        List<String> rest = new ArrayList<>();
        Store.Key after = first.last();
        while (after != null) {
            Store.Page<SandboxTemplate> p = store.list(SandboxTemplate.class, null, null, first.revision(), after, 3);
            assertThat(p.revision()).isEqualTo(first.revision());
            rest.addAll(names(p.items()));
            after = p.last();
        }
        assertThat(rest).containsExactly("a/t6:red", "b/t1:red", "b/t3:red", "b/t5:red");
    }

    @Test
    void aDryRunWritesNothingAndEmitsNothing() {
        List<StoreEvent> events = new ArrayList<>();
        store.watch(events::add);
        long rev = store.revision();
        SandboxTemplate dry = store.create(template("a", "t1", "red"), true);
        assertThat(dry.getMetadata().getUid()).isNotEmpty();
        assertThat(dry.getMetadata().getResourceVersion()).isNull();
        assertThat(store.get(SandboxTemplate.class, "a", "t1")).isEmpty();
        SandboxTemplate real = store.create(template("a", "t1", "red"));
        real.getMetadata().setLabels(Map.of("color", "blue"));
        SandboxTemplate dryUpdate = store.update(real, true);
        assertThat(dryUpdate.getMetadata().getLabels()).containsEntry("color", "blue");
        assertThat(dryUpdate.getMetadata().getResourceVersion()).isEqualTo(Long.toString(rev + 1));
        assertThat(store.delete(SandboxTemplate.class, "a", "t1", null, null, true)).isPresent();
        assertThat(store.get(SandboxTemplate.class, "a", "t1").orElseThrow().getMetadata().getLabels()).containsEntry("color", "red");
        assertThat(store.revision()).isEqualTo(rev + 1);
        assertThat(events).hasSize(1);
    }
}
