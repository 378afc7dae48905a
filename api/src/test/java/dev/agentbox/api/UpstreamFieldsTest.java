package dev.agentbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolStatus;
import dev.agentbox.api.extensions.v1beta1.VolumeClaimTemplatesPolicy;
import io.fabric8.kubernetes.api.model.Event;
import org.junit.jupiter.api.Test;

/**
 * The upstream fields added for issue 11 (SandboxTemplate volumeClaimTemplatesPolicy, SandboxClaim volumeClaimTemplates,
 * SandboxWarmPool readinessGracePeriodSeconds and status.observedGeneration) parse, validate and round-trip; and the
 * core/v1 Event kind is served.
 */
class UpstreamFieldsTest {

    static final String TEMPLATE = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: python
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: python
                    image: agentbox/builtin
              volumeClaimTemplatesPolicy: Overrides
            """;

    static final String CLAIM = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxClaim
            metadata:
              name: c
            spec:
              warmPoolRef:
                name: pool
              volumeClaimTemplates:
              - metadata:
                  name: workspace
                spec:
                  accessModes: ["ReadWriteOnce"]
                  resources:
                    requests:
                      storage: 1Gi
            """;

    static final String POOL = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxWarmPool
            metadata:
              name: pool
            spec:
              replicas: 2
              sandboxTemplateRef:
                name: python
              readinessGracePeriodSeconds: 600
            status:
              replicas: 2
              readyReplicas: 1
              selector: agents.x-k8s.io/pool=abc
              observedGeneration: 3
            """;

    @Test
    void templateVolumeClaimTemplatesPolicyParsesWithItsUpstreamValuesAndDefault() {
        SandboxTemplate t = Resources.parse(TEMPLATE, SandboxTemplate.class);
        assertThat(t.getSpec().getVolumeClaimTemplatesPolicy()).isEqualTo(VolumeClaimTemplatesPolicy.OVERRIDES);
        assertThat(Resources.toJson(t)).contains("\"volumeClaimTemplatesPolicy\":\"Overrides\"");
        Validation.check(t);
        SandboxTemplate plain = Resources.parse(TEMPLATE.replace("  volumeClaimTemplatesPolicy: Overrides\n", ""), SandboxTemplate.class);
        assertThat(plain.getSpec().getVolumeClaimTemplatesPolicy()).isNull();
        assertThat(plain.getSpec().effectiveVolumeClaimTemplatesPolicy()).isEqualTo(VolumeClaimTemplatesPolicy.DISALLOWED);
        assertThatThrownBy(() -> Resources.parse(TEMPLATE.replace("Overrides", "Sometimes"), SandboxTemplate.class))
                .isInstanceOf(InvalidException.class).hasMessageContaining("spec.volumeClaimTemplatesPolicy")
                .hasMessageContaining("Disallowed, Allowed, Overrides");
    }

    @Test
    void claimVolumeClaimTemplatesParseRoundTripAndAreValidatedLikeTheSandboxes() {
        SandboxClaim c = Resources.parse(CLAIM, SandboxClaim.class);
        assertThat(c.getSpec().getVolumeClaimTemplates()).singleElement()
                .satisfies(v -> assertThat(v.getMetadata().getName()).isEqualTo("workspace"));
        Validation.check(c);
        assertThat(Resources.parse(Resources.toYaml(c), SandboxClaim.class).getSpec()).isEqualTo(c.getSpec());
        SandboxClaim duplicate = Resources.parse(CLAIM + """
                  - metadata:
                      name: workspace
                    spec: {}
                """, SandboxClaim.class);
        assertThat(Validation.errors(duplicate)).extracting(FieldError::field).contains("spec.volumeClaimTemplates[1].metadata.name");
        SandboxClaim unnamed = Resources.parse(CLAIM.replace("    name: workspace\n", "    labels: {a: b}\n"), SandboxClaim.class);
        assertThat(Validation.errors(unnamed)).extracting(FieldError::field).containsExactly("spec.volumeClaimTemplates[0].metadata.name");
    }

    @Test
    void warmPoolReadinessGracePeriodAndObservedGenerationParseAndRoundTrip() {
        SandboxWarmPool p = Resources.parse(POOL, SandboxWarmPool.class);
        assertThat(p.getSpec().getReadinessGracePeriodSeconds()).isEqualTo(600);
        assertThat(p.getSpec().effectiveReadinessGracePeriodSeconds()).isEqualTo(600);
        assertThat(p.getStatus().getObservedGeneration()).isEqualTo(3L);
        assertThat(Resources.toJson(p)).contains("\"readinessGracePeriodSeconds\":600").contains("\"observedGeneration\":3");
        Validation.check(p);
        assertThat(new SandboxWarmPoolSpec().effectiveReadinessGracePeriodSeconds()).isEqualTo(300);
        assertThat(new SandboxWarmPoolStatus(1, 1, "s")).isNotEqualTo(withGeneration(new SandboxWarmPoolStatus(1, 1, "s"), 2L));
        SandboxWarmPool zero = Resources.parse(POOL.replace("600", "0"), SandboxWarmPool.class);
        assertThat(Validation.errors(zero)).extracting(FieldError::field).containsExactly("spec.readinessGracePeriodSeconds");
    }

    private static SandboxWarmPoolStatus withGeneration(SandboxWarmPoolStatus s, long generation) {
        s.setObservedGeneration(generation);
        return s;
    }

    @Test
    void coreV1EventIsAServedKindUnderTheCoreGroup() {
        ResourceKind events = ResourceKinds.byPlural("", "v1", "events").orElseThrow();
        assertThat(events.type()).isEqualTo(Event.class);
        assertThat(events.apiVersion()).isEqualTo("v1");
        assertThat(events.namespaced()).isTrue();
        assertThat(ResourceKinds.byName("events")).contains(events);
        assertThat(ResourceKinds.forClass(Event.class)).isEqualTo(events);
        Event e = (Event) Resources.parseAll("""
                apiVersion: v1
                kind: Event
                metadata:
                  name: c.17a2b3c4d5e6f708
                  namespace: default
                involvedObject:
                  apiVersion: extensions.agents.x-k8s.io/v1beta1
                  kind: SandboxClaim
                  name: c
                  namespace: default
                reason: SandboxAdopted
                message: Adopted warm pool Sandbox "pool-abcde"
                type: Normal
                count: 2
                source:
                  component: agentboxd
                """).get(0);
        assertThat(e.getCount()).isEqualTo(2);
        Validation.check(e);
        e.getInvolvedObject().setNamespace("other");
        e.setType("Bogus");
        assertThat(Validation.errors(e)).extracting(FieldError::field).containsExactly("involvedObject.namespace", "type");
    }
}
