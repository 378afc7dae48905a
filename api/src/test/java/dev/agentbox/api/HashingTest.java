package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import org.junit.jupiter.api.Test;

class HashingTest {
    @Test
    void nameHashIsUpstreamsFnv1a32InEightHexDigits() {
        // reference values of FNV-1a 32 (Go's hash/fnv New32a)
        assertThat(Hashing.nameHash("")).isEqualTo("811c9dc5");
        assertThat(Hashing.nameHash("a")).isEqualTo("e40c292c");
        assertThat(Hashing.nameHash("foobar")).isEqualTo("bf9cf968");
        assertThat(Hashing.nameHash("my-sandbox")).hasSize(8).matches("[0-9a-f]{8}");
    }

    @Test
    void blueprintHashIgnoresKeyOrderAndFollowsContent() {
        SandboxTemplate a = Resources.parse(ResourcesTest.TEMPLATE, SandboxTemplate.class);
        String reordered = """
                apiVersion: extensions.agents.x-k8s.io/v1beta1
                kind: SandboxTemplate
                metadata: {name: other-name}
                spec:
                  networkPolicyManagement: Managed
                  podTemplate:
                    spec:
                      containers:
                      - resources: {limits: {cpu: "1", memory: 256Mi}}
                        command: ["sleep", "infinity"]
                        image: agentbox/builtin
                        name: python
                    metadata:
                      annotations: {anything.example.com/goes: here}
                """;
        SandboxTemplate b = Resources.parse(reordered, SandboxTemplate.class);
        assertThat(Hashing.blueprintHash(b.getSpec())).isEqualTo(Hashing.blueprintHash(a.getSpec())).hasSize(16);
        b.getSpec().getPodTemplate().getSpec().getContainers().get(0).setImage("python:3.12");
        assertThat(Hashing.blueprintHash(b.getSpec())).isNotEqualTo(Hashing.blueprintHash(a.getSpec()));
    }
}
