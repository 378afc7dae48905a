package dev.agentbox.server;

import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import dev.agentbox.runtime.ImagePuller;
import dev.agentbox.runtime.ImageStore;
import dev.agentbox.runtime.RuntimeFailure;
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
 * must be safe (see {@link SnapshotStorage#checkSafe}). An image that is not in the store is pulled here from its registry by
 * the container's {@code imagePullPolicy} (IfNotPresent when unset; Always pulls again; Never only checks the store), so a
 * bad reference or an unreachable registry fails the apply with the field named; the pull runs on the request's thread
 * with the pull deadline of agentboxd's config. Quotas are not checked here but by the store itself,
 * atomically with the write ({@link dev.agentbox.server.quota.QuotaGuard}).
 *
 * <p>Events are agentboxd's own record of what its controllers did ({@link EventRecorder}): no client creates or
 * replaces one, whatever its token (403). A namespace's tokens may read and delete its events. Kubernetes lets authorised
 * clients write events; here every event is written by agentboxd, so none can be forged, in any namespace.
 */
public final class LocalAdmission implements Admission {
    private final Store store;
    private final ImageStore images;
    private final ImagePuller puller;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LocalAdmission.class);

    /** Without a puller: images must have been imported or pulled before. */
    public LocalAdmission(Store store, ImageStore images) {
        this(store, images, null);
    }

    public LocalAdmission(Store store, ImageStore images, ImagePuller puller) {
        this.store = store;
        this.images = images;
        this.puller = puller;
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
                if (t.getSpec().effectiveVolumeClaimTemplatesPolicy() != dev.agentbox.api.extensions.v1beta1.VolumeClaimTemplatesPolicy.DISALLOWED) {
                    warnings.add("spec.volumeClaimTemplatesPolicy: agentboxd refuses a claim's own volumeClaimTemplates whatever the policy "
                            + "(the template's spec.volumeClaimTemplates work; the Kubernetes operator honours the policy)");
                }
                // egress is enforced (docs/networking.md); what one host cannot honour is refused or named in a warning
                try {
                    dev.agentbox.server.sandbox.EgressPolicies.egress(t.getSpec().getNetworkPolicy(), "spec.networkPolicy");
                } catch (dev.agentbox.api.InvalidException e) {
                    errors.addAll(e.errors());
                }
                try {
                    dev.agentbox.server.sandbox.EgressPolicies.domains(t.getMetadata().getAnnotations());
                } catch (dev.agentbox.api.InvalidException e) {
                    errors.addAll(e.errors());
                }
                warnings.addAll(dev.agentbox.server.sandbox.EgressPolicies.warnings(t.getSpec().getNetworkPolicy(), "spec.networkPolicy"));
            }
            case Sandbox s -> {
                checkPod(s.getSpec().getPodTemplate() == null ? null : s.getSpec().getPodTemplate().getSpec(), claimNames(s.getSpec().getVolumeClaimTemplates()), errors, warnings);
                if (Boolean.TRUE.equals(s.getSpec().getService())) {
                    warnings.add("spec.service: nothing can connect into a sandbox on agentboxd (its ports are reached through the agent channel); no service is created");
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
        if (pod == null) return;
        List<Container> containers = pod.getContainers() == null ? List.of() : pod.getContainers();
        List<Container> inits = pod.getInitContainers() == null ? List.of() : pod.getInitContainers();
        for (int i = 0; i < inits.size(); i++) checkImage(inits.get(i), path + ".initContainers[" + i + "]", errors, warnings);
        for (int i = 0; i < containers.size(); i++) checkImage(containers.get(i), path + ".containers[" + i + "]", errors, warnings);
    }

    private void checkImage(Container c, String path, List<FieldError> errors, List<String> warnings) {
        String image = c.getImage();
        if (image == null || image.isBlank()) return;
        if (puller == null) {
            if (!images.exists(image)) {
                errors.add(new FieldError(path + ".image", "image " + image + " not found in agentboxd's image store; use "
                        + ImageStore.BUILTIN + " or import it with `agentbox image import " + image + " PATH` (known: " + images.list() + ")"));
            }
            return;
        }
        try {
            ImagePuller.Policy policy = ImagePuller.Policy.parse(c.getImagePullPolicy(), path + ".imagePullPolicy");
            ImagePuller.Result r = puller.pull(image, policy, line -> log.info("{}", line));
            if (r.pulled()) warnings.add(path + ".image: pulled " + image + " from its registry (" + r.imageId() + ")");
        } catch (RuntimeFailure e) {
            String policyField = path + ".imagePullPolicy";
            if (e.getMessage().startsWith(policyField + ": ")) errors.add(new FieldError(policyField, e.getMessage().substring(policyField.length() + 2)));
            else errors.add(new FieldError(path + ".image", e.getMessage()));
        }
    }
}
