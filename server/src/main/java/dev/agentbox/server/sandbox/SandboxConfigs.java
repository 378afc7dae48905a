package dev.agentbox.server.sandbox;

import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.ImageStore;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.SandboxConfig;
import dev.agentbox.server.config.DaemonSettings;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a Sandbox's pod template into the runtime's {@link SandboxConfig}: containers[0]'s image,
 * command + args, env, workingDir, cpu/memory/ephemeral-storage limits, user/group, capabilities,
 * readOnlyRootFilesystem, the pod's volumes and the container's mounts, and the init containers. Admission has already refused what
 * cannot be honoured; this re-checks so that an object stored by an older version still fails loudly.
 *
 * <p>Limits a pod does not set come from the daemon's {@link DaemonSettings.SandboxDefaults} (as a Kubernetes LimitRange's
 * defaults): no sandbox runs without a memory, CPU, process and storage limit. The user is the pod's
 * runAsUser, else the image's configured User (the built-in image's is the unprivileged {@code sandbox}).
 */
public final class SandboxConfigs {
    /** The default process-count limit (a fork bomb hits it; override with the annotation). */
    public static final String MAX_PROCESSES_ANNOTATION = "agentbox.dev/max-processes";

    private final DaemonSettings.SandboxDefaults defaults;
    private final ImageStore images;
    private final PodObjects objects;
    private final SandboxVolumes dirs;

    /** Without ConfigMaps, Secrets and host volume directories: a pod that needs them fails with a message saying so. */
    public SandboxConfigs(DaemonSettings.SandboxDefaults defaults, ImageStore images) {
        this(defaults, images, null, null);
    }

    /**
     * @param images resolves an image's config (its User); null: every image is treated as the built-in one
     * @param objects the ConfigMaps and Secrets pods reference (env valueFrom/envFrom, volumes)
     * @param dirs where configMap/secret/downwardAPI/projected files and volumeClaimTemplate directories live
     */
    public SandboxConfigs(DaemonSettings.SandboxDefaults defaults, ImageStore images, PodObjects objects, SandboxVolumes dirs) {
        this.defaults = defaults;
        this.images = images;
        this.objects = objects;
        this.dirs = dirs;
    }

    public SandboxConfig forSandbox(Sandbox sandbox, String containerId) {
        PodSpec pod = sandbox.getSpec().getPodTemplate() == null ? null : sandbox.getSpec().getPodTemplate().getSpec();
        PodSpecCheck.Findings findings = PodSpecCheck.check(pod, "spec.podTemplate.spec", claimNames(sandbox));
        if (!findings.errors().isEmpty()) throw new InvalidException(findings.errors());
        Container c = pod.getContainers().get(0);
        DownwardApi.Limits lim = limits(c);
        long memory = lim.memoryBytes();
        long cpuMillis = lim.cpuMillis();
        long storage = lim.storageBytes();
        Process main = process(sandbox, pod, c, "spec.podTemplate.spec.containers[0]", lim);

        boolean readOnlyRoot = c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem());

        List<SandboxConfig.Volume> volumes = volumes(sandbox, pod);
        List<SandboxConfig.Mount> mounts = mounts(c);
        List<SandboxConfig.InitContainer> inits = new ArrayList<>();
        List<Container> initContainers = pod.getInitContainers() == null ? List.of() : pod.getInitContainers();
        for (int i = 0; i < initContainers.size(); i++) {
            inits.add(initContainer(sandbox, pod, initContainers.get(i), "spec.podTemplate.spec.initContainers[" + i + "]", lim));
        }

        String annotated = sandbox.getMetadata().getAnnotations() == null ? null : sandbox.getMetadata().getAnnotations().get(MAX_PROCESSES_ANNOTATION);
        int maxProcesses = defaults.processes();
        if (annotated != null) {
            try {
                maxProcesses = Integer.parseInt(annotated.trim());
            } catch (NumberFormatException e) {
                throw new InvalidException("metadata.annotations[" + MAX_PROCESSES_ANNOTATION + "]", "must be a whole number, got " + annotated);
            }
        }
        String hostname = sandbox.getMetadata().getName();
        if (hostname.length() > 63) hostname = hostname.substring(0, 63);
        return new SandboxConfig(containerId, c.getImage(), main.command(), main.env(), main.workingDir(), memory, cpuMillis, maxProcesses,
                main.uid(), main.gid(), readOnlyRoot, volumes, mounts, hostname, storage, capabilities(c), inits);
    }

    /** The limits of the main container, daemon defaults for what it does not set. */
    private DownwardApi.Limits limits(Container c) {
        Map<String, Quantity> limits = c.getResources() == null || c.getResources().getLimits() == null ? Map.of() : c.getResources().getLimits();
        long memory = limits.containsKey("memory") ? Quantity.getAmountInBytes(limits.get("memory")).longValue() : defaults.memory().bytes();
        long cpuMillis = limits.containsKey("cpu")
                ? Quantity.getAmountInBytes(limits.get("cpu")).multiply(BigDecimal.valueOf(1000)).longValue() : defaults.cpu().millis();
        long storage = limits.containsKey("ephemeral-storage")
                ? Quantity.getAmountInBytes(limits.get("ephemeral-storage")).longValue() : defaults.ephemeralStorage().bytes();
        return new DownwardApi.Limits(memory, cpuMillis, storage);
    }

    private static Set<String> claimNames(Sandbox sandbox) {
        Set<String> out = new LinkedHashSet<>();
        for (PersistentVolumeClaimTemplate t : claims(sandbox)) out.add(t.getMetadata().getName());
        return out;
    }

    private static List<PersistentVolumeClaimTemplate> claims(Sandbox sandbox) {
        List<PersistentVolumeClaimTemplate> out = new ArrayList<>();
        var list = sandbox.getSpec().getVolumeClaimTemplates();
        for (PersistentVolumeClaimTemplate t : list == null ? List.<PersistentVolumeClaimTemplate>of() : list) {
            if (t != null && t.getMetadata() != null && t.getMetadata().getName() != null) out.add(t);
        }
        return out;
    }

    /**
     * The pod's volumes as the runtime knows them (PodSpecCheck has refused the kinds it cannot honour): emptyDir as
     * scratch space, configMap/secret/downwardAPI/projected as read-only host files, and each volumeClaimTemplate as a
     * persistent host directory (see {@link SandboxVolumes}).
     */
    List<SandboxConfig.Volume> volumes(Sandbox sandbox, PodSpec pod) {
        List<SandboxConfig.Volume> out = new ArrayList<>();
        for (Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            if (v.getEmptyDir() != null) {
                Quantity size = v.getEmptyDir().getSizeLimit();
                long bytes = size == null ? 0 : Quantity.getAmountInBytes(size).longValue();
                out.add("Memory".equals(v.getEmptyDir().getMedium()) ? SandboxConfig.Volume.memory(v.getName(), bytes) : SandboxConfig.Volume.disk(v.getName(), bytes));
            } else if (ProjectedFiles.handles(v)) {
                out.add(new SandboxConfig.Volume(v.getName(), SandboxConfig.Volume.Medium.HOST_FILES, 0, needDirs().filesDir(sandbox, v.getName())));
            }
        }
        for (PersistentVolumeClaimTemplate t : claims(sandbox)) {
            // the requested storage is not enforced on a host directory (no quota): it is not passed as a size limit
            out.add(new SandboxConfig.Volume(t.getMetadata().getName(), SandboxConfig.Volume.Medium.HOST_DIR, 0,
                    needDirs().claimDir(sandbox, t.getMetadata().getName())));
        }
        return out;
    }

    /**
     * Before the sandbox starts (or resumes): writes the files of its configMap, secret, downwardAPI and projected
     * volumes afresh from the current objects, creates missing claim directories (an existing one keeps its content),
     * and removes the directories of earlier objects of the same name. A missing object or key that is not optional
     * throws {@link ConfigMissingException} before anything is written.
     */
    public void prepareVolumes(Sandbox sandbox) {
        PodSpec pod = sandbox.getSpec().getPodTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        DownwardApi.Limits lim = limits(c);
        Map<String, java.util.Collection<ProjectedFiles.File>> files = new LinkedHashMap<>();
        List<Volume> vs = pod.getVolumes() == null ? List.of() : pod.getVolumes();
        for (int i = 0; i < vs.size(); i++) {
            Volume v = vs.get(i);
            if (ProjectedFiles.handles(v)) {
                files.put(v.getName(), ProjectedFiles.files(sandbox, c, v, "spec.podTemplate.spec.volumes[" + i + "]", objects, lim).values());
            }
        }
        List<PersistentVolumeClaimTemplate> claims = claims(sandbox);
        if (files.isEmpty() && claims.isEmpty()) return;
        SandboxVolumes d = needDirs();
        d.deleteOf(sandbox.getMetadata().getNamespace(), sandbox.getMetadata().getName(), sandbox.getMetadata().getUid());
        files.forEach((name, f) -> d.writeFiles(sandbox, name, f));
        for (PersistentVolumeClaimTemplate t : claims) d.ensureClaim(sandbox, t.getMetadata().getName());
    }

    /** The Sandbox {@code namespace/name} is gone: its volume directories (claims included) go too. */
    public void deleteVolumes(String namespace, String name) {
        if (dirs != null) dirs.deleteOf(namespace, name, null);
    }

    private SandboxVolumes needDirs() {
        if (dirs == null) throw new IllegalStateException("this SandboxConfigs has no volume directory (SandboxVolumes); agentboxd always gives one");
        return dirs;
    }

    static List<SandboxConfig.Mount> mounts(Container c) {
        List<SandboxConfig.Mount> out = new ArrayList<>();
        for (VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
            out.add(new SandboxConfig.Mount(m.getName(), m.getMountPath(), m.getSubPath(), Boolean.TRUE.equals(m.getReadOnly())));
        }
        return out;
    }

    /** An init container: the same rules as the main container's process; a command (its own or its image's) is required. */
    private SandboxConfig.InitContainer initContainer(Sandbox sandbox, PodSpec pod, Container c, String path, DownwardApi.Limits lim) {
        Process p = process(sandbox, pod, c, path, lim);
        if (p.command().isEmpty()) {
            throw new InvalidException(path + ".command", "is required: the image " + c.getImage() + " has no ENTRYPOINT or CMD to run");
        }
        return new SandboxConfig.InitContainer(c.getName(), c.getImage(), p.command(), p.env(), p.workingDir(), p.uid(), p.gid(), capabilities(c), mounts(c));
    }

    /** What runs for one container: argv, environment, working directory and user, from the container and its image's config. */
    private record Process(List<String> command, Map<String, String> env, String workingDir, int uid, int gid) {}

    private Process process(Sandbox sandbox, PodSpec pod, Container c, String path, DownwardApi.Limits lim) {
        ImageStore.ImageConfig image;
        try {
            image = images == null ? ImageStore.ImageConfig.BUILTIN_CONFIG : images.config(c.getImage());
        } catch (RuntimeFailure e) {
            throw new InvalidException(List.of(new FieldError(path + ".image", e.getMessage())));
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : image.env()) {
            int eq = kv.indexOf('=');
            if (eq > 0) env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        env.putAll(EnvSources.resolve(sandbox, c, path, objects, lim));
        Integer uid = PodSpecCheck.effectiveUser(pod, c);
        Integer gid = PodSpecCheck.effectiveGroup(pod, c);
        int runUid = uid != null ? uid : image.uid();
        int runGid = gid != null ? gid : uid != null ? uid : image.gid();
        if (runUid == 0 && PodSpecCheck.runAsNonRoot(pod, c)) {
            throw new InvalidException("spec.podTemplate.spec.securityContext.runAsNonRoot", "is true but the image " + c.getImage()
                    + " (" + path + ") runs as root and runAsUser is not set; set runAsUser to a non-zero uid, e.g. 1000");
        }
        String workingDir = c.getWorkingDir() != null ? c.getWorkingDir() : image.workingDir();
        return new Process(mainCommand(c, image), env, workingDir, runUid, runGid);
    }

    /**
     * The main process as the kubelet builds it: {@code command} replaces the image's ENTRYPOINT (and then its CMD is
     * not used), {@code args} replace its CMD; with neither, ENTRYPOINT + CMD. Empty: only the agent runs.
     */
    static List<String> mainCommand(Container c, ImageStore.ImageConfig image) {
        boolean hasCommand = c.getCommand() != null && !c.getCommand().isEmpty();
        boolean hasArgs = c.getArgs() != null && !c.getArgs().isEmpty();
        List<String> out = new ArrayList<>(hasCommand ? c.getCommand() : image.entrypoint());
        if (hasArgs) out.addAll(c.getArgs());
        else if (!hasCommand) out.addAll(image.cmd());
        return out;
    }

    /** What a root command gets: the default set without what securityContext.capabilities.drop names (ALL: none). */
    static Set<String> capabilities(Container c) {
        Capabilities caps = c.getSecurityContext() == null ? null : c.getSecurityContext().getCapabilities();
        if (caps == null || caps.getDrop() == null || caps.getDrop().isEmpty()) return SandboxConfig.DEFAULT_CAPABILITIES;
        Set<String> out = new LinkedHashSet<>(SandboxConfig.DEFAULT_CAPABILITIES);
        for (String d : caps.getDrop()) {
            String name = SandboxConfig.canonicalCapability(d);
            if ("ALL".equals(name)) return Set.of();
            out.remove(name);
        }
        return out;
    }
}
