package dev.agentbox.server.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.Resources;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The periodic sweep: what lost its owner goes, what still has one or whose owner cannot be resolved stays. */
class GarbageCollectorTest {
    static final String SANDBOX = """
            apiVersion: agents.x-k8s.io/v1beta1
            kind: Sandbox
            metadata:
              name: %s
              namespace: default
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: main
                    image: agentbox/builtin
            """;

    static Sandbox sandbox(String name, String apiVersion, String ownerKind, String ownerName, String ownerUid) {
        Sandbox s = Resources.parse(SANDBOX.formatted(name), Sandbox.class);
        if (ownerKind != null) {
            s.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion(apiVersion).withKind(ownerKind)
                    .withName(ownerName).withUid(ownerUid).withController(true).build()));
        }
        return s;
    }

    @Test
    void orphansOfEveryGenerationAreCollectedInOneSweep(@TempDir Path dir) {
        try (Store store = new Store(dir.resolve("state.db"), new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES))) {
            SandboxClaim claim = Resources.parse("""
                    apiVersion: extensions.agents.x-k8s.io/v1beta1
                    kind: SandboxClaim
                    metadata:
                      name: c
                      namespace: default
                    spec:
                      warmPoolRef:
                        name: p
                    """, SandboxClaim.class);
            claim.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("extensions.agents.x-k8s.io/v1beta1")
                    .withKind("SandboxWarmPool").withName("gone").withUid("no-such-uid").build()));
            SandboxClaim c = store.create(claim);
            String ext = "extensions.agents.x-k8s.io/v1beta1";
            store.create(sandbox("of-claim", ext, "SandboxClaim", "c", c.getMetadata().getUid())); // orphaned once the claim goes
            store.create(sandbox("of-old-incarnation", ext, "SandboxClaim", "c", "another-uid"));
            store.create(sandbox("of-unknown-kind", "v1", "Pod", "p", "x"));
            store.create(sandbox("plain", null, null, null, null));

            assertThat(new GarbageCollector(store).collectOrphans()).isEqualTo(3);
            assertThat(store.list(Sandbox.class, "default")).extracting(s -> s.getMetadata().getName())
                    .containsExactlyInAnyOrder("of-unknown-kind", "plain");
            assertThat(store.list(SandboxClaim.class, "default")).isEmpty();
        }
    }
}
