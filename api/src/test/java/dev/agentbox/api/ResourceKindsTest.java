package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import org.junit.jupiter.api.Test;

class ResourceKindsTest {
    @Test
    void findsKindsByPluralApiVersionNameAndClass() {
        ResourceKind pools = ResourceKinds.byPlural("extensions.agents.x-k8s.io", "sandboxwarmpools").orElseThrow();
        assertThat(pools.type()).isEqualTo(SandboxWarmPool.class);
        assertThat(pools.apiVersion()).isEqualTo("extensions.agents.x-k8s.io/v1beta1");
        assertThat(ResourceKinds.byPlural("extensions.agents.x-k8s.io", "v1beta1", "sandboxwarmpools")).contains(pools);
        assertThat(ResourceKinds.byPlural("extensions.agents.x-k8s.io", "v1alpha1", "sandboxwarmpools")).isEmpty();
        assertThat(ResourceKinds.byApiVersionAndKind("agents.x-k8s.io/v1beta1", "Sandbox").orElseThrow().plural()).isEqualTo("sandboxes");
        assertThat(ResourceKinds.byName("swp")).contains(pools);
        assertThat(ResourceKinds.byName("Sandbox").orElseThrow().type()).isEqualTo(Sandbox.class);
        assertThat(ResourceKinds.forClass(Sandbox.class).group()).isEqualTo("agents.x-k8s.io");
        assertThatThrownBy(() -> ResourceKinds.forClass(io.fabric8.kubernetes.api.model.Pod.class)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyKindConstructsWithItsApiVersionAndKind() throws Exception {
        for (ResourceKind k : ResourceKinds.all()) {
            var o = k.type().getDeclaredConstructor().newInstance();
            assertThat(o.getApiVersion()).isEqualTo(k.apiVersion());
            assertThat(o.getKind()).isEqualTo(k.kind());
        }
    }
}
