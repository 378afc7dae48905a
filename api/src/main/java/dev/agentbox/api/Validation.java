package dev.agentbox.api;

import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.ClaimEnvVar;
import dev.agentbox.api.extensions.v1beta1.ClaimLifecycle;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplateSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Semantic validation of agentbox resources, as the API server and upstream's CRD schema would do it.
 * {@link #check} reports every problem at once, each with its field path and what to do about it.
 */
public final class Validation {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");
    private static final Set<String> RESTART_POLICIES = Set.of("Always", "OnFailure", "Never");
    private static final int MAX_ANNOTATIONS_BYTES = 256 * 1024;

    private Validation() {
    }

    /** Throws an {@link InvalidException} naming every invalid field; returns normally when the object is valid. */
    public static void check(HasMetadata object) {
        List<FieldError> errors = errors(object);
        if (!errors.isEmpty()) throw new InvalidException(errors);
    }

    /** Every problem with the object (empty when valid). */
    public static List<FieldError> errors(HasMetadata object) {
        List<FieldError> errors = new ArrayList<>();
        if (object == null) {
            errors.add(new FieldError("(root)", "required: give an object"));
            return errors;
        }
        boolean hostname = object instanceof Sandbox || object instanceof SandboxClaim || object instanceof SandboxWarmPool;
        // names of the snapshot kinds are DNS subdomains (PodSnapshotManualTrigger names are limited to 63 by GKE's clients, not the API)
        metadata(object.getMetadata(), hostname, errors);
        switch (object) {
            case Sandbox s -> sandbox(s.getSpec(), errors);
            case SandboxTemplate t -> template(t.getSpec(), errors);
            case SandboxClaim c -> claim(c.getSpec(), errors);
            case SandboxWarmPool p -> warmPool(p.getSpec(), errors);
            case io.fabric8.kubernetes.api.model.Event e -> event(e, errors);
            case io.fabric8.kubernetes.api.model.ConfigMap cm -> CoreValidation.configMap(cm, errors);
            case io.fabric8.kubernetes.api.model.Secret sec -> CoreValidation.secret(sec, errors);
            default -> SnapshotValidation.check(object, errors);
        }
        return errors;
    }

    // ---- metadata

    static void metadata(ObjectMeta meta, boolean nameIsHostname, List<FieldError> errors) {
        if (meta == null) {
            errors.add(new FieldError("metadata.name", "required: set metadata.name (or metadata.generateName)"));
            return;
        }
        String name = meta.getName();
        if (name == null || name.isEmpty()) {
            String prefix = meta.getGenerateName();
            if (prefix == null || prefix.isEmpty()) {
                errors.add(new FieldError("metadata.name", "required: set metadata.name (or metadata.generateName)"));
            } else if (!prefix.matches("[a-z0-9]([-a-z0-9.]*)?") || prefix.length() > (nameIsHostname ? 58 : 248)) {
                errors.add(new FieldError("metadata.generateName", "invalid prefix \"" + prefix
                        + "\": use lower-case letters, digits and '-', starting with a letter or digit, at most " + (nameIsHostname ? 58 : 248) + " characters"));
            }
        } else if (nameIsHostname) {
            dnsLabel("metadata.name", name, errors);
        } else {
            dnsSubdomain("metadata.name", name, errors);
        }
        if (meta.getNamespace() != null && !meta.getNamespace().isEmpty()) dnsLabel("metadata.namespace", meta.getNamespace(), errors);
        labels("metadata.labels", meta.getLabels(), errors);
        annotations("metadata.annotations", meta.getAnnotations(), errors);
    }

    static void dnsLabel(String field, String value, List<FieldError> errors) {
        if (value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
            errors.add(new FieldError(field, "invalid name \"" + value + "\": use at most 63 lower-case letters, digits and '-', "
                    + "starting and ending with a letter or digit (it becomes a host name), e.g. my-sandbox"));
        }
    }

    static void dnsSubdomain(String field, String value, List<FieldError> errors) {
        if (value.length() > 253 || !DNS_SUBDOMAIN.matcher(value).matches()) {
            errors.add(new FieldError(field, "invalid name \"" + value + "\": use lower-case letters, digits, '-' and '.', "
                    + "starting and ending with a letter or digit, at most 253 characters, e.g. python-runtime"));
        }
    }

    static void labels(String field, Map<String, String> labels, List<FieldError> errors) {
        if (labels == null) return;
        labels.forEach((k, v) -> {
            qualifiedName(field, k, errors);
            if (v != null && !v.isEmpty() && (v.length() > 63 || !LABEL_NAME.matcher(v).matches())) {
                errors.add(new FieldError(field + "[\"" + k + "\"]", "invalid label value \"" + v
                        + "\": use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"));
            }
        });
    }

    static void annotations(String field, Map<String, String> annotations, List<FieldError> errors) {
        if (annotations == null) return;
        long size = 0;
        for (Map.Entry<String, String> e : annotations.entrySet()) {
            qualifiedName(field, e.getKey(), errors);
            size += e.getKey().length() + (e.getValue() == null ? 0 : e.getValue().length());
        }
        if (size > MAX_ANNOTATIONS_BYTES) {
            errors.add(new FieldError(field, "too large: " + size + " bytes, the limit is " + MAX_ANNOTATIONS_BYTES + "; store big data elsewhere"));
        }
    }

    private static void qualifiedName(String field, String key, List<FieldError> errors) {
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                errors.add(new FieldError(field, "invalid key \"" + key + "\": the prefix before '/' must be a DNS subdomain such as example.com"));
                return;
            }
        }
        if (name.isEmpty() || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
            errors.add(new FieldError(field, "invalid key \"" + key + "\": the name part must be 1-63 letters, digits, '-', '_' or '.', "
                    + "starting and ending with a letter or digit"));
        }
    }

    // ---- kinds

    private static void sandbox(SandboxSpec spec, List<FieldError> errors) {
        if (spec == null) {
            errors.add(new FieldError("spec", "required: give spec.podTemplate"));
            return;
        }
        podTemplate("spec.podTemplate", spec.getPodTemplate(), spec.getVolumeClaimTemplates(), errors);
        volumeClaimTemplates("spec.volumeClaimTemplates", spec.getVolumeClaimTemplates(), errors);
        rfc3339("spec.shutdownTime", spec.getShutdownTime(), errors);
    }

    private static void template(SandboxTemplateSpec spec, List<FieldError> errors) {
        if (spec == null) {
            errors.add(new FieldError("spec", "required: give spec.podTemplate"));
            return;
        }
        podTemplate("spec.podTemplate", spec.getPodTemplate(), spec.getVolumeClaimTemplates(), errors);
        volumeClaimTemplates("spec.volumeClaimTemplates", spec.getVolumeClaimTemplates(), errors);
    }

    private static void claim(SandboxClaimSpec spec, List<FieldError> errors) {
        if (spec == null) {
            errors.add(new FieldError("spec.warmPoolRef.name", "required: name the SandboxWarmPool to claim a sandbox from"));
            return;
        }
        if (spec.getWarmPoolRef() == null || blank(spec.getWarmPoolRef().getName())) {
            errors.add(new FieldError("spec.warmPoolRef.name", "required: name the SandboxWarmPool to claim a sandbox from"));
        } else {
            dnsSubdomain("spec.warmPoolRef.name", spec.getWarmPoolRef().getName(), errors);
        }
        ClaimLifecycle lifecycle = spec.getLifecycle();
        if (lifecycle != null) {
            rfc3339("spec.lifecycle.shutdownTime", lifecycle.getShutdownTime(), errors);
            if (lifecycle.getTtlSecondsAfterFinished() != null && lifecycle.getTtlSecondsAfterFinished() < 0) {
                errors.add(new FieldError("spec.lifecycle.ttlSecondsAfterFinished", "must be >= 0 (seconds to keep a finished claim), got "
                        + lifecycle.getTtlSecondsAfterFinished()));
            }
        }
        PodMetadata extra = spec.getAdditionalPodMetadata();
        if (extra != null) {
            labels("spec.additionalPodMetadata.labels", extra.getLabels(), errors);
            annotations("spec.additionalPodMetadata.annotations", extra.getAnnotations(), errors);
        }
        if (spec.getEnv() != null) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < spec.getEnv().size(); i++) {
                ClaimEnvVar e = spec.getEnv().get(i);
                String p = "spec.env[" + i + "]";
                if (e == null) {
                    errors.add(new FieldError(p, "must not be null"));
                    continue;
                }
                envName(p + ".name", e.getName(), errors);
                if (e.getValue() == null) errors.add(new FieldError(p + ".value", "required (may be empty)"));
                if (e.getContainerName() != null && !e.getContainerName().isEmpty()) dnsLabel(p + ".containerName", e.getContainerName(), errors);
                if (e.getName() != null && !seen.add(e.getContainerName() + "/" + e.getName())) {
                    errors.add(new FieldError(p + ".name", "duplicate variable " + e.getName() + "; give each variable once"));
                }
            }
        }
        volumeClaimTemplates("spec.volumeClaimTemplates", spec.getVolumeClaimTemplates(), errors);
    }

    private static void warmPool(SandboxWarmPoolSpec spec, List<FieldError> errors) {
        if (spec == null) {
            errors.add(new FieldError("spec.sandboxTemplateRef.name", "required: name the SandboxTemplate the pool's sandboxes are made from"));
            return;
        }
        if (spec.getReplicas() != null && spec.getReplicas() < 0) {
            errors.add(new FieldError("spec.replicas", "must be >= 0, got " + spec.getReplicas()));
        }
        if (spec.getSandboxTemplateRef() == null || blank(spec.getSandboxTemplateRef().getName())) {
            errors.add(new FieldError("spec.sandboxTemplateRef.name", "required: name the SandboxTemplate the pool's sandboxes are made from"));
        } else {
            dnsSubdomain("spec.sandboxTemplateRef.name", spec.getSandboxTemplateRef().getName(), errors);
        }
        if (spec.getReadinessGracePeriodSeconds() != null && spec.getReadinessGracePeriodSeconds() < 1) {
            errors.add(new FieldError("spec.readinessGracePeriodSeconds", "must be >= 1 (seconds a member may stay not Ready before it is replaced), got "
                    + spec.getReadinessGracePeriodSeconds()));
        }
    }

    /** core/v1 Event: what the Kubernetes API server checks of the fields agentboxd writes. */
    private static void event(io.fabric8.kubernetes.api.model.Event e, List<FieldError> errors) {
        var involved = e.getInvolvedObject();
        if (involved == null || blank(involved.getKind()) || blank(involved.getName())) {
            errors.add(new FieldError("involvedObject", "required: the kind and name of the object the event is about"));
        } else if (involved.getNamespace() != null && e.getMetadata() != null && e.getMetadata().getNamespace() != null
                && !involved.getNamespace().isEmpty() && !involved.getNamespace().equals(e.getMetadata().getNamespace())) {
            errors.add(new FieldError("involvedObject.namespace", involved.getNamespace() + " does not match the event's namespace "
                    + e.getMetadata().getNamespace()));
        }
        if (blank(e.getReason())) errors.add(new FieldError("reason", "required: a short UpperCamelCase reason, e.g. SandboxReady"));
        if (e.getType() != null && !e.getType().equals("Normal") && !e.getType().equals("Warning")) {
            errors.add(new FieldError("type", "must be Normal or Warning, got " + e.getType()));
        }
    }

    // ---- pod template

    static void podTemplate(String path, PodTemplate template, List<PersistentVolumeClaimTemplate> claims, List<FieldError> errors) {
        if (template == null) {
            errors.add(new FieldError(path, "required: give podTemplate.spec with at least one container"));
            return;
        }
        if (template.getMetadata() != null) {
            labels(path + ".metadata.labels", template.getMetadata().getLabels(), errors);
            annotations(path + ".metadata.annotations", template.getMetadata().getAnnotations(), errors);
        }
        PodSpec spec = template.getSpec();
        if (spec == null) {
            errors.add(new FieldError(path + ".spec", "required: give the pod spec with at least one container"));
            return;
        }
        String p = path + ".spec";
        Set<String> volumes = new HashSet<>();
        if (spec.getVolumes() != null) {
            for (int i = 0; i < spec.getVolumes().size(); i++) {
                Volume v = spec.getVolumes().get(i);
                if (v == null || blank(v.getName())) {
                    errors.add(new FieldError(p + ".volumes[" + i + "].name", "required"));
                    continue;
                }
                dnsLabel(p + ".volumes[" + i + "].name", v.getName(), errors);
                if (!volumes.add(v.getName())) errors.add(new FieldError(p + ".volumes[" + i + "].name", "duplicate volume " + v.getName() + "; names must be unique"));
            }
        }
        if (claims != null) {
            for (PersistentVolumeClaimTemplate c : claims) {
                if (c != null && c.getMetadata() != null && c.getMetadata().getName() != null) volumes.add(c.getMetadata().getName());
            }
        }
        if (spec.getContainers() == null || spec.getContainers().isEmpty()) {
            errors.add(new FieldError(p + ".containers", "required: add at least one container with a name and an image"));
        }
        Set<String> names = new HashSet<>();
        containers(p + ".initContainers", spec.getInitContainers(), volumes, names, errors);
        containers(p + ".containers", spec.getContainers(), volumes, names, errors);
        if (spec.getRestartPolicy() != null && !RESTART_POLICIES.contains(spec.getRestartPolicy())) {
            errors.add(new FieldError(p + ".restartPolicy", "unsupported value \"" + spec.getRestartPolicy() + "\": must be one of Always, OnFailure, Never"));
        }
        if (spec.getTerminationGracePeriodSeconds() != null && spec.getTerminationGracePeriodSeconds() < 0) {
            errors.add(new FieldError(p + ".terminationGracePeriodSeconds", "must be >= 0"));
        }
    }

    private static void containers(String path, List<Container> containers, Set<String> volumes, Set<String> names, List<FieldError> errors) {
        if (containers == null) return;
        for (int i = 0; i < containers.size(); i++) {
            Container c = containers.get(i);
            String p = path + "[" + i + "]";
            if (c == null) {
                errors.add(new FieldError(p, "must not be null"));
                continue;
            }
            if (blank(c.getName())) {
                errors.add(new FieldError(p + ".name", "required: name the container, e.g. python"));
            } else {
                dnsLabel(p + ".name", c.getName(), errors);
                if (!names.add(c.getName())) errors.add(new FieldError(p + ".name", "duplicate container name " + c.getName() + "; names must be unique"));
            }
            if (blank(c.getImage())) errors.add(new FieldError(p + ".image", "required: set the container image, e.g. agentbox/builtin"));
            if (c.getEnv() != null) {
                for (int j = 0; j < c.getEnv().size(); j++) {
                    EnvVar e = c.getEnv().get(j);
                    if (e != null) envName(p + ".env[" + j + "].name", e.getName(), errors);
                }
            }
            resources(p + ".resources", c.getResources(), errors);
            if (c.getVolumeMounts() != null) {
                for (int j = 0; j < c.getVolumeMounts().size(); j++) {
                    VolumeMount m = c.getVolumeMounts().get(j);
                    String mp = p + ".volumeMounts[" + j + "]";
                    if (m == null) continue;
                    if (blank(m.getName())) errors.add(new FieldError(mp + ".name", "required: the name of a volume in spec.volumes or volumeClaimTemplates"));
                    else if (!volumes.contains(m.getName())) errors.add(new FieldError(mp + ".name", "no volume named " + m.getName() + "; add it to spec.volumes or volumeClaimTemplates"));
                    if (blank(m.getMountPath())) errors.add(new FieldError(mp + ".mountPath", "required: an absolute path such as /workspace"));
                    else if (!m.getMountPath().startsWith("/")) errors.add(new FieldError(mp + ".mountPath", "must be an absolute path, got " + m.getMountPath()));
                }
            }
        }
    }

    private static void resources(String path, ResourceRequirements r, List<FieldError> errors) {
        if (r == null) return;
        quantities(path + ".limits", r.getLimits(), errors);
        quantities(path + ".requests", r.getRequests(), errors);
    }

    private static void quantities(String path, Map<String, Quantity> values, List<FieldError> errors) {
        if (values == null) return;
        values.forEach((name, q) -> {
            try {
                if (q == null || q.getNumericalAmount().signum() < 0) {
                    errors.add(new FieldError(path + "." + name, "must be a non-negative quantity such as 500m, 1 or 512Mi"));
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                errors.add(new FieldError(path + "." + name, "invalid quantity \"" + q + "\": use a quantity such as 500m, 1 or 512Mi"));
            }
        });
    }

    static void volumeClaimTemplates(String path, List<PersistentVolumeClaimTemplate> claims, List<FieldError> errors) {
        if (claims == null) return;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < claims.size(); i++) {
            PersistentVolumeClaimTemplate c = claims.get(i);
            String p = path + "[" + i + "]";
            if (c == null || c.getMetadata() == null || blank(c.getMetadata().getName())) {
                errors.add(new FieldError(p + ".metadata.name", "required: name the volume; containers mount it by this name"));
                continue;
            }
            dnsLabel(p + ".metadata.name", c.getMetadata().getName(), errors);
            if (!names.add(c.getMetadata().getName())) errors.add(new FieldError(p + ".metadata.name", "duplicate name " + c.getMetadata().getName()));
            if (c.getSpec() == null) errors.add(new FieldError(p + ".spec", "required: give the claim's spec (accessModes, resources.requests.storage)"));
        }
    }

    static void envName(String field, String name, List<FieldError> errors) {
        if (blank(name)) {
            errors.add(new FieldError(field, "required: name the environment variable"));
        } else if (!ENV_NAME.matcher(name).matches()) {
            errors.add(new FieldError(field, "invalid environment variable name \"" + name
                    + "\": use letters, digits, '_', '-' and '.', not starting with a digit, e.g. API_URL"));
        }
    }

    static void rfc3339(String field, String value, List<FieldError> errors) {
        if (value == null) return;
        try {
            OffsetDateTime.parse(value);
        } catch (DateTimeParseException e) {
            errors.add(new FieldError(field, "invalid time \"" + value + "\": use RFC 3339 with a zone, e.g. 2030-01-31T18:00:00Z"));
        }
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
