package dev.agentbox.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agentbox.operator.crd.Crds;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The install manifests under deploy/: complete, least-privilege RBAC, leader election wired, and accepted by an API server. */
@EnableKubernetesMockClient(crud = true)
class DeployManifestsTest {
    static KubernetesMockServer server;
    static KubernetesClient client;
    private static final Path DEPLOY = Path.of("deploy");

    private static List<HasMetadata> load(String file) throws Exception {
        Object parsed = Serialization.unmarshal(Files.readString(DEPLOY.resolve(file)));
        if (parsed instanceof KubernetesList l) return l.getItems();
        if (parsed instanceof List<?> l) return l.stream().map(HasMetadata.class::cast).toList();
        return List.of((HasMetadata) parsed);
    }

    private static <T> T only(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
    }

    /** Every (apiGroup, resource, verb) the reconcilers use, JOSDK's informers included. */
    private static final List<String> NEEDED = List.of(
            "agents.x-k8s.io sandboxes get,list,watch,create,update,delete",
            "agents.x-k8s.io sandboxes/status update",
            "extensions.agents.x-k8s.io sandboxclaims get,list,watch,update,patch,delete",
            "extensions.agents.x-k8s.io sandboxclaims/status update",
            "extensions.agents.x-k8s.io sandboxwarmpools get,list,watch",
            "extensions.agents.x-k8s.io sandboxwarmpools/status update",
            "extensions.agents.x-k8s.io sandboxtemplates get,list,watch",
            " pods get,list,watch,create,patch,delete",
            " services get,list,watch,create,delete",
            " persistentvolumeclaims get,list,watch,create",
            " events create",
            "networking.k8s.io networkpolicies get,list,watch,create,update,delete");

    private static boolean allows(List<PolicyRule> rules, String group, String resource, String verb) {
        return rules.stream().anyMatch(r -> r.getApiGroups().contains(group) && r.getResources().contains(resource) && r.getVerbs().contains(verb));
    }

    @Test
    void clusterRoleGrantsWhatTheReconcilersUseAndNoWildcards() throws Exception {
        ClusterRole role = only(load("rbac.yaml"), ClusterRole.class);
        for (PolicyRule r : role.getRules()) {
            assertThat(r.getVerbs()).doesNotContain("*");
            assertThat(r.getResources()).doesNotContain("*");
            assertThat(r.getApiGroups()).doesNotContain("*");
            assertThat(r.getResources()).as("no access to secrets or configmaps").doesNotContain("secrets", "configmaps", "pods/exec");
        }
        for (String need : NEEDED) {
            String[] p = need.split(" ");
            for (String verb : p[2].split(",")) {
                assertThat(allows(role.getRules(), p[0], p[1], verb)).as("%s %s %s", p[0], p[1], verb).isTrue();
            }
        }
        Role lease = only(load("rbac.yaml"), Role.class);
        assertThat(lease.getMetadata().getNamespace()).isEqualTo("agentbox-system");
        assertThat(allows(lease.getRules(), "coordination.k8s.io", "leases", "update")).isTrue();
    }

    @Test
    void deploymentRunsTheOperatorWithLeaderElectionAsNonRoot() throws Exception {
        Deployment d = only(load("deployment.yaml"), Deployment.class);
        var pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("agentbox-operator");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        var c = pod.getContainers().get(0);
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("POD_NAMESPACE");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
        });
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(d.getSpec().getReplicas()).isGreaterThan(1);
    }

    @Test
    void kustomizationListsEveryCrdAndTheApiServerAcceptsTheManifests() throws Exception {
        String kustomization = Files.readString(DEPLOY.resolve("kustomization.yaml"));
        for (String crd : Crds.read(Crds.CHECKED_IN).keySet()) assertThat(kustomization).contains("crds/" + crd);
        // the podsnapshot.gke.io CRDs are not installed with the operator (GKE has its own); they have their own kustomization
        assertThat(kustomization).doesNotContain("podsnapshot.gke.io");
        String snapshots = Files.readString(Crds.SNAPSHOT_CHECKED_IN.resolve("kustomization.yaml"));
        assertThat(Crds.read(Crds.SNAPSHOT_CHECKED_IN).keySet()).hasSize(4).allSatisfy(crd -> assertThat(snapshots).contains("- " + crd));
        List<HasMetadata> all = new ArrayList<>();
        for (String f : List.of("namespace.yaml", "rbac.yaml", "deployment.yaml", "runtimeclass-gvisor.yaml")) all.addAll(load(f));
        for (var crd : Crds.loadAll()) all.add(crd);
        for (HasMetadata o : all) assertThat(client.resource(o).create()).as(o.getKind()).isNotNull();
    }

    @Test
    void leaderElectionTakesTheLeaseInTheOperatorsNamespace() {
        for (var crd : Crds.loadAll()) client.resource(crd).createOr(r -> r.update());
        // JOSDK first asks the API server (SelfSubjectRulesReview) whether it may use Leases; the CRUD mock has no
        // authorizer, so answer as a cluster with deploy/rbac.yaml applied would
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder()
                        .withNewStatus().withIncomplete(false)
                        .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("get", "create", "update").endResourceRule().endStatus().build())
                .always();
        Operator operator = AgentboxOperator.create(client, Set.of(), "agentbox-system", false, new OperatorMetrics(), Clock.systemUTC());
        try {
            operator.start();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Lease lease = client.leases().inNamespace("agentbox-system").withName(AgentboxOperator.LEASE_NAME).get();
                assertThat(lease).isNotNull();
                assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();
            });
        } finally {
            operator.stop();
        }
    }
}
