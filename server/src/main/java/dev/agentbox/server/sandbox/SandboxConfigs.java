package dev.agentbox.server.sandbox;

import dev.agentbox.api.InvalidException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.SandboxConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a Sandbox's pod template into the runtime's {@link SandboxConfig}: containers[0]'s image,
 * command + args, env, workingDir, cpu/memory limits, user/group, readOnlyRootFilesystem, its
 * emptyDir mounts and exec readiness probe. Admission has already refused what cannot be honoured;
 * this re-checks so that an object stored by an older version still fails loudly.
 */
public final class SandboxConfigs {
    /** The default process-count limit (a fork bomb hits it; override with the annotation). */
    public static final String MAX_PROCESSES_ANNOTATION = "agentbox.dev/max-processes";

    public SandboxConfig forSandbox(Sandbox sandbox, String containerId) {
        PodSpec pod = sandbox.getSpec().getPodTemplate() == null ? null : sandbox.getSpec().getPodTemplate().getSpec();
        PodSpecCheck.Findings findings = PodSpecCheck.check(pod, "spec.podTemplate.spec");
        if (!findings.errors().isEmpty()) throw new InvalidException(findings.errors());
        Container c = pod.getContainers().get(0);

        List<String> command = new ArrayList<>();
        if (c.getCommand() != null) command.addAll(c.getCommand());
        if (c.getArgs() != null) command.addAll(c.getArgs());
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) env.put(e.getName(), e.getValue() == null ? "" : e.getValue());

        Map<String, Quantity> limits = c.getResources() == null || c.getResources().getLimits() == null ? Map.of() : c.getResources().getLimits();
        long memory = limits.containsKey("memory") ? Quantity.getAmountInBytes(limits.get("memory")).longValue() : 0;
        long cpuMillis = limits.containsKey("cpu") ? Quantity.getAmountInBytes(limits.get("cpu")).multiply(BigDecimal.valueOf(1000)).longValue() : 0;

        Integer uid = PodSpecCheck.effectiveUser(pod, c);
        Integer gid = PodSpecCheck.effectiveGroup(pod, c);
        boolean readOnlyRoot = c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem());

        Map<String, Volume> volumes = new LinkedHashMap<>();
        for (Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) volumes.put(v.getName(), v);
        List<SandboxConfig.EmptyDir> emptyDirs = new ArrayList<>();
        for (VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
            Quantity size = volumes.get(m.getName()).getEmptyDir().getSizeLimit();
            emptyDirs.add(new SandboxConfig.EmptyDir(m.getName(), m.getMountPath(),
                    size == null ? 0 : Quantity.getAmountInBytes(size).longValue(), Boolean.TRUE.equals(m.getReadOnly())));
        }
        List<String> probe = c.getReadinessProbe() == null || c.getReadinessProbe().getExec() == null
                ? List.of() : c.getReadinessProbe().getExec().getCommand();

        String annotated = sandbox.getMetadata().getAnnotations() == null ? null : sandbox.getMetadata().getAnnotations().get(MAX_PROCESSES_ANNOTATION);
        int maxProcesses = SandboxConfig.DEFAULT_MAX_PROCESSES;
        if (annotated != null) {
            try {
                maxProcesses = Integer.parseInt(annotated.trim());
            } catch (NumberFormatException e) {
                throw new InvalidException("metadata.annotations[" + MAX_PROCESSES_ANNOTATION + "]", "must be a whole number, got " + annotated);
            }
        }
        String hostname = sandbox.getMetadata().getName();
        if (hostname.length() > 63) hostname = hostname.substring(0, 63);

        return new SandboxConfig(containerId, c.getImage(), command, env, c.getWorkingDir(), memory, cpuMillis, maxProcesses,
                uid == null ? 0 : uid, gid == null ? (uid == null ? 0 : uid) : gid, readOnlyRoot, emptyDirs, probe, hostname);
    }
}
