package dev.agentbox.operator.reconcilers;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.EventReasons;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.ClaimSandboxStatus;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimStatus;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.internal.Json;
import dev.agentbox.operator.desired.Claims;
import dev.agentbox.operator.desired.Objects2;
import dev.agentbox.operator.desired.WarmPools;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SandboxClaim → one Sandbox. Warm path: a Ready member of the pool is taken with an update that carries the
 * member's resourceVersion, so of two claims racing for one member exactly one wins (the other gets 409 Conflict and
 * tries the next member). Cold path (no Ready member, env injection, or a pinned snapshot restore): a Sandbox named
 * after the claim. The claim's Ready condition mirrors its Sandbox's; the lifecycle is decided by {@link Claims#lifecycle}.
 */
@ControllerConfiguration(name = "sandboxclaim")
public final class SandboxClaimReconciler implements Reconciler<SandboxClaim> {
    private static final Logger log = LoggerFactory.getLogger(SandboxClaimReconciler.class);
    private static final Duration DEPENDENCY_RETRY = Duration.ofSeconds(10);
    private final Clock clock;
    private final ClusterEvents events;

    /** Without Events (unit tests of one reconcile). */
    public SandboxClaimReconciler(Clock clock) {
        this(clock, null);
    }

    /** Records upstream's SandboxAdopted and SandboxProvisioned on the claim ({@code events} may be null: none). */
    public SandboxClaimReconciler(Clock clock, ClusterEvents events) {
        this.clock = clock;
        this.events = events;
    }

    @Override
    public List<EventSource<?, SandboxClaim>> prepareEventSources(EventSourceContext<SandboxClaim> context) {
        return List.of(new InformerEventSource<>(InformerEventSourceConfiguration.from(Sandbox.class, SandboxClaim.class)
                .withName("claim-sandboxes").withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SandboxClaim.class, false)).build(), context));
    }

    @Override
    public UpdateControl<SandboxClaim> reconcile(SandboxClaim claim, Context<SandboxClaim> context) {
        KubernetesClient client = context.getClient();
        String ns = claim.getMetadata().getNamespace();
        String name = claim.getMetadata().getName();
        if (claim.getMetadata().getDeletionTimestamp() != null) return UpdateControl.noUpdate();
        Instant now = clock.instant();
        SandboxClaimStatus status = claim.getStatus() == null ? new SandboxClaimStatus() : Json.deepCopy(claim.getStatus());
        String bound = status.getSandbox() == null ? null : status.getSandbox().getName();

        Claims.LifecycleDecision lifecycle = Claims.lifecycle(claim, now);
        switch (lifecycle) {
            case Claims.LifecycleDecision.DeleteClaim d -> {
                client.resource(claim).withPropagationPolicy(d.foreground() ? DeletionPropagation.FOREGROUND : DeletionPropagation.BACKGROUND).delete();
                log.info("claim {}/{} deleted: {}", ns, name, d.why());
                return UpdateControl.noUpdate();
            }
            case Claims.LifecycleDecision.Expired e -> {
                if (bound != null) {
                    Sandbox s = client.resources(Sandbox.class).inNamespace(ns).withName(bound).get();
                    if (s != null && Objects2.controlledBy(s, claim)) client.resource(s).delete();
                }
                Conditions.set(status, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_CLAIM_EXPIRED, e.message(),
                        claim.getMetadata().getGeneration()), now);
                write(client, claim, status);
                return reschedule(e.nextCheck(), now);
            }
            case Claims.LifecycleDecision.Active a -> {
            }
        }

        if (bound == null) {
            BindResult result = bind(client, claim, now);
            if (result.sandboxName() == null) {
                Conditions.set(status, result.condition(), now);
                write(client, claim, status);
                return result.retry() ? UpdateControl.<SandboxClaim>noUpdate().rescheduleAfter(DEPENDENCY_RETRY) : UpdateControl.noUpdate();
            }
            bound = result.sandboxName();
            status.setSandbox(new ClaimSandboxStatus(bound, null));
            annotateAssigned(client, claim, bound);
        }
        Sandbox sandbox = client.resources(Sandbox.class).inNamespace(ns).withName(bound).get();
        Condition ready = Claims.readyFromSandbox(claim, bound, sandbox);
        Conditions.set(status, ready, now);
        List<String> ips = sandbox == null || sandbox.getStatus() == null ? null : sandbox.getStatus().getPodIPs();
        status.setSandbox(new ClaimSandboxStatus(bound, ips == null || ips.isEmpty() ? null : ips));
        write(client, claim, status);
        Claims.LifecycleDecision again = Claims.lifecycle(withStatus(claim, status), now);
        return again instanceof Claims.LifecycleDecision.Active act ? reschedule(act.nextCheck(), now) : UpdateControl.<SandboxClaim>noUpdate().rescheduleAfter(1);
    }

    private static SandboxClaim withStatus(SandboxClaim claim, SandboxClaimStatus status) {
        SandboxClaim c = Json.deepCopy(claim);
        c.setStatus(status);
        return c;
    }

    private static UpdateControl<SandboxClaim> reschedule(Instant at, Instant now) {
        UpdateControl<SandboxClaim> c = UpdateControl.noUpdate();
        if (at != null) c.rescheduleAfter(Duration.between(now, at).plusMillis(50));
        return c;
    }

    /** Binding outcome: a sandbox name, or a condition to report (and whether to retry on a timer). */
    record BindResult(String sandboxName, Condition condition, boolean retry) {}

    BindResult bind(KubernetesClient client, SandboxClaim claim, Instant now) {
        String ns = claim.getMetadata().getNamespace();
        Long gen = claim.getMetadata().getGeneration();
        // an earlier pass may have adopted or created a Sandbox and failed before recording it: find it by the claim-uid label
        List<Sandbox> mine = client.resources(Sandbox.class).inNamespace(ns).withLabel(Names.CLAIM_UID_LABEL, claim.getMetadata().getUid())
                .list().getItems().stream().filter(s -> Objects2.controlledBy(s, claim)).toList();
        if (!mine.isEmpty()) return new BindResult(mine.get(0).getMetadata().getName(), null, false);

        String poolName = claim.getSpec().getWarmPoolRef() == null ? null : claim.getSpec().getWarmPoolRef().getName();
        SandboxWarmPool pool = poolName == null ? null : client.resources(SandboxWarmPool.class).inNamespace(ns).withName(poolName).get();
        if (pool == null) {
            return new BindResult(null, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY,
                    "SandboxWarmPool " + poolName + " not found in namespace " + ns + "; create it", gen), true);
        }
        String templateName = pool.getSpec().getSandboxTemplateRef() == null ? null : pool.getSpec().getSandboxTemplateRef().getName();
        SandboxTemplate template = templateName == null ? null : client.resources(SandboxTemplate.class).inNamespace(ns).withName(templateName).get();
        if (template == null) {
            return new BindResult(null, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY,
                    "SandboxTemplate " + templateName + " of SandboxWarmPool " + poolName + " not found; create it", gen), true);
        }
        var envProblem = Claims.checkEnv(claim, template);
        if (envProblem.isPresent()) {
            return new BindResult(null, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_RECONCILER_ERROR, envProblem.get(), gen), false);
        }
        var vctProblem = Claims.checkVolumeClaimTemplates(claim, template);
        if (vctProblem.isPresent()) {
            return new BindResult(null, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_VOLUME_CLAIM_TEMPLATES_ERROR, vctProblem.get(), gen), false);
        }
        if (!Claims.needsColdStart(claim)) {
            List<Sandbox> candidates = new ArrayList<>(client.resources(Sandbox.class).inNamespace(ns)
                    .withLabel(Names.WARM_POOL_SANDBOX_LABEL, WarmPools.poolLabelValue(pool)).list().getItems().stream()
                    .filter(s -> WarmPools.isMember(s, pool) && Conditions.isReady(s) && s.getMetadata().getDeletionTimestamp() == null)
                    .toList());
            candidates.sort(Comparator.comparing(s -> String.valueOf(s.getMetadata().getCreationTimestamp())));
            // spread concurrent claims over the candidates so they rarely collide (correctness comes from resourceVersion)
            if (candidates.size() > 1) java.util.Collections.rotate(candidates, -Math.floorMod(claim.getMetadata().getUid().hashCode(), candidates.size()));
            for (Sandbox member : candidates) {
                Sandbox adopted = Claims.adopt(member, claim, pool);
                try {
                    client.resource(adopted).update(); // carries the member's resourceVersion: 409 if another claim took it first
                    log.info("claim {}/{}: adopted warm Sandbox {}", ns, claim.getMetadata().getName(), member.getMetadata().getName());
                    if (events != null) events.normal(claim, EventReasons.SANDBOX_ADOPTED, "Adoption", "Adopted warm pool Sandbox \"" + member.getMetadata().getName() + "\"");
                    return new BindResult(member.getMetadata().getName(), null, false);
                } catch (KubernetesClientException e) {
                    if (!Statuses.isConflict(e) && !Statuses.isNotFound(e)) throw e;
                    log.debug("claim {}/{}: Sandbox {} was taken meanwhile, trying the next", ns, claim.getMetadata().getName(), member.getMetadata().getName());
                }
            }
        }
        Sandbox cold = Claims.coldSandbox(claim, template);
        try {
            client.resource(cold).create();
            log.info("claim {}/{}: created Sandbox {} (cold)", ns, claim.getMetadata().getName(), cold.getMetadata().getName());
            if (events != null) events.normal(claim, EventReasons.SANDBOX_PROVISIONED, "Provisioning", "Created Sandbox \"" + cold.getMetadata().getName() + "\"");
        } catch (KubernetesClientException e) {
            if (!Statuses.isConflict(e)) throw e;
            Sandbox existing = client.resources(Sandbox.class).inNamespace(ns).withName(cold.getMetadata().getName()).get();
            if (existing == null || !Objects2.controlledBy(existing, claim)) {
                return new BindResult(null, Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_RECONCILER_ERROR,
                        "a Sandbox named " + cold.getMetadata().getName() + " exists and is not controlled by this claim; delete it or rename the claim", gen), true);
            }
        }
        return new BindResult(cold.getMetadata().getName(), null, false);
    }

    private static void annotateAssigned(KubernetesClient client, SandboxClaim claim, String sandboxName) {
        if (sandboxName.equals(Objects2.annotations(claim).get(Names.ASSIGNED_SANDBOX_NAME_ANNOTATION))) return;
        try {
            client.resources(SandboxClaim.class).inNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                    .edit(c -> {
                        Map<String, String> a = new LinkedHashMap<>(c.getMetadata().getAnnotations() == null ? Map.of() : c.getMetadata().getAnnotations());
                        a.put(Names.ASSIGNED_SANDBOX_NAME_ANNOTATION, sandboxName);
                        c.getMetadata().setAnnotations(a);
                        return c;
                    });
        } catch (KubernetesClientException e) {
            if (!Statuses.isNotFound(e)) throw e;
        }
    }

    private static void write(KubernetesClient client, SandboxClaim claim, SandboxClaimStatus status) {
        if (Objects.equals(status, claim.getStatus())) return;
        String before = Conditions.get(claim.getStatus(), Conditions.READY).map(c -> c.getStatus() + "/" + c.getReason()).orElse("-");
        String after = Conditions.get(status, Conditions.READY).map(c -> c.getStatus() + "/" + c.getReason()).orElse("-");
        SandboxClaim copy = Json.deepCopy(claim);
        copy.setStatus(status);
        Statuses.patch(client, copy);
        if (!before.equals(after)) log.info("claim {}/{}: Ready {} -> {}", claim.getMetadata().getNamespace(), claim.getMetadata().getName(), before, after);
    }
}
