package dev.agentbox.client.internal;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.Names;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.SandboxTimeoutException;
import dev.agentbox.api.agents.v1beta1.OperatingMode;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.agents.v1beta1.SandboxSpec;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTriggerSpec;
import dev.agentbox.client.ResourceClient;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Snapshots;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Snapshots, suspend/resume and fork of one sandbox, done with resources only (PodSnapshotManualTrigger,
 * PodSnapshot, Sandbox.spec.operatingMode and the {@code podsnapshot.gke.io/ps-name} annotation), so it works
 * against any control plane that serves those kinds.
 */
public final class ResourceSnapshots implements Snapshots {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private final ResourceClient resources;
    private final String sandbox;

    public ResourceSnapshots(ResourceClient resources, String sandbox) {
        this.resources = resources;
        this.sandbox = sandbox;
    }

    @Override
    public PodSnapshot create() {
        PodSnapshotManualTrigger t = new PodSnapshotManualTrigger();
        ObjectMeta meta = new ObjectMeta();
        meta.setGenerateName((sandbox.length() > 40 ? sandbox.substring(0, 40) : sandbox) + "-snap-");
        meta.setNamespace(resources.namespace());
        t.setMetadata(meta);
        t.setSpec(new PodSnapshotManualTriggerSpec(sandbox));
        String name = resources.create(t).object().getMetadata().getName();
        PodSnapshotManualTrigger done = await(PodSnapshotManualTrigger.class, name,
                x -> Conditions.get(x, Conditions.TRIGGERED).isPresent(), "PodSnapshotManualTrigger " + name + " to finish");
        Condition c = Conditions.get(done, Conditions.TRIGGERED).orElseThrow();
        if (!Conditions.REASON_COMPLETE.equals(c.getReason())) {
            throw new SandboxFailedException("snapshot of " + sandbox + " failed: " + c.getMessage());
        }
        return resources.get(PodSnapshot.class, done.getStatus().getSnapshotCreated().getName());
    }

    @Override
    public List<PodSnapshot> list() {
        List<PodSnapshot> all = new ArrayList<>(resources.list(PodSnapshot.class, Names.SOURCE_SANDBOX_LABEL + "=" + sandbox));
        all.sort(Comparator.comparing((PodSnapshot p) -> String.valueOf(p.getMetadata().getCreationTimestamp())));
        return all;
    }

    @Override
    public void delete(String snapshotName) {
        resources.delete(ResourceType.POD_SNAPSHOT, snapshotName);
    }

    /** operatingMode Suspended; returns once the sandbox reports SandboxSuspended. */
    public void suspend() {
        setMode(OperatingMode.SUSPENDED);
        await(Sandbox.class, sandbox, s -> Conditions.get(s, Conditions.READY)
                .map(c -> Conditions.REASON_SANDBOX_SUSPENDED.equals(c.getReason())).orElse(false), "sandbox " + sandbox + " to suspend");
    }

    /** operatingMode Running; returns once the sandbox is Ready again. */
    public void resume() {
        setMode(OperatingMode.RUNNING);
        await(Sandbox.class, sandbox, Conditions::isReady, "sandbox " + sandbox + " to resume");
    }

    private void setMode(OperatingMode mode) {
        Sandbox s = resources.get(Sandbox.class, sandbox);
        s.getSpec().setOperatingMode(mode);
        resources.apply(s);
    }

    /** Snapshots the sandbox, then creates n Sandboxes pinned to that snapshot; returns their names once all are Ready. */
    public List<String> fork(int n) {
        if (n < 1 || n > 100) throw new InvalidException("n", "between 1 and 100");
        PodSnapshot snap = create();
        Sandbox source = resources.get(Sandbox.class, sandbox);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Sandbox copy = new Sandbox();
            ObjectMeta meta = new ObjectMeta();
            meta.setGenerateName((sandbox.length() > 40 ? sandbox.substring(0, 40) : sandbox) + "-fork-");
            meta.setNamespace(resources.namespace());
            Map<String, String> labels = new HashMap<>(source.getMetadata().getLabels() == null ? Map.of() : source.getMetadata().getLabels());
            labels.keySet().removeIf(k -> k.startsWith("agents.x-k8s.io/"));
            labels.put(Names.AGENTBOX_PREFIX + "forked-from", sandbox);
            meta.setLabels(labels);
            meta.setAnnotations(Map.of(Names.PS_NAME_ANNOTATION, snap.getMetadata().getName()));
            copy.setMetadata(meta);
            SandboxSpec spec = dev.agentbox.api.internal.Json.mapper().convertValue(source.getSpec(), SandboxSpec.class);
            spec.setOperatingMode(null);
            copy.setSpec(spec);
            names.add(resources.create(copy).object().getMetadata().getName());
        }
        for (String name : names) await(Sandbox.class, name, Conditions::isReady, "fork " + name + " to be Ready");
        return names;
    }

    private <T extends HasMetadata> T await(Class<T> type, String name, Predicate<T> done, String what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            T cur;
            try {
                cur = resources.get(type, name);
            } catch (NotFoundException e) {
                cur = null;
            }
            if (cur != null && done.test(cur)) return cur;
            if (System.nanoTime() > deadline) throw new SandboxTimeoutException("timed out after " + TIMEOUT.toSeconds() + " s waiting for " + what);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxTimeoutException("interrupted while waiting for " + what);
            }
        }
    }
}
