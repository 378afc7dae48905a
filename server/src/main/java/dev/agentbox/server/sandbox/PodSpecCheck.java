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
            "ephemeralContainers", p -> empty(p.getEphemeralContainers()));

    private static final Map<String, Function<Container, Object>> IGNORED_CONTAINER_FIELDS = Map.of(
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
        Map<String, Volume> volumes = checkVolumes(spec.getVolumes(), path + ".volumes", errors);
        List<Container> containers = spec.getContainers() == null ? List.of() : spec.getContainers();
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < containers.size(); i++) {
            checkContainer(containers.get(i), path + ".containers[" + i + "]", volumes, errors, warnings);
            checkName(containers.get(i), path + ".containers[" + i + "]", names, errors);
        }
        List<Container> inits = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
        for (int i = 0; i < inits.size(); i++) {
            String p = path + ".initContainers[" + i + "]";
            Container c = inits.get(i);
            checkContainer(c, p, volumes, errors, warnings);
            checkName(c, p, names, errors);
            // as the API server: probes and lifecycle hooks are for containers that keep running
            for (var probe : Map.of("readinessProbe", java.util.Optional.ofNullable(c.getReadinessProbe()), "livenessProbe",
                    java.util.Optional.ofNullable(c.getLivenessProbe()), "startupProbe", java.util.Optional.ofNullable(c.getStartupProbe())).entrySet()) {
                if (probe.getValue().isPresent()) errors.add(new FieldError(p + "." + probe.getKey(), "must not be set for init containers"));
            }
            if ("Always".equals(c.getRestartPolicy())) {
                errors.add(new FieldError(p + ".restartPolicy", "sidecar init containers (restartPolicy: Always) are not supported by agentboxd, "
                        + "which runs one long-lived container per sandbox; start the sidecar's process from the main container instead"));
            }
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

    private static void checkName(Container c, String path, Set<String> names, List<FieldError> errors) {
        if (c.getName() == null || !c.getName().matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            errors.add(new FieldError(path + ".name", "required: a DNS label (lower case letters, digits and '-', at most 63), got " + c.getName()));
        } else if (!names.add(c.getName())) {
            errors.add(new FieldError(path + ".name", "duplicate container name " + c.getName() + " (names must be unique among containers and init containers)"));
        }
    }

    private static Map<String, Volume> checkVolumes(List<Volume> volumes, String path, List<FieldError> errors) {
        if (volumes == null) return Map.of();
        for (int i = 0; i < volumes.size(); i++) {
            Volume v = volumes.get(i);
            if (v.getEmptyDir() == null) {
                errors.add(new FieldError(path + "[" + i + "]", "volume " + v.getName()
                        + ": only emptyDir volumes are supported by agentboxd (hostPath, secrets, configMaps and claims cannot be mounted into a local sandbox)"));
            } else if (v.getEmptyDir().getMedium() != null && !Set.of("", "Memory").contains(v.getEmptyDir().getMedium())) {
                errors.add(new FieldError(path + "[" + i + "].emptyDir.medium", "must be \"\" (the sandbox's ephemeral storage) or Memory, got " + v.getEmptyDir().getMedium()));
            }
        }
        Map<String, Volume> out = new java.util.LinkedHashMap<>();
        for (Volume v : volumes) if (v.getEmptyDir() != null && v.getName() != null) out.put(v.getName(), v);
        return out;
    }

    private static void checkContainer(Container c, String path, Map<String, Volume> volumes, List<FieldError> errors, List<String> warnings) {
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
            Volume v = volumes.get(m.getName());
            if (v == null) {
                errors.add(new FieldError(path + ".volumeMounts[" + i + "].name", "no volume named " + m.getName() + " in volumes"));
            }
            if (m.getMountPath() == null || !m.getMountPath().startsWith("/") || m.getMountPath().equals("/")
                    || List.of(m.getMountPath().split("/")).contains("..") || m.getMountPath().startsWith("/.agentbox")) {
                errors.add(new FieldError(path + ".volumeMounts[" + i + "].mountPath", "must be an absolute path other than / and /.agentbox, without '..'"));
            }
            if (m.getSubPathExpr() != null) {
                errors.add(new FieldError(path + ".volumeMounts[" + i + "].subPathExpr", "not supported by agentboxd; use subPath"));
            }
            if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
                if (m.getSubPath().startsWith("/") || List.of(m.getSubPath().split("/")).contains("..")) {
                    errors.add(new FieldError(path + ".volumeMounts[" + i + "].subPath", "must be a relative path without '..'"));
                } else if (v != null && v.getEmptyDir() != null) {
                    errors.add(new FieldError(path + ".volumeMounts[" + i + "].subPath", "not supported on emptyDir volumes by agentboxd "
                            + "(each emptyDir is one tmpfs inside the sandbox); mount the whole volume and use the path inside it"));
                }
            }
            if (m.getMountPropagation() != null && !"None".equals(m.getMountPropagation())) {
                errors.add(new FieldError(path + ".volumeMounts[" + i + "].mountPropagation", "only None is supported"));
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
