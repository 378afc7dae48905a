package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * fabric8's KubernetesClient (not agentbox's SDK) pointed at agentboxd as at a cluster (plain HTTP, the admin token):
 * it finds the groups and kinds through discovery and lists claims as generic resources, resolving the plural from
 * the APIResourceList.
 */
class Fabric8ClientTest {
    static Daemon daemon;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(daemon.agentboxd.endpoint().toString()).withCaCertFile(daemon.agentboxd.caFile().toString()).withOauthToken(daemon.token)
                .withNamespace("default").withRequestRetryBackoffLimit(0).build();
        client = new KubernetesClientBuilder().withConfig(config).build();
        daemon.createOk("default", Daemon.TEMPLATE);
        daemon.createOk("default", Daemon.pool("pool", 0));
        daemon.createOk("default", Daemon.claim("c1", "pool"));
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        daemon.close();
    }

    @Test
    void discoversTheApiGroupsAndResources() {
        List<String> groups = client.getApiGroups().getGroups().stream().map(APIGroup::getName).toList();
        assertThat(groups).contains("agents.x-k8s.io", "extensions.agents.x-k8s.io", "podsnapshot.gke.io");
        APIGroup ext = client.getApiGroup("extensions.agents.x-k8s.io");
        assertThat(ext.getPreferredVersion().getGroupVersion()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        List<APIResource> resources = client.getApiResources("extensions.agents.x-k8s.io/v1beta1").getResources();
        APIResource pools = resources.stream().filter(r -> r.getName().equals("sandboxwarmpools")).findFirst().orElseThrow();
        assertThat(pools.getKind()).isEqualTo("SandboxWarmPool");
        assertThat(pools.getNamespaced()).isTrue();
        assertThat(pools.getShortNames()).containsExactly("swp");
        assertThat(pools.getVerbs()).contains("list", "watch", "patch");
        assertThat(client.getKubernetesVersion().getGitVersion()).isEqualTo("v1.32.0-agentbox");
        assertThat(client.supports("extensions.agents.x-k8s.io/v1beta1", "SandboxClaim")).isTrue();
    }

    @Test
    void listsAndGetsClaimsAsGenericResources() {
        List<GenericKubernetesResource> claims = client.genericKubernetesResources("extensions.agents.x-k8s.io/v1beta1", "SandboxClaim")
                .inNamespace("default").list().getItems();
        assertThat(claims).extracting(c -> c.getMetadata().getName()).containsExactly("c1");
        GenericKubernetesResource c1 = claims.get(0);
        assertThat(c1.getKind()).isEqualTo("SandboxClaim");
        assertThat(c1.<String>get("spec", "warmPoolRef", "name")).isEqualTo("pool");
        GenericKubernetesResource one = client.genericKubernetesResources("extensions.agents.x-k8s.io/v1beta1", "SandboxClaim")
                .inNamespace("default").withName("c1").get();
        assertThat(one.getMetadata().getUid()).isEqualTo(c1.getMetadata().getUid());
        // a cluster-scoped kind: discovery says it is not namespaced, so the path has no namespace
        assertThat(client.genericKubernetesResources("podsnapshot.gke.io/v1", "PodSnapshotStorageConfig").list().getItems()).isEmpty();
    }
}
