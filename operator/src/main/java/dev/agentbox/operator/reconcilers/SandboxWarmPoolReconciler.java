package dev.agentbox.operator.reconcilers;

import dev.agentbox.api.EventReasons;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.operator.desired.Objects2;
import dev.agentbox.operator.desired.WarmPoolPlan;
import dev.agentbox.operator.desired.WarmPools;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SandboxWarmPool → {@code replicas} unclaimed Sandboxes ({@link WarmPools#plan}). Sandboxes map back to their pool
 * through the {@code agentbox.dev/warm-pool} annotation (kept after a claim adopts one, so the pool refills at once);
 * template changes re-run the pools that use the template.
 */
@ControllerConfiguration(name = "sandboxwarmpool")
public final class SandboxWarmPoolReconciler implements Reconciler<SandboxWarmPool> {
    private static final Logger log = LoggerFactory.getLogger(SandboxWarmPoolReconciler.class);
    private final ClusterEvents events;

    /** Records SuccessfulCreate and SuccessfulDelete on the pool per member ({@code events} may be null: none). */
    public SandboxWarmPoolReconciler(ClusterEvents events) {
        this.events = events;
    }

    @Override
    public List<EventSource<?, SandboxWarmPool>> prepareEventSources(EventSourceContext<SandboxWarmPool> context) {
        var sandboxes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Sandbox.class, SandboxWarmPool.class)
                .withName("pool-sandboxes")
                .withSecondaryToPrimaryMapper((Sandbox s) -> {
                    String pool = Objects2.annotations(s).get(WarmPools.POOL_ANNOTATION);
                    return pool == null ? Set.of() : Set.of(new ResourceID(pool, s.getMetadata().getNamespace()));
                }).build(), context);
        var templates = new InformerEventSource<>(InformerEventSourceConfiguration.from(SandboxTemplate.class, SandboxWarmPool.class)
                .withName("pool-templates")
                .withSecondaryToPrimaryMapper((SandboxTemplate t) -> context.getPrimaryCache()
                        .list(t.getMetadata().getNamespace(), p -> p.getSpec() != null && p.getSpec().getSandboxTemplateRef() != null
                                && t.getMetadata().getName().equals(p.getSpec().getSandboxTemplateRef().getName()))
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context);
        return List.of(sandboxes, templates);
    }

    @Override
    public UpdateControl<SandboxWarmPool> reconcile(SandboxWarmPool pool, Context<SandboxWarmPool> context) {
        KubernetesClient client = context.getClient();
        String ns = pool.getMetadata().getNamespace();
        if (pool.getMetadata().getDeletionTimestamp() != null) return UpdateControl.noUpdate();
        String templateName = pool.getSpec().getSandboxTemplateRef() == null ? null : pool.getSpec().getSandboxTemplateRef().getName();
        SandboxTemplate template = templateName == null ? null
                : client.resources(SandboxTemplate.class).inNamespace(ns).withName(templateName).get();
        List<Sandbox> members = client.resources(Sandbox.class).inNamespace(ns)
                .withLabel(dev.agentbox.api.Names.WARM_POOL_SANDBOX_LABEL, WarmPools.poolLabelValue(pool)).list().getItems()
                .stream().filter(s -> WarmPools.isMember(s, pool)).toList();
        WarmPoolPlan plan = WarmPools.plan(pool, template, members, java.time.Instant.now());
        if (plan.templateMissing()) log.warn("warm pool {}/{}: SandboxTemplate {} not found; waiting for it", ns, pool.getMetadata().getName(), templateName);
        for (String name : plan.delete()) {
            client.resources(Sandbox.class).inNamespace(ns).withName(name).delete();
            log.info("warm pool {}/{}: deleted member {}", ns, pool.getMetadata().getName(), name);
            if (events != null) events.normal(pool, EventReasons.SUCCESSFUL_DELETE, "Deleting", "Deleted sandbox: " + name);
        }
        for (Sandbox s : plan.create()) {
            Sandbox created = client.resource(s).create();
            log.info("warm pool {}/{}: created member {}", ns, pool.getMetadata().getName(), created.getMetadata().getName());
            if (events != null) events.normal(pool, EventReasons.SUCCESSFUL_CREATE, "Creating", "Created sandbox: " + created.getMetadata().getName());
        }
        var status = plan.status();
        if (!plan.create().isEmpty()) status.setReplicas(status.getReplicas() + plan.create().size());
        if (!Objects.equals(status, pool.getStatus())) {
            pool.setStatus(status);
            Statuses.patch(client, pool);
        }
        UpdateControl<SandboxWarmPool> control = UpdateControl.noUpdate();
        if (plan.templateMissing()) control.rescheduleAfter(Duration.ofSeconds(10));
        else if (plan.recheckAfter() != null) control.rescheduleAfter(plan.recheckAfter());
        return control;
    }
}
