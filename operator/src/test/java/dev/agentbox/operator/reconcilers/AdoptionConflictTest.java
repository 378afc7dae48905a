package dev.agentbox.operator.reconcilers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolRef;
import dev.agentbox.operator.Cluster;
import dev.agentbox.operator.crd.Crds;
import dev.agentbox.operator.desired.Claims;
import dev.agentbox.operator.desired.WarmPools;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Adoption under contention, against the CRUD mock server without the operator running: ten claims bind at the same
 * instant while the pool has exactly one Ready member. The member's resourceVersion makes exactly one adoption win;
 * the other nine get 409 Conflict and go cold. Nothing here depends on timing.
 */
@EnableKubernetesMockClient(crud = true)
class AdoptionConflictTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private SandboxWarmPool pool;
    private Sandbox member;

    @BeforeEach
    void onePoolMember() {
        if (client.apiextensions().v1().customResourceDefinitions().list().getItems().isEmpty()) {
            for (var crd : Crds.loadAll()) client.resource(crd).create();
        }
        SandboxTemplate t = (SandboxTemplate) Cluster.example("python-runtime-template.yaml");
        t.getMetadata().setNamespace("race");
        client.resource(t).createOr(r -> r.update());
        SandboxWarmPool p = (SandboxWarmPool) Cluster.example("warm-pool.yaml");
        p.getMetadata().setNamespace("race");
        pool = client.resource(p).createOr(r -> r.update());
        Sandbox m = WarmPools.newMember(pool, client.resources(SandboxTemplate.class).inNamespace("race").withName("python-runtime").get());
        m.getMetadata().setGenerateName(null);
        m.getMetadata().setName("member-" + System.nanoTime());
        member = client.resource(m).create();
        SandboxStatus st = new SandboxStatus();
        Conditions.set(st, Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_DEPENDENCIES_READY, "ready", 1L), Instant.now());
        member.setStatus(st);
        member = client.resource(member).updateStatus();
    }

    private SandboxClaim claim(String name) {
        SandboxClaim c = new SandboxClaim();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("race").build());
        c.setSpec(new SandboxClaimSpec(new SandboxWarmPoolRef("python-pool")));
        return client.resource(c).create();
    }

    @Test
    void anUpdateCarryingAStaleResourceVersionIsRejected() {
        Sandbox first = Claims.adopt(member, claim("a-" + System.nanoTime()), pool);
        Sandbox second = Claims.adopt(member, claim("b-" + System.nanoTime()), pool);
        client.resource(first).update();
        assertThatThrownBy(() -> client.resource(second).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    }

    @Test
    void tenClaimsRacingForOneReadyMemberGiveOneWarmAdoptionAndNineColdSandboxes() throws Exception {
        SandboxClaimReconciler reconciler = new SandboxClaimReconciler(Clock.systemUTC());
        List<SandboxClaim> claims = new ArrayList<>();
        for (int i = 0; i < 10; i++) claims.add(claim("race-" + i + "-" + System.nanoTime() % 100000));
        CyclicBarrier start = new CyclicBarrier(10);
        ExecutorService exec = Executors.newFixedThreadPool(10);
        List<Future<String>> results = new ArrayList<>();
        for (SandboxClaim c : claims) {
            results.add(exec.submit(() -> {
                start.await();
                return reconciler.bind(client, c, Instant.now()).sandboxName();
            }));
        }
        List<String> names = new ArrayList<>();
        for (Future<String> f : results) names.add(f.get());
        exec.shutdown();

        assertThat(names).doesNotHaveDuplicates().hasSize(10);
        assertThat(names).filteredOn(n -> n.equals(member.getMetadata().getName())).hasSize(1);
        Sandbox adopted = client.resources(Sandbox.class).inNamespace("race").withName(member.getMetadata().getName()).get();
        String winner = claims.get(names.indexOf(member.getMetadata().getName())).getMetadata().getUid();
        assertThat(adopted.getMetadata().getLabels()).containsEntry(Names.CLAIM_UID_LABEL, winner).doesNotContainKey(Names.WARM_POOL_SANDBOX_LABEL);
        assertThat(adopted.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo(winner));
        for (int i = 0; i < 10; i++) {
            if (names.get(i).equals(member.getMetadata().getName())) continue;
            assertThat(names.get(i)).isEqualTo(claims.get(i).getMetadata().getName());
            Sandbox cold = client.resources(Sandbox.class).inNamespace("race").withName(names.get(i)).get();
            assertThat(cold.getMetadata().getLabels()).containsEntry(Names.LAUNCH_TYPE_LABEL, Names.LAUNCH_TYPE_COLD);
        }
    }
}
