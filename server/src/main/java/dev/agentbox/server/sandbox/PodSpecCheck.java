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
        return check(spec, path, Set.of());
    }

    /** @param claims the names of the owner's volumeClaimTemplates, which containers may mount as volumes */
    public static Findings check(PodSpec spec, String path, Set<String> claims) {
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
        for (String claim : claims) {
            if (volumes.containsKey(claim)) {
                errors.add(new FieldError(path + ".volumes", "volume " + claim + " is also a volumeClaimTemplate's name; rename one of them"));
            } else {
                volumes.put(claim, new io.fabric8.kubernetes.api.model.VolumeBuilder().withName(claim).build()); // a claim: no source here
            }
        }
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
        if (sc.getFsGroup() != null) warnings.add(path + ".fsGroup: ignored (configMap/secret files are owned by root as without fsGroup; claim directories are writable by every uid)");
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
        Map<String, Volume> out = new java.util.LinkedHashMap<>();
        if (volumes == null) return out;
        for (int i = 0; i < volumes.size(); i++) {
            Volume v = volumes.get(i);
            String p = path + "[" + i + "]";
            if (v.getEmptyDir() != null) {
                if (v.getEmptyDir().getMedium() != null && !Set.of("", "Memory").contains(v.getEmptyDir().getMedium())) {
                    errors.add(new FieldError(p + ".emptyDir.medium", "must be \"\" (the sandbox's ephemeral storage) or Memory, got " + v.getEmptyDir().getMedium()));
                }
            } else if (v.getConfigMap() != null) {
                required(p + ".configMap.name", v.getConfigMap().getName(), errors);
                mode(p + ".configMap.defaultMode", v.getConfigMap().getDefaultMode(), errors);
                items(p + ".configMap.items", v.getConfigMap().getItems(), errors);
            } else if (v.getSecret() != null) {
                required(p + ".secret.secretName", v.getSecret().getSecretName(), errors);
                mode(p + ".secret.defaultMode", v.getSecret().getDefaultMode(), errors);
                items(p + ".secret.items", v.getSecret().getItems(), errors);
            } else if (v.getDownwardAPI() != null) {
                mode(p + ".downwardAPI.defaultMode", v.getDownwardAPI().getDefaultMode(), errors);
                downwardItems(p + ".downwardAPI.items", v.getDownwardAPI().getItems(), errors);
            } else if (v.getProjected() != null) {
                mode(p + ".projected.defaultMode", v.getProjected().getDefaultMode(), errors);
                var sources = v.getProjected().getSources() == null ? List.<io.fabric8.kubernetes.api.model.VolumeProjection>of() : v.getProjected().getSources();
                for (int j = 0; j < sources.size(); j++) {
                    var src = sources.get(j);
                    String sp = p + ".projected.sources[" + j + "]";
                    if (src.getConfigMap() != null) {
                        required(sp + ".configMap.name", src.getConfigMap().getName(), errors);
                        items(sp + ".configMap.items", src.getConfigMap().getItems(), errors);
                    } else if (src.getSecret() != null) {
                        required(sp + ".secret.name", src.getSecret().getName(), errors);
                        items(sp + ".secret.items", src.getSecret().getItems(), errors);
                    } else if (src.getDownwardAPI() != null) {
                        downwardItems(sp + ".downwardAPI.items", src.getDownwardAPI().getItems(), errors);
                    } else {
                        errors.add(new FieldError(sp, "only configMap, secret and downwardAPI sources are supported by agentboxd "
                                + "(serviceAccountToken and clusterTrustBundle need a Kubernetes API server); remove this source"));
                    }
                }
            } else if (v.getPersistentVolumeClaim() != null) {
                errors.add(new FieldError(p + ".persistentVolumeClaim", "volume " + v.getName() + ": agentboxd has no PersistentVolumeClaims to bind; "
                        + "declare the volume in the Sandbox's spec.volumeClaimTemplates (a per-sandbox directory kept across suspend and restart)"));
                continue;
            } else {
                errors.add(new FieldError(p, "volume " + v.getName() + ": agentboxd supports emptyDir, configMap, secret, downwardAPI and projected "
                        + "volumes and volumeClaimTemplates; hostPath and other sources cannot be mounted into a local sandbox"));
                continue;
            }
            if (v.getName() != null) out.put(v.getName(), v);
        }
        return out;
    }

    private static void required(String field, String value, List<FieldError> errors) {
        if (value == null || value.isBlank()) errors.add(new FieldError(field, "required: the name of the object in the sandbox's namespace"));
    }

    /** A file mode: 0 to 0777 (YAML: 0644 or decimal 420), as the API server allows. */
    private static void mode(String field, Integer mode, List<FieldError> errors) {
        if (mode != null && (mode < 0 || mode > 0777)) {
            errors.add(new FieldError(field, "must be between 0 and 0777 (octal; 511 decimal), got " + mode));
        }
    }

    /** A file's path inside its volume: relative, without '..', not starting with '..'. */
    private static void filePath(String field, String path, List<FieldError> errors) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.startsWith("..") || List.of(path.split("/")).contains("..")
                || path.contains("\0") || path.length() > 4096) {
            errors.add(new FieldError(field, "must be a relative path inside the volume, without '..' (e.g. conf/app.properties)"));
        }
    }

    private static void items(String path, List<io.fabric8.kubernetes.api.model.KeyToPath> items, List<FieldError> errors) {
        if (items == null) return;
        for (int i = 0; i < items.size(); i++) {
            var item = items.get(i);
            if (item.getKey() == null || item.getKey().isEmpty()) errors.add(new FieldError(path + "[" + i + "].key", "required: the key to write"));
            filePath(path + "[" + i + "].path", item.getPath(), errors);
            mode(path + "[" + i + "].mode", item.getMode(), errors);
        }
    }

    private static void downwardItems(String path, List<io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile> items, List<FieldError> errors) {
        if (items == null) return;
        for (int i = 0; i < items.size(); i++) {
            var item = items.get(i);
            String p = path + "[" + i + "]";
            filePath(p + ".path", item.getPath(), errors);
            mode(p + ".mode", item.getMode(), errors);
            if ((item.getFieldRef() == null) == (item.getResourceFieldRef() == null)) {
                errors.add(new FieldError(p, "set exactly one of fieldRef and resourceFieldRef"));
            } else if (item.getFieldRef() != null && !DownwardApi.knownField(item.getFieldRef().getFieldPath(), true)) {
                errors.add(new FieldError(p + ".fieldRef.fieldPath", "unsupported field " + item.getFieldRef().getFieldPath() + "; use one of "
                        + new java.util.TreeSet<>(DownwardApi.VOLUME_FIELDS) + " or metadata.labels['KEY'] / metadata.annotations['KEY']"));
            } else if (item.getResourceFieldRef() != null) {
                resourceField(p + ".resourceFieldRef.resource", item.getResourceFieldRef().getResource(), errors);
            }
        }
    }

    private static void resourceField(String field, String resource, List<FieldError> errors) {
        if (!DownwardApi.RESOURCES.contains(resource)) {
            errors.add(new FieldError(field, "unsupported resource " + resource + "; use one of " + new java.util.TreeSet<>(DownwardApi.RESOURCES)));
        }
    }

    private static void checkEnv(Container c, String path, List<FieldError> errors) {
        List<io.fabric8.kubernetes.api.model.EnvFromSource> from = c.getEnvFrom() == null ? List.of() : c.getEnvFrom();
        for (int i = 0; i < from.size(); i++) {
            var f = from.get(i);
            String p = path + ".envFrom[" + i + "]";
            if ((f.getConfigMapRef() == null) == (f.getSecretRef() == null)) {
                errors.add(new FieldError(p, "set exactly one of configMapRef and secretRef"));
            } else if (f.getConfigMapRef() != null) {
                required(p + ".configMapRef.name", f.getConfigMapRef().getName(), errors);
            } else {
                required(p + ".secretRef.name", f.getSecretRef().getName(), errors);
            }
        }
        List<EnvVar> env = c.getEnv() == null ? List.of() : c.getEnv();
        for (int i = 0; i < env.size(); i++) {
            var src = env.get(i).getValueFrom();
            if (src == null) continue;
            String p = path + ".env[" + i + "].valueFrom";
            if (env.get(i).getValue() != null && !env.get(i).getValue().isEmpty()) {
                errors.add(new FieldError(p, "may not be set together with value; keep one"));
            }
            int sources = (src.getConfigMapKeyRef() != null ? 1 : 0) + (src.getSecretKeyRef() != null ? 1 : 0)
                    + (src.getFieldRef() != null ? 1 : 0) + (src.getResourceFieldRef() != null ? 1 : 0);
            if (sources != 1 || src.getFileKeyRef() != null) {
                errors.add(new FieldError(p, "set exactly one of configMapKeyRef, secretKeyRef, fieldRef and resourceFieldRef"));
            } else if (src.getConfigMapKeyRef() != null) {
                required(p + ".configMapKeyRef.name", src.getConfigMapKeyRef().getName(), errors);
                if (src.getConfigMapKeyRef().getKey() == null || src.getConfigMapKeyRef().getKey().isEmpty()) errors.add(new FieldError(p + ".configMapKeyRef.key", "required"));
            } else if (src.getSecretKeyRef() != null) {
                required(p + ".secretKeyRef.name", src.getSecretKeyRef().getName(), errors);
                if (src.getSecretKeyRef().getKey() == null || src.getSecretKeyRef().getKey().isEmpty()) errors.add(new FieldError(p + ".secretKeyRef.key", "required"));
            } else if (src.getFieldRef() != null) {
                if (!DownwardApi.knownField(src.getFieldRef().getFieldPath(), false)) {
                    errors.add(new FieldError(p + ".fieldRef.fieldPath", "unsupported field " + src.getFieldRef().getFieldPath() + "; use one of "
                            + new java.util.TreeSet<>(DownwardApi.ENV_FIELDS) + " or metadata.labels['KEY'] / metadata.annotations['KEY']"));
                }
            } else {
                resourceField(p + ".resourceFieldRef.resource", src.getResourceFieldRef().getResource(), errors);
            }
        }
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
        checkEnv(c, path, errors);
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
