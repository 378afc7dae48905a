package dev.agentbox.server;

import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import dev.agentbox.runtime.ImageStore;
import dev.agentbox.server.sandbox.PodSpecCheck;
import dev.agentbox.server.snapshot.SnapshotStorage;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * agentboxd's admission: pod templates must be runnable on one host (see {@link PodSpecCheck}),
 * images must exist, and a claim's warm pool and a pool's template must exist when applied, so that a
 * typo fails at apply time rather than leaving a claim pending forever. A snapshot storage path that exists
 * must be safe (see {@link SnapshotStorage#checkSafe}). Quotas are not checked here but by the store itself,
 * atomically with the write ({@link dev.agentbox.server.quota.QuotaGuard}).
 *
 * <p>Events are agentboxd's own record of what its controllers did ({@link EventRecorder}): no client creates or
 * replaces one, whatever its token (403). A namespace's tokens may read and delete its events. Kubernetes lets authorised
 * clients write events; here every event is written by agentboxd, so none can be forged, in any namespace.
 */
public final class LocalAdmission implements Admission {
    private final Store store;
    private final ImageStore images;

    public LocalAdmission(Store store, ImageStore images) {
        this.store = store;
        this.images = images;
    }

    @Override
    public List<String> admit(HasMetadata object) {
        List<FieldError> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        String ns = object.getMetadata().getNamespace();
        switch (object) {
            case io.fabric8.kubernetes.api.model.Event e -> throw new dev.agentbox.api.ForbiddenException(
                    "events are recorded by agentboxd itself; the API serves them for get, list, watch and delete only");
            case SandboxTemplate t -> {
                checkPod(t.getSpec().getPodTemplate() == null ? null : t.getSpec().getPodTemplate().getSpec(), claimNames(t.getSpec().getVolumeClaimTemplates()), errors, warnings);
                if (t.getSpec().getNetworkPolicy() != null) {
                    warnings.add("spec.networkPolicy: agentboxd runs every sandbox without a network; the policy is stored but only enforced by the Kubernetes operator");
                }
            }
            case Sandbox s -> {
                checkPod(s.getSpec().getPodTemplate() == null ? null : s.getSpec().getPodTemplate().getSpec(), claimNames(s.getSpec().getVolumeClaimTemplates()), errors, warnings);
                if (Boolean.TRUE.equals(s.getSpec().getService())) {
                    warnings.add("spec.service: sandboxes have no network on agentboxd; no service is created");
                }
            }
            case SandboxWarmPool p -> {
                String template = p.getSpec().getSandboxTemplateRef() == null ? null : p.getSpec().getSandboxTemplateRef().getName();
                if (template != null && store.get(SandboxTemplate.class, ns, template).isEmpty()) {
                    errors.add(new FieldError("spec.sandboxTemplateRef.name", "SandboxTemplate " + template + " not found in namespace " + ns + "; apply the template first"));
                }
            }
            // the API server merges a Secret's stringData into data on every write, and never stores stringData
            case io.fabric8.kubernetes.api.model.Secret sec -> dev.agentbox.api.CoreValidation.mergeStringData(sec);
            case SandboxClaim c -> {
                if (c.getSpec().getVolumeClaimTemplates() != null && !c.getSpec().getVolumeClaimTemplates().isEmpty()) {
                    errors.add(new FieldError("spec.volumeClaimTemplates", "a claim's own volumeClaimTemplates are not supported by agentboxd yet (the Kubernetes operator merges them by the template's volumeClaimTemplatesPolicy); put them in the SandboxTemplate's spec.volumeClaimTemplates"));
                }
                String pool = c.getSpec().getWarmPoolRef() == null ? null : c.getSpec().getWarmPoolRef().getName();
                if (pool != null && store.get(SandboxWarmPool.class, ns, pool).isEmpty()) {
                    errors.add(new FieldError("spec.warmPoolRef.name", "SandboxWarmPool " + pool + " not found in namespace " + ns
                            + "; apply the warm pool first (list them with `agentbox get warmpools -n " + ns + "`)"));
                }
            }
            case PodSnapshotStorageConfig sc -> {
                var cfg = sc.getSpec() == null ? null : sc.getSpec().getSnapshotStorageConfig();
                if (cfg != null && cfg.getLocal() != null && cfg.getLocal().getPath() != null) {
                    try {
                        SnapshotStorage.checkConfiguredPath(cfg.getLocal().getPath());
                    } catch (InvalidException e) {
                        errors.addAll(e.errors());
                    }
                }
            }
            default -> { }
        }
        if (!errors.isEmpty()) throw new InvalidException(errors);
        return warnings;
    }

    /** The volume names of volumeClaimTemplates (Validation has checked that each has one). */
    private static java.util.Set<String> claimNames(List<dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate> claims) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        if (claims == null) return out;
        for (var c : claims) if (c != null && c.getMetadata() != null && c.getMetadata().getName() != null) out.add(c.getMetadata().getName());
        return out;
    }

    private void checkPod(PodSpec pod, java.util.Set<String> claims, List<FieldError> errors, List<String> warnings) {
        String path = "spec.podTemplate.spec";
        PodSpecCheck.Findings f = PodSpecCheck.check(pod, path, claims);
        errors.addAll(f.errors());
        warnings.addAll(f.warnings());
        if (pod == null || pod.getContainers() == null) return;
        for (int i = 0; i < pod.getContainers().size(); i++) {
            Container c = pod.getContainers().get(i);
            if (c.getImage() != null && !c.getImage().isBlank() && !images.exists(c.getImage())) {
                errors.add(new FieldError(path + ".containers[" + i + "].image", "image " + c.getImage() + " not found in agentboxd's image store; use "
                        + ImageStore.BUILTIN + " or import it with `agentbox image import " + c.getImage() + " PATH` (known: " + images.list() + ")"));
            }
        }
    }
}
