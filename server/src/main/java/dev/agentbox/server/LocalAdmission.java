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
            case SandboxTemplate t -> {
                checkPod(t.getSpec().getPodTemplate() == null ? null : t.getSpec().getPodTemplate().getSpec(), errors, warnings);
                if (t.getSpec().getNetworkPolicy() != null) {
                    warnings.add("spec.networkPolicy: agentboxd runs every sandbox without a network; the policy is stored but only enforced by the Kubernetes operator");
                }
                if (t.getSpec().getVolumeClaimTemplates() != null && !t.getSpec().getVolumeClaimTemplates().isEmpty()) {
                    errors.add(new FieldError("spec.volumeClaimTemplates", "persistent volumes are not supported by agentboxd yet; use emptyDir volumes"));
                }
            }
            case Sandbox s -> {
                checkPod(s.getSpec().getPodTemplate() == null ? null : s.getSpec().getPodTemplate().getSpec(), errors, warnings);
                if (s.getSpec().getVolumeClaimTemplates() != null && !s.getSpec().getVolumeClaimTemplates().isEmpty()) {
                    errors.add(new FieldError("spec.volumeClaimTemplates", "persistent volumes are not supported by agentboxd yet; use emptyDir volumes"));
                }
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
            case SandboxClaim c -> {
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

    private void checkPod(PodSpec pod, List<FieldError> errors, List<String> warnings) {
        String path = "spec.podTemplate.spec";
        PodSpecCheck.Findings f = PodSpecCheck.check(pod, path);
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
