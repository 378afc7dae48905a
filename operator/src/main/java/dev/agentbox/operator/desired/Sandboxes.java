package dev.agentbox.operator.desired;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.Hashing;
import dev.agentbox.api.Names;
import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxStatus;
import dev.agentbox.api.agents.v1beta1.ShutdownPolicy;
import dev.agentbox.api.internal.Json;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Desired state of a Sandbox's children (pure functions): its Pod (same name as the Sandbox, labelled with
 * {@code agents.x-k8s.io/sandbox-name-hash}, owned by the Sandbox, {@code runtimeClassName: gvisor} unless the
 * template names another, no service-account token unless the template asks for one), its headless Service,
 * its PVCs, and its status computed from the observed Pod.
 */
public final class Sandboxes {
    /** The RuntimeClass a sandbox's Pod gets when its template names none. */
    public static final String DEFAULT_RUNTIME_CLASS = "gvisor";

    private Sandboxes() {
    }

    /** Decides what to do for the Sandbox at {@code now}. */
    public static SandboxPlan plan(Sandbox sandbox, Instant now) {
        Instant shutdown = Objects2.parseTime(sandbox.getSpec().getShutdownTime());
        if (shutdown != null && !now.isBefore(shutdown)) {
            if (sandbox.getSpec().effectiveShutdownPolicy() == ShutdownPolicy.DELETE) {
                return new SandboxPlan.DeleteSandbox("shutdownTime " + sandbox.getSpec().getShutdownTime() + " passed (shutdownPolicy Delete)");
            }
            return new SandboxPlan.Expire("shutdownTime " + sandbox.getSpec().getShutdownTime()
                    + " passed; the Pod was deleted (shutdownPolicy Retain)");
        }
        if (sandbox.getSpec().effectiveOperatingMode() == OperatingMode.SUSPENDED) return new SandboxPlan.Suspend();
        Duration requeue = shutdown == null ? null : Duration.between(now, shutdown);
        return new SandboxPlan.Run(pod(sandbox), Boolean.TRUE.equals(sandbox.getSpec().getService()) ? service(sandbox) : null,
                Boolean.FALSE.equals(sandbox.getSpec().getService()), volumeClaims(sandbox), requeue);
    }

    /** {@code agents.x-k8s.io/sandbox-name-hash=<hash>}: selects the Sandbox's Pod. */
    public static String selector(Sandbox sandbox) {
        return Names.SANDBOX_NAME_HASH_LABEL + "=" + Hashing.nameHash(sandbox.getMetadata().getName());
    }

    /** The name of the Sandbox's Pod: the Sandbox's, unless it adopted a Pod named in the pod-name annotation. */
    public static String podName(Sandbox sandbox) {
        String adopted = Objects2.annotations(sandbox).get(Names.POD_NAME_ANNOTATION);
        return adopted == null || adopted.isBlank() ? sandbox.getMetadata().getName() : adopted;
    }

    /**
     * The labels the Pod must carry: the pod template's, the name hash, the template-ref hash (for the NetworkPolicy) and,
     * once a claim holds the Sandbox, the claim's uid ({@code agents.x-k8s.io/claim-uid}, as upstream puts on the Pod).
     */
    public static Map<String, String> podLabels(Sandbox sandbox) {
        Map<String, String> labels = new LinkedHashMap<>();
        PodMetadata meta = sandbox.getSpec().getPodTemplate() == null ? null : sandbox.getSpec().getPodTemplate().getMetadata();
        if (meta != null && meta.getLabels() != null) labels.putAll(meta.getLabels());
        String templateHash = Objects2.labels(sandbox).get(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL);
        if (templateHash != null) labels.put(Names.SANDBOX_TEMPLATE_REF_HASH_LABEL, templateHash);
        String claimUid = Objects2.labels(sandbox).get(Names.CLAIM_UID_LABEL);
        if (claimUid != null) labels.put(Names.CLAIM_UID_LABEL, claimUid);
        labels.put(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash(sandbox.getMetadata().getName()));
        return labels;
    }

    /** The annotations the Pod must carry: the pod template's. */
    public static Map<String, String> podAnnotations(Sandbox sandbox) {
        PodMetadata meta = sandbox.getSpec().getPodTemplate() == null ? null : sandbox.getSpec().getPodTemplate().getMetadata();
        return meta == null || meta.getAnnotations() == null ? Map.of() : new LinkedHashMap<>(meta.getAnnotations());
    }

    /** The Sandbox's Pod. */
    public static Pod pod(Sandbox sandbox) {
        PodSpec spec = sandbox.getSpec().getPodTemplate() == null || sandbox.getSpec().getPodTemplate().getSpec() == null
                ? new PodSpec() : Json.deepCopy(sandbox.getSpec().getPodTemplate().getSpec());
        if (spec.getRuntimeClassName() == null || spec.getRuntimeClassName().isBlank()) spec.setRuntimeClassName(DEFAULT_RUNTIME_CLASS);
        if (spec.getAutomountServiceAccountToken() == null) spec.setAutomountServiceAccountToken(false);
        List<Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
        for (PersistentVolumeClaimTemplate t : volumeClaimTemplates(sandbox)) {
            String volume = t.getMetadata().getName();
            if (volumes.stream().anyMatch(v -> volume.equals(v.getName()))) continue;
            volumes.add(new VolumeBuilder().withName(volume).withNewPersistentVolumeClaim()
                    .withClaimName(pvcName(t, sandbox)).endPersistentVolumeClaim().build());
        }
        spec.setVolumes(volumes);
        Pod pod = new Pod();
        pod.setMetadata(new ObjectMetaBuilder()
                .withName(podName(sandbox))
                .withNamespace(sandbox.getMetadata().getNamespace())
                .withLabels(podLabels(sandbox))
                .withAnnotations(podAnnotations(sandbox))
                .withOwnerReferences(Objects2.controllerRef(sandbox))
                .build());
        pod.setSpec(spec);
        return pod;
    }

    /** The headless Service (name of the Sandbox, selecting its Pod by the name hash). */
    public static Service service(Sandbox sandbox) {
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(sandbox.getMetadata().getName())
                .withNamespace(sandbox.getMetadata().getNamespace())
                .withLabels(Map.of(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash(sandbox.getMetadata().getName())))
                .withOwnerReferences(Objects2.controllerRef(sandbox))
                .endMetadata()
                .withNewSpec()
                .withClusterIP("None")
                .withSelector(Map.of(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash(sandbox.getMetadata().getName())))
                .endSpec()
                .build();
    }

    /** The Service's DNS name, {@code <name>.<namespace>.svc.cluster.local}. */
    public static String serviceFqdn(Sandbox sandbox) {
        return sandbox.getMetadata().getName() + "." + sandbox.getMetadata().getNamespace() + ".svc.cluster.local";
    }

    /** One PVC per volumeClaimTemplate, named {@code <template name>-<sandbox name>}, owned by the Sandbox (kept across suspend). */
    public static List<PersistentVolumeClaim> volumeClaims(Sandbox sandbox) {
        List<PersistentVolumeClaim> out = new ArrayList<>();
        for (PersistentVolumeClaimTemplate t : volumeClaimTemplates(sandbox)) {
            Map<String, String> labels = new LinkedHashMap<>(t.getMetadata().getLabels() == null ? Map.of() : t.getMetadata().getLabels());
            labels.put(Names.SANDBOX_NAME_HASH_LABEL, Hashing.nameHash(sandbox.getMetadata().getName()));
            out.add(new PersistentVolumeClaimBuilder()
                    .withNewMetadata()
                    .withName(pvcName(t, sandbox))
                    .withNamespace(sandbox.getMetadata().getNamespace())
                    .withLabels(labels)
                    .withAnnotations(t.getMetadata().getAnnotations())
                    .withOwnerReferences(Objects2.controllerRef(sandbox))
                    .endMetadata()
                    .withSpec(Json.deepCopy(t.getSpec()))
                    .build());
        }
        return out;
    }

    private static List<PersistentVolumeClaimTemplate> volumeClaimTemplates(Sandbox sandbox) {
        List<PersistentVolumeClaimTemplate> list = sandbox.getSpec().getVolumeClaimTemplates();
        return list == null ? List.of() : list.stream().filter(t -> t.getMetadata() != null && t.getMetadata().getName() != null).toList();
    }

    static String pvcName(PersistentVolumeClaimTemplate t, Sandbox sandbox) {
        return t.getMetadata().getName() + "-" + sandbox.getMetadata().getName();
    }

    /**
     * The Sandbox's status after acting on {@code plan}, given the Pod as observed (null when absent).
     * Ready reasons as upstream: DependenciesReady, DependenciesNotReady, SandboxSuspended, SandboxExpired,
     * PodSucceeded, PodFailed.
     */
    public static SandboxStatus status(Sandbox sandbox, SandboxPlan plan, Pod pod, Instant now) {
        SandboxStatus status = sandbox.getStatus() == null ? new SandboxStatus() : Json.deepCopy(sandbox.getStatus());
        Long generation = sandbox.getMetadata().getGeneration();
        status.setSelector(selector(sandbox));
        boolean wantsService = plan instanceof SandboxPlan.Run run && run.service() != null
                || plan instanceof SandboxPlan.Suspend && Boolean.TRUE.equals(sandbox.getSpec().getService());
        status.setService(wantsService ? sandbox.getMetadata().getName() : null);
        status.setServiceFQDN(wantsService ? serviceFqdn(sandbox) : null);
        Condition ready;
        switch (plan) {
            case SandboxPlan.DeleteSandbox d -> ready = Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_SANDBOX_EXPIRED, d.reason(), generation);
            case SandboxPlan.Expire e -> ready = Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_SANDBOX_EXPIRED, e.message(), generation);
            case SandboxPlan.Suspend s -> ready = Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_SANDBOX_SUSPENDED,
                    pod == null ? "operatingMode is Suspended; the Pod was deleted and the volumes kept"
                            : "operatingMode is Suspended; the Pod is being deleted", generation);
            case SandboxPlan.Run r -> ready = readyFromPod(pod, generation);
        }
        Conditions.set(status, ready, now);
        if (plan instanceof SandboxPlan.Suspend) {
            // upstream: Suspended=True with PodTerminated once the Pod is gone, PodNotTerminated while it still exists
            Conditions.set(status, pod == null
                    ? Conditions.of(Conditions.SUSPENDED, Conditions.TRUE, Conditions.REASON_POD_TERMINATED, "operatingMode is Suspended; the Pod is gone", generation)
                    : Conditions.of(Conditions.SUSPENDED, Conditions.TRUE, Conditions.REASON_POD_NOT_TERMINATED, "operatingMode is Suspended; the Pod is terminating", generation), now);
        } else {
            Conditions.remove(status, Conditions.SUSPENDED);
        }
        String phase = pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (plan instanceof SandboxPlan.Run && ("Succeeded".equals(phase) || "Failed".equals(phase))) {
            Conditions.set(status, Conditions.of(Conditions.FINISHED, Conditions.TRUE,
                    "Succeeded".equals(phase) ? Conditions.REASON_POD_SUCCEEDED : Conditions.REASON_POD_FAILED,
                    "the Pod is " + phase, generation), now);
        }
        boolean podLive = plan instanceof SandboxPlan.Run && pod != null && pod.getStatus() != null;
        List<String> ips = podLive ? podIps(pod) : List.of();
        status.setPodIPs(ips.isEmpty() ? null : ips);
        status.setNodeName(podLive && pod.getSpec() != null ? pod.getSpec().getNodeName() : null);
        return status;
    }

    private static List<String> podIps(Pod pod) {
        List<String> ips = new ArrayList<>();
        if (pod.getStatus().getPodIPs() != null) {
            for (PodIP ip : pod.getStatus().getPodIPs()) if (ip.getIp() != null) ips.add(ip.getIp());
        }
        if (ips.isEmpty() && pod.getStatus().getPodIP() != null) ips.add(pod.getStatus().getPodIP());
        return ips;
    }

    /** Ready from the Pod: its phase and its own Ready condition. */
    public static Condition readyFromPod(Pod pod, Long generation) {
        if (pod == null) {
            return Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "Pod is being created", generation);
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "Pod " + pod.getMetadata().getName() + " is terminating", generation);
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase)) {
            return Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_POD_SUCCEEDED, "Pod " + pod.getMetadata().getName() + " succeeded", generation);
        }
        if ("Failed".equals(phase)) {
            String why = pod.getStatus().getMessage() != null ? ": " + pod.getStatus().getMessage() : "";
            return Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_POD_FAILED, "Pod " + pod.getMetadata().getName() + " failed" + why, generation);
        }
        boolean podReady = pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        if ("Running".equals(phase) && podReady) {
            return Conditions.of(Conditions.READY, Conditions.TRUE, Conditions.REASON_DEPENDENCIES_READY, "Pod is Ready", generation);
        }
        String detail = phase == null ? "Pending" : phase;
        PodCondition scheduled = pod.getStatus() == null || pod.getStatus().getConditions() == null ? null : pod.getStatus().getConditions().stream()
                .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())).findFirst().orElse(null);
        if (scheduled != null && scheduled.getMessage() != null) detail += " (" + scheduled.getMessage() + ")";
        return Conditions.of(Conditions.READY, Conditions.FALSE, Conditions.REASON_DEPENDENCIES_NOT_READY, "Pod is " + detail + ", not Ready yet", generation);
    }

    /** True when the observed Pod's labels and annotations already include the desired ones. */
    public static boolean podMetadataUpToDate(Pod observed, Pod desired) {
        Map<String, String> l = observed.getMetadata().getLabels() == null ? Map.of() : observed.getMetadata().getLabels();
        Map<String, String> a = observed.getMetadata().getAnnotations() == null ? Map.of() : observed.getMetadata().getAnnotations();
        return desired.getMetadata().getLabels().entrySet().stream().allMatch(e -> Objects.equals(l.get(e.getKey()), e.getValue()))
                && desired.getMetadata().getAnnotations().entrySet().stream().allMatch(e -> Objects.equals(a.get(e.getKey()), e.getValue()));
    }
}
