package dev.agentbox.operator.reconcilers;

import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.operator.desired.NetworkPolicies;
import dev.agentbox.operator.desired.Objects2;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** SandboxTemplate → its one managed NetworkPolicy ({@link NetworkPolicies}); Unmanaged deletes it. */
@ControllerConfiguration(name = "sandboxtemplate")
public final class SandboxTemplateReconciler implements Reconciler<SandboxTemplate> {
    private static final Logger log = LoggerFactory.getLogger(SandboxTemplateReconciler.class);

    @Override
    public List<EventSource<?, SandboxTemplate>> prepareEventSources(EventSourceContext<SandboxTemplate> context) {
        return List.of(new InformerEventSource<>(InformerEventSourceConfiguration.from(NetworkPolicy.class, SandboxTemplate.class)
                .withName("template-networkpolicies").withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SandboxTemplate.class, false)).build(), context));
    }

    @Override
    public UpdateControl<SandboxTemplate> reconcile(SandboxTemplate template, Context<SandboxTemplate> context) {
        KubernetesClient client = context.getClient();
        String ns = template.getMetadata().getNamespace();
        String npName = NetworkPolicies.name(template);
        NetworkPolicy existing = client.network().v1().networkPolicies().inNamespace(ns).withName(npName).get();
        Optional<NetworkPolicy> desired = NetworkPolicies.desired(template);
        if (desired.isEmpty()) {
            if (existing != null && Objects2.controlledBy(existing, template)) {
                client.resource(existing).delete();
                log.info("template {}/{}: deleted NetworkPolicy {} (networkPolicyManagement Unmanaged)", ns, template.getMetadata().getName(), npName);
            }
            return UpdateControl.noUpdate();
        }
        if (existing == null) {
            SandboxReconciler.createIgnoringExists(client, desired.get());
            log.info("template {}/{}: created NetworkPolicy {}", ns, template.getMetadata().getName(), npName);
        } else if (!Objects.equals(existing.getSpec(), desired.get().getSpec())) {
            existing.setSpec(desired.get().getSpec());
            client.resource(existing).update();
            log.info("template {}/{}: updated NetworkPolicy {}", ns, template.getMetadata().getName(), npName);
        }
        return UpdateControl.noUpdate();
    }
}
