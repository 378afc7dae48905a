package dev.agentbox.client.kubernetes;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.Names;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.SandboxTimeoutException;
import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.internal.Json;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.Commands;
import dev.agentbox.client.SandboxFiles;
import dev.agentbox.client.Snapshots;
import dev.agentbox.client.internal.ResourceSnapshots;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.dsl.ContainerResource;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A sandbox on a cluster: commands and files through {@code pods/exec} on its Pod, its log through {@code pods/log};
 * snapshots through podsnapshot.gke.io.
 */
final class KubernetesSandbox implements dev.agentbox.client.Sandbox, Commands {
    static final Duration WAIT = Duration.ofMinutes(2);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String claimName;
    private final boolean owned;
    private final AtomicBoolean terminated = new AtomicBoolean();
    private volatile PodExec exec;

    KubernetesSandbox(KubernetesClient client, String namespace, String name, String claimName, boolean owned) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.claimName = claimName;
        this.owned = owned;
    }

    @Override public String name() { return name; }
    @Override public String namespace() { return namespace; }
    @Override public String claimName() { return claimName; }
    @Override public Commands commands() { return this; }
    @Override public SandboxFiles files() { return new ExecFiles(exec(), "sandbox " + namespace + "/" + name); }

    /** The Pod's name: the Sandbox's, or the one named in its {@code agents.x-k8s.io/pod-name} annotation. */
    String podName() {
        Sandbox s = sandbox();
        String adopted = s.getMetadata().getAnnotations() == null ? null : s.getMetadata().getAnnotations().get(Names.POD_NAME_ANNOTATION);
        return adopted == null || adopted.isBlank() ? name : adopted;
    }

    private Sandbox sandbox() {
        try {
            Sandbox s = client.resources(Sandbox.class).inNamespace(namespace).withName(name).get();
            if (s == null) throw new NotFoundException("Sandbox " + namespace + "/" + name + " not found");
            return s;
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "get Sandbox " + namespace + "/" + name);
        }
    }

    private PodExec exec() {
        PodExec e = exec;
        if (e != null) return e;
        String pod = podName();
        Pod p;
        try {
            p = client.pods().inNamespace(namespace).withName(pod).get();
        } catch (KubernetesClientException ex) {
            throw Errors.map(ex, "get Pod " + namespace + "/" + pod);
        }
        if (p == null) throw new SandboxFailedException("sandbox " + namespace + "/" + name + " has no Pod (suspended or expired?)");
        e = new PodExec(client, namespace, pod, p.getSpec().getContainers().get(0).getName());
        exec = e;
        return e;
    }

    @Override
    public CommandResult run(CommandRequest request) {
        return exec().run(request, null, null);
    }

    @Override
    public CommandResult run(CommandRequest request, Consumer<String> onStdout, Consumer<String> onStderr) {
        return exec().run(request, onStdout, onStderr);
    }

    // ---- the main process's log: the Pod's (pods/log), of its first container

    @Override
    public String logs(Integer tailLines) {
        checkTail(tailLines);
        ContainerResource c = container();
        try {
            return tailLines == null ? c.getLog() : c.tailingLines(tailLines).getLog();
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "get the log of sandbox " + namespace + "/" + name);
        }
    }

    @Override
    public InputStream followLogs(Integer tailLines) {
        checkTail(tailLines);
        ContainerResource c = container();
        LogWatch watch;
        try {
            watch = tailLines == null ? c.watchLog() : c.tailingLines(tailLines).watchLog();
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "follow the log of sandbox " + namespace + "/" + name);
        }
        return new FilterInputStream(watch.getOutput()) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    watch.close();
                }
            }
        };
    }

    private static void checkTail(Integer tailLines) {
        if (tailLines != null && tailLines < 0) throw new InvalidException("tailLines", "must be 0 or more, or null for the whole log");
    }

    private ContainerResource container() {
        String pod = podName();
        Pod p;
        try {
            p = client.pods().inNamespace(namespace).withName(pod).get();
        } catch (KubernetesClientException ex) {
            throw Errors.map(ex, "get Pod " + namespace + "/" + pod);
        }
        if (p == null) throw new SandboxFailedException("sandbox " + namespace + "/" + name + " has no Pod (suspended or expired?), so no log");
        return client.pods().inNamespace(namespace).withName(pod).inContainer(p.getSpec().getContainers().get(0).getName());
    }

    // ---- snapshots (GKE Pod Snapshots: PodSnapshotManualTrigger -> PodSnapshot; restore pinned by podsnapshot.gke.io/ps-name)

    @Override
    public Snapshots snapshots() {
        String pod = podName();
        ResourceSnapshots base = new ResourceSnapshots(new KubernetesResourceClient(client, namespace), pod);
        return new Snapshots() {
            @Override
            public PodSnapshot create() {
                return base.create();
            }

            @Override
            public List<PodSnapshot> list() {
                List<PodSnapshot> out = new ArrayList<>(client.resources(PodSnapshot.class).inNamespace(namespace).list().getItems().stream()
                        .filter(p -> name.equals(label(p, Names.SOURCE_SANDBOX_LABEL)) || pod.equals(annotation(p, Names.ORIGIN_POD_ANNOTATION)))
                        .toList());
                out.sort(Comparator.comparing((PodSnapshot p) -> String.valueOf(p.getMetadata().getCreationTimestamp())));
                return out;
            }

            @Override
            public void delete(String snapshotName) {
                base.delete(snapshotName);
            }
        };
    }

    private static String label(PodSnapshot p, String key) {
        return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(key);
    }

    private static String annotation(PodSnapshot p, String key) {
        return p.getMetadata().getAnnotations() == null ? null : p.getMetadata().getAnnotations().get(key);
    }

    /** Snapshots the Pod, pins the restore on the pod template, then sets operatingMode Suspended (the operator deletes the Pod). */
    @Override
    public void suspend() {
        PodSnapshot snap = snapshots().create();
        edit(s -> {
            pin(s.getSpec(), snap.getMetadata().getName());
            s.getSpec().setOperatingMode(OperatingMode.SUSPENDED);
        });
        exec = null;
        await(s -> Conditions.get(s, Conditions.READY).map(c -> Conditions.REASON_SANDBOX_SUSPENDED.equals(c.getReason())).orElse(false),
                name, "to report SandboxSuspended");
    }

    /** operatingMode Running: the operator recreates the Pod with the pinned snapshot annotation, so GKE restores it. */
    @Override
    public void resume() {
        edit(s -> s.getSpec().setOperatingMode(OperatingMode.RUNNING));
        await(Conditions::isReady, name, "to be Ready again");
    }

    @Override
    public List<dev.agentbox.client.Sandbox> fork(int n) {
        if (n < 1 || n > 100) throw new InvalidException("n", "between 1 and 100");
        PodSnapshot snap = snapshots().create();
        Sandbox source = sandbox();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Sandbox copy = new Sandbox();
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put(Names.AGENTBOX_PREFIX + "forked-from", name);
            copy.setMetadata(new ObjectMetaBuilder().withGenerateName((name.length() > 40 ? name.substring(0, 40) : name) + "-fork-")
                    .withNamespace(namespace).withLabels(labels).build());
            SandboxSpec spec = Json.deepCopy(source.getSpec());
            spec.setOperatingMode(null);
            pin(spec, snap.getMetadata().getName());
            copy.setSpec(spec);
            names.add(client.resource(copy).create().getMetadata().getName());
        }
        List<dev.agentbox.client.Sandbox> out = new ArrayList<>();
        for (String f : names) {
            await(Conditions::isReady, f, "(a fork) to be Ready");
            out.add(new KubernetesSandbox(client, namespace, f, null, false));
        }
        return out;
    }

    private static void pin(SandboxSpec spec, String snapshot) {
        PodTemplate t = spec.getPodTemplate() == null ? new PodTemplate() : spec.getPodTemplate();
        PodMetadata m = t.getMetadata() == null ? new PodMetadata() : t.getMetadata();
        Map<String, String> a = new LinkedHashMap<>(m.getAnnotations() == null ? Map.of() : m.getAnnotations());
        a.put(Names.PS_NAME_ANNOTATION, snapshot);
        m.setAnnotations(a);
        t.setMetadata(m);
        spec.setPodTemplate(t);
    }

    /** Read-modify-write of the Sandbox; retried when the operator wrote it in between (409 on the resourceVersion). */
    private void edit(Consumer<Sandbox> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                client.resources(Sandbox.class).inNamespace(namespace).withName(name).edit(s -> {
                    change.accept(s);
                    return s;
                });
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409 && attempt < 10) continue;
                throw Errors.map(e, "update Sandbox " + namespace + "/" + name);
            }
        }
    }

    private void await(Predicate<Sandbox> done, String sandboxName, String what) {
        try {
            client.resources(Sandbox.class).inNamespace(namespace).withName(sandboxName)
                    .waitUntilCondition(s -> s != null && done.test(s), WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (KubernetesClientTimeoutException e) {
            throw new SandboxTimeoutException("Sandbox " + namespace + "/" + sandboxName + " did not get " + what + " within " + WAIT.toSeconds() + " s", e);
        }
    }

    @Override
    public void terminate() {
        if (claimName == null || !terminated.compareAndSet(false, true)) return;
        try {
            client.resources(SandboxClaim.class).inNamespace(namespace).withName(claimName).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) throw Errors.map(e, "delete SandboxClaim " + namespace + "/" + claimName);
        }
    }

    @Override
    public void close() {
        if (owned) terminate();
    }

    @Override
    public String toString() {
        return "Sandbox " + namespace + "/" + name + (claimName == null ? "" : " (claim " + claimName + ")");
    }
}
