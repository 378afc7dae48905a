package dev.agentbox.server.sandbox;

import dev.agentbox.api.FieldError;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Sorts a PodSpec's fields into what one host honours, what it accepts but ignores (a warning
 * naming the field) and what it must refuse because ignoring it would change security or
 * behaviour (an error naming the field). The DESIGN rule: never silently ignore a field.
 */
public final class PodSpecCheck {

    /** Problems with one pod spec; {@code path} prefixes every field, e.g. {@code spec.podTemplate.spec}. */
    public record Findings(List<FieldError> errors, List<String> warnings) {}

    private static final Map<String, Function<PodSpec, Object>> IGNORED_POD_FIELDS = Map.ofEntries(
            Map.entry("serviceAccountName", PodSpec::getServiceAccountName),
            Map.entry("serviceAccount", PodSpec::getServiceAccount),
            Map.entry("automountServiceAccountToken", PodSpec::getAutomountServiceAccountToken),
            Map.entry("nodeSelector", p -> empty(p.getNodeSelector())),
            Map.entry("nodeName", PodSpec::getNodeName),
            Map.entry("tolerations", p -> empty(p.getTolerations())),
            Map.entry("affinity", PodSpec::getAffinity),
            Map.entry("topologySpreadConstraints", p -> empty(p.getTopologySpreadConstraints())),
            Map.entry("priorityClassName", PodSpec::getPriorityClassName),
            Map.entry("priority", PodSpec::getPriority),
            Map.entry("preemptionPolicy", PodSpec::getPreemptionPolicy),
            Map.entry("schedulerName", PodSpec::getSchedulerName),
            Map.entry("runtimeClassName", PodSpec::getRuntimeClassName),
            Map.entry("dnsPolicy", PodSpec::getDnsPolicy),
            Map.entry("dnsConfig", PodSpec::getDnsConfig),
            Map.entry("imagePullSecrets", p -> empty(p.getImagePullSecrets())),
            Map.entry("terminationGracePeriodSeconds", PodSpec::getTerminationGracePeriodSeconds),
            Map.entry("activeDeadlineSeconds", PodSpec::getActiveDeadlineSeconds),
            Map.entry("enableServiceLinks", PodSpec::getEnableServiceLinks),
            Map.entry("hostAliases", p -> empty(p.getHostAliases())),
            Map.entry("subdomain", PodSpec::getSubdomain),
            Map.entry("readinessGates", p -> empty(p.getReadinessGates())),
            Map.entry("overhead", p -> empty(p.getOverhead())),
            Map.entry("shareProcessNamespace", PodSpec::getShareProcessNamespace),
            Map.entry("setHostnameAsFQDN", PodSpec::getSetHostnameAsFQDN),
            Map.entry("os", PodSpec::getOs),
            Map.entry("resourceClaims", p -> empty(p.getResourceClaims())),
            Map.entry("schedulingGates", p -> empty(p.getSchedulingGates())));

    private static final Map<String, Function<PodSpec, Object>> REFUSED_POD_FIELDS = Map.of(
            "hostNetwork", p -> Boolean.TRUE.equals(p.getHostNetwork()) ? true : null,
            "hostPID", p -> Boolean.TRUE.equals(p.getHostPID()) ? true : null,
            "hostIPC", p -> Boolean.TRUE.equals(p.getHostIPC()) ? true : null,
            "hostUsers", p -> Boolean.TRUE.equals(p.getHostUsers()) ? true : null,
            "initContainers", p -> empty(p.getInitContainers()),
            "ephemeralContainers", p -> empty(p.getEphemeralContainers()));

    private static final Map<String, Function<Container, Object>> IGNORED_CONTAINER_FIELDS = Map.of(
            "imagePullPolicy", Container::getImagePullPolicy,
            "lifecycle", Container::getLifecycle,
            "terminationMessagePath", Container::getTerminationMessagePath,
            "terminationMessagePolicy", Container::getTerminationMessagePolicy,
            "stdin", Container::getStdin,
            "tty", Container::getTty,
            "resizePolicy", c -> empty(c.getResizePolicy()));

    private PodSpecCheck() {}

    public static Findings check(PodSpec spec, String path) {
        List<FieldError> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        if (spec == null) {
            errors.add(new FieldError(path, "required: a pod spec with one container"));
            return new Findings(errors, warnings);
        }
        IGNORED_POD_FIELDS.forEach((field, get) -> {
            if (get.apply(spec) != null) warnings.add(path + "." + field + ": has no meaning on a single agentboxd host and is ignored");
        });
        REFUSED_POD_FIELDS.forEach((field, get) -> {
            if (get.apply(spec) != null) errors.add(new FieldError(path + "." + field, "not supported by agentboxd (it cannot be honoured inside a gVisor sandbox); remove it"));
        });
        if (spec.getContainers() == null || spec.getContainers().isEmpty()) {
            errors.add(new FieldError(path + ".containers", "required: exactly one container"));
        } else if (spec.getContainers().size() > 1) {
            errors.add(new FieldError(path + ".containers", "agentboxd runs exactly one container per sandbox, got " + spec.getContainers().size() + "; keep one"));
        }
        checkPodSecurity(spec.getSecurityContext(), path + ".securityContext", errors, warnings);
        Set<String> emptyDirs = checkVolumes(spec.getVolumes(), path + ".volumes", errors);
        List<Container> containers = spec.getContainers() == null ? List.of() : spec.getContainers();
        for (int i = 0; i < containers.size(); i++) {
            checkContainer(containers.get(i), path + ".containers[" + i + "]", emptyDirs, errors, warnings);
        }
        if (spec.getRestartPolicy() != null && !Set.of("Always", "OnFailure", "Never").contains(spec.getRestartPolicy())) {
            errors.add(new FieldError(path + ".restartPolicy", "must be Always, OnFailure or Never, got " + spec.getRestartPolicy()));
        }
        Integer uid = effectiveUser(spec, containers.isEmpty() ? null : containers.get(0));
        // without runAsUser the image's User decides: SandboxConfigs checks it against runAsNonRoot
        if (runAsNonRoot(spec, containers.isEmpty() ? null : containers.get(0)) && uid != null && uid == 0) {
            errors.add(new FieldError(path + ".securityContext.runAsNonRoot", "is true but runAsUser is 0; set runAsUser to a non-zero uid, e.g. 1000"));
        }
        return new Findings(errors, warnings);
    }

    private static void checkPodSecurity(PodSecurityContext sc, String path, List<FieldError> errors, List<String> warnings) {
        if (sc == null) return;
        if (!empty2(sc.getSysctls())) errors.add(new FieldError(path + ".sysctls", "not supported by agentboxd; remove it"));
        if (sc.getWindowsOptions() != null) errors.add(new FieldError(path + ".windowsOptions", "not supported: sandboxes are Linux"));
        if (sc.getFsGroup() != null) warnings.add(path + ".fsGroup: ignored (volumes are in-memory and owned by the sandbox user)");
        if (!empty2(sc.getSupplementalGroups())) warnings.add(path + ".supplementalGroups: ignored on agentboxd");
        if (sc.getSeccompProfile() != null || sc.getSeLinuxOptions() != null || sc.getAppArmorProfile() != null) {
            warnings.add(path + ": seccompProfile/seLinuxOptions/appArmorProfile are ignored; gVisor's own syscall filtering applies");
        }
    }

    private static Set<String> checkVolumes(List<Volume> volumes, String path, List<FieldError> errors) {
        if (volumes == null) return Set.of();
        for (int i = 0; i < volumes.size(); i++) {
            Volume v = volumes.get(i);
            if (v.getEmptyDir() == null) {
                errors.add(new FieldError(path + "[" + i + "]", "volume " + v.getName()
                        + ": only emptyDir volumes are supported by agentboxd (hostPath, secrets, configMaps and claims cannot be mounted into a local sandbox)"));
            } else if (v.getEmptyDir().getMedium() != null && !Set.of("", "Memory").contains(v.getEmptyDir().getMedium())) {
                errors.add(new FieldError(path + "[" + i + "].emptyDir.medium", "must be \"\" (the sandbox's ephemeral storage) or Memory, got " + v.getEmptyDir().getMedium()));
            }
        }
        return volumes.stream().filter(v -> v.getEmptyDir() != null).map(Volume::getName).collect(Collectors.toSet());
    }

    private static void checkContainer(Container c, String path, Set<String> emptyDirs, List<FieldError> errors, List<String> warnings) {
        if (c.getImage() == null || c.getImage().isBlank()) errors.add(new FieldError(path + ".image", "required, e.g. agentbox/builtin"));
        IGNORED_CONTAINER_FIELDS.forEach((field, get) -> {
            if (get.apply(c) != null) warnings.add(path + "." + field + ": ignored on agentboxd");
        });
        if (c.getResources() != null && !empty2(c.getResources().getRequests())) {
            warnings.add(path + ".resources.requests: ignored on agentboxd (limits are enforced)");
        }
        if (c.getResources() != null && c.getResources().getLimits() != null) {
            for (String k : c.getResources().getLimits().keySet()) {
                if (!Set.of("cpu", "memory", "ephemeral-storage").contains(k)) {
                    warnings.add(path + ".resources.limits." + k + ": ignored (cpu, memory and ephemeral-storage are enforced)");
                }
            }
        }
        if (!empty2(c.getEnvFrom())) errors.add(new FieldError(path + ".envFrom", "not supported by agentboxd (no ConfigMaps or Secrets on one host); list env values instead"));
        List<EnvVar> env = c.getEnv() == null ? List.of() : c.getEnv();
        for (int i = 0; i < env.size(); i++) {
            if (env.get(i).getValueFrom() != null) {
                errors.add(new FieldError(path + ".env[" + i + "].valueFrom", "not supported by agentboxd; give a literal value"));
            }
        }
        List<ContainerPort> ports = c.getPorts() == null ? List.of() : c.getPorts();
        for (int i = 0; i < ports.size(); i++) {
            if (ports.get(i).getHostPort() != null) errors.add(new FieldError(path + ".ports[" + i + "].hostPort", "not supported: sandboxes have no network"));
        }
        if (!ports.isEmpty()) warnings.add(path + ".ports: ignored (sandboxes run without a network)");
        if (!empty2(c.getVolumeDevices())) errors.add(new FieldError(path + ".volumeDevices", "not supported by agentboxd"));
        List<VolumeMount> mounts = c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts();
        for (int i = 0; i < mounts.size(); i++) {
            VolumeMount m = mounts.get(i);
            if (!emptyDirs.contains(m.getName())) {
                errors.add(new FieldError(path + ".volumeMounts[" + i + "].name", "no emptyDir volume named " + m.getName() + " in volumes"));
            }
            if (m.getMountPath() == null || !m.getMountPath().startsWith("/") || m.getMountPath().contains("..")) {
                errors.add(new FieldError(path + ".volumeMounts[" + i + "].mountPath", "must be an absolute path without '..'"));
            }
            if (m.getSubPath() != null || m.getSubPathExpr() != null) {
                errors.add(new FieldError(path + ".volumeMounts[" + i + "].subPath", "not supported by agentboxd"));
            }
        }
        Probes.check(c, path, errors);
        SecurityContext sc = c.getSecurityContext();
        if (sc != null) {
            if (Boolean.TRUE.equals(sc.getPrivileged())) errors.add(new FieldError(path + ".securityContext.privileged", "privileged sandboxes are not allowed"));
            if (Boolean.TRUE.equals(sc.getAllowPrivilegeEscalation())) errors.add(new FieldError(path + ".securityContext.allowPrivilegeEscalation", "must not be true on agentboxd"));
            if (sc.getCapabilities() != null && !empty2(sc.getCapabilities().getAdd())) {
                errors.add(new FieldError(path + ".securityContext.capabilities.add", "adding capabilities is not allowed on agentboxd"));
            }
            List<String> drop = sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null ? List.of() : sc.getCapabilities().getDrop();
            for (int i = 0; i < drop.size(); i++) {
                if (dev.agentbox.runtime.SandboxConfig.canonicalCapability(drop.get(i)) == null) {
                    errors.add(new FieldError(path + ".securityContext.capabilities.drop[" + i + "]", "unknown capability " + drop.get(i) + "; use a name like NET_RAW, or ALL"));
                }
            }
            if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) errors.add(new FieldError(path + ".securityContext.procMount", "only Default is supported"));
            if (sc.getWindowsOptions() != null) errors.add(new FieldError(path + ".securityContext.windowsOptions", "not supported: sandboxes are Linux"));
            if (sc.getSeccompProfile() != null || sc.getSeLinuxOptions() != null || sc.getAppArmorProfile() != null) {
                warnings.add(path + ".securityContext: seccompProfile/seLinuxOptions/appArmorProfile are ignored; gVisor's own syscall filtering applies");
            }
        }
    }

    static Integer effectiveUser(PodSpec spec, Container c) {
        if (c != null && c.getSecurityContext() != null && c.getSecurityContext().getRunAsUser() != null) return c.getSecurityContext().getRunAsUser().intValue();
        return spec.getSecurityContext() == null || spec.getSecurityContext().getRunAsUser() == null ? null : spec.getSecurityContext().getRunAsUser().intValue();
    }

    static Integer effectiveGroup(PodSpec spec, Container c) {
        if (c != null && c.getSecurityContext() != null && c.getSecurityContext().getRunAsGroup() != null) return c.getSecurityContext().getRunAsGroup().intValue();
        return spec.getSecurityContext() == null || spec.getSecurityContext().getRunAsGroup() == null ? null : spec.getSecurityContext().getRunAsGroup().intValue();
    }

    static boolean runAsNonRoot(PodSpec spec, Container c) {
        if (c != null && c.getSecurityContext() != null && c.getSecurityContext().getRunAsNonRoot() != null) return c.getSecurityContext().getRunAsNonRoot();
        return spec.getSecurityContext() != null && Boolean.TRUE.equals(spec.getSecurityContext().getRunAsNonRoot());
    }

    /** null when the collection or map is absent or empty, so "set but empty" does not warn. */
    private static Object empty(Object collectionOrMap) {
        return empty2(collectionOrMap) ? null : collectionOrMap;
    }

    private static boolean empty2(Object o) {
        return o == null || (o instanceof java.util.Collection<?> c && c.isEmpty()) || (o instanceof Map<?, ?> m && m.isEmpty());
    }
}
