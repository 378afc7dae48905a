package dev.agentbox.operator.reconcilers;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.EventReasons;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.operator.desired.Objects2;
import dev.agentbox.operator.desired.SandboxPlan;
import dev.agentbox.operator.desired.Sandboxes;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandbox → Pod (+ headless Service, + PVCs). Decides with {@link Sandboxes#plan}, acts, then writes the status
 * computed by {@link Sandboxes#status} from the observed Pod. Pods and Services are watched (owner references), so a
 * Pod becoming Ready re-runs this reconciler.
 */
@ControllerConfiguration(name = "sandbox")
public final class SandboxReconciler implements Reconciler<Sandbox> {
    private static final Logger log = LoggerFactory.getLogger(SandboxReconciler.class);
    private final Clock clock;
    private final ClusterEvents events;

    /** Records SandboxPodCreated on the Sandbox when it creates its Pod ({@code events} may be null: none). */
    public SandboxReconciler(Clock clock, ClusterEvents events) {
        this.clock = clock;
        this.events = events;
    }

    @Override
    public List<EventSource<?, Sandbox>> prepareEventSources(EventSourceContext<Sandbox> context) {
        return List.of(
                new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, Sandbox.class)
                        .withName("sandbox-pods").withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Sandbox.class, false)).build(), context),
                new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, Sandbox.class)
                        .withName("sandbox-services").withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Sandbox.class, false)).build(), context));
    }

    @Override
    public UpdateControl<Sandbox> reconcile(Sandbox sandbox, Context<Sandbox> context) {
        KubernetesClient client = context.getClient();
        Instant now = clock.instant();
        String ns = sandbox.getMetadata().getNamespace();
        String name = sandbox.getMetadata().getName();
        if (sandbox.getMetadata().getDeletionTimestamp() != null) return UpdateControl.noUpdate();
        SandboxPlan plan = Sandboxes.plan(sandbox, now);
        Pod pod = client.pods().inNamespace(ns).withName(Sandboxes.podName(sandbox)).get();
        if (pod != null && !Objects2.controlledBy(pod, sandbox)) {
            return writeStatus(client, sandbox, reconcilerError(sandbox, now, "a Pod named " + pod.getMetadata().getName()
                    + " exists and is not controlled by this Sandbox; delete or rename it"), null);
        }
        switch (plan) {
            case SandboxPlan.DeleteSandbox d -> {
                client.resource(sandbox).delete();
                log.info("sandbox {}/{} deleted: {}", ns, name, d.reason());
                return UpdateControl.noUpdate();
            }
            case SandboxPlan.Expire e -> {
                deletePod(client, pod, ns, name, "shutdownTime passed");
                deleteService(client, sandbox);
                pod = null;
            }
            case SandboxPlan.Suspend s -> {
                deletePod(client, pod, ns, name, "operatingMode Suspended");
                pod = pod == null ? null : client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).get();
            }
            case SandboxPlan.Run run -> {
                for (PersistentVolumeClaim pvc : run.volumeClaims()) {
                    if (client.persistentVolumeClaims().inNamespace(ns).withName(pvc.getMetadata().getName()).get() == null) {
                        createIgnoringExists(client, pvc);
                        log.info("sandbox {}/{}: created PersistentVolumeClaim {}", ns, name, pvc.getMetadata().getName());
                    }
                }
                if (pod == null) {
                    pod = createIgnoringExists(client, run.pod());
                    log.info("sandbox {}/{}: created Pod (runtimeClassName {})", ns, name, run.pod().getSpec().getRuntimeClassName());
                    if (events != null) events.normal(sandbox, EventReasons.SANDBOX_POD_CREATED, "Starting", "Created Pod " + run.pod().getMetadata().getName()
                            + " (runtimeClassName " + run.pod().getSpec().getRuntimeClassName() + ")");
                } else if (pod.getMetadata().getDeletionTimestamp() == null && !Sandboxes.podMetadataUpToDate(pod, run.pod())) {
                    Map<String, String> labels = run.pod().getMetadata().getLabels();
                    Map<String, String> annotations = run.pod().getMetadata().getAnnotations();
                    pod = client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).edit(p -> {
                        Map<String, String> l = new LinkedHashMap<>(p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels());
                        l.putAll(labels);
                        Map<String, String> a = new LinkedHashMap<>(p.getMetadata().getAnnotations() == null ? Map.of() : p.getMetadata().getAnnotations());
                        a.putAll(annotations);
                        p.getMetadata().setLabels(l);
                        p.getMetadata().setAnnotations(a);
                        return p;
                    });
                    log.info("sandbox {}/{}: updated the Pod's labels and annotations", ns, name);
                }
                Service existing = client.services().inNamespace(ns).withName(name).get();
                if (run.service() != null && existing == null) {
                    createIgnoringExists(client, run.service());
                    log.info("sandbox {}/{}: created headless Service", ns, name);
                } else if (run.deleteService() && existing != null && Objects2.controlledBy(existing, sandbox)) {
                    client.resource(existing).delete();
                }
            }
        }
        UpdateControl<Sandbox> control = writeStatus(client, sandbox, Sandboxes.status(sandbox, plan, pod, now), plan);
        if (plan instanceof SandboxPlan.Run run && run.requeueAfter() != null) control.rescheduleAfter(run.requeueAfter().plusMillis(50));
        return control;
    }

    private static SandboxStatus reconcilerError(Sandbox sandbox, Instant now, String message) {
        SandboxStatus status = sandbox.getStatus() == null ? new SandboxStatus() : sandbox.getStatus();
        Conditions.set(status, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_RECONCILER_ERROR, message,
                sandbox.getMetadata().getGeneration()), now);
        return status;
    }

    private UpdateControl<Sandbox> writeStatus(KubernetesClient client, Sandbox sandbox, SandboxStatus status, SandboxPlan plan) {
        if (Objects.equals(status, sandbox.getStatus())) return UpdateControl.noUpdate();
        String before = Conditions.get(sandbox.getStatus(), Conditions.READY).map(c -> c.getStatus() + "/" + c.getReason()).orElse("-");
        String after = Conditions.get(status, Conditions.READY).map(c -> c.getStatus() + "/" + c.getReason()).orElse("-");
        sandbox.setStatus(status);
        Statuses.patch(client, sandbox);
        if (!before.equals(after)) {
            log.info("sandbox {}/{}: Ready {} -> {}", sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName(), before, after);
        }
        return UpdateControl.noUpdate();
    }

    private static void deletePod(KubernetesClient client, Pod pod, String ns, String name, String why) {
        if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) return;
        client.resource(pod).delete();
        log.info("sandbox {}/{}: deleted Pod {} ({})", ns, name, pod.getMetadata().getName(), why);
    }

    private static void deleteService(KubernetesClient client, Sandbox sandbox) {
        Service svc = client.services().inNamespace(sandbox.getMetadata().getNamespace()).withName(sandbox.getMetadata().getName()).get();
        if (svc != null && Objects2.controlledBy(svc, sandbox)) client.resource(svc).delete();
    }

    static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T createIgnoringExists(KubernetesClient client, T object) {
        try {
            return client.resource(object).create();
        } catch (KubernetesClientException e) {
            if (!Statuses.isConflict(e)) throw e;
            return client.resource(object).get();
        }
    }
}
