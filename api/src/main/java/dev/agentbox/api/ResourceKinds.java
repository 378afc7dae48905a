package dev.agentbox.api;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Optional;

/**
 * The registry of kinds agentbox serves: Agent Sandbox (agents / extensions v1beta1), Pod Snapshot (podsnapshot.gke.io/v1),
 * and from core/v1: Event (agentboxd records it about the others; clients only read it: get, list, watch, delete) and
 * the ConfigMap and Secret that pods reference (group "", served under {@code /api/v1}).
 */
public final class ResourceKinds {
    private static final List<ResourceKind> ALL = List.of(
            ResourceKind.of(Sandbox.class),
            ResourceKind.of(SandboxTemplate.class),
            ResourceKind.of(SandboxClaim.class),
            ResourceKind.of(SandboxWarmPool.class),
            ResourceKind.of(PodSnapshotStorageConfig.class),
            ResourceKind.of(PodSnapshotPolicy.class),
            ResourceKind.of(PodSnapshotManualTrigger.class),
            ResourceKind.of(PodSnapshot.class),
            ResourceKind.of(Event.class),
            // core/v1, so that upstream's examples that ship them apply; served under /api/v1 (see CoreValidation)
            ResourceKind.of(io.fabric8.kubernetes.api.model.ConfigMap.class),
            ResourceKind.of(io.fabric8.kubernetes.api.model.Secret.class));

    private ResourceKinds() {
    }

    /** Every served kind. */
    public static List<ResourceKind> all() {
        return ALL;
    }

    /** The kind served under {@code /apis/{group}/.../{plural}} (any version); check {@link ResourceKind#version()} yourself. */
    public static Optional<ResourceKind> byPlural(String group, String plural) {
        return ALL.stream().filter(k -> k.group().equals(group) && k.plural().equals(plural)).findFirst();
    }

    /** The kind served under {@code /apis/{group}/{version}/.../{plural}}. */
    public static Optional<ResourceKind> byPlural(String group, String version, String plural) {
        return ALL.stream().filter(k -> k.group().equals(group) && k.version().equals(version) && k.plural().equals(plural)).findFirst();
    }

    /** The kind with this apiVersion and kind, e.g. {@code extensions.agents.x-k8s.io/v1beta1}, {@code SandboxClaim}. */
    public static Optional<ResourceKind> byApiVersionAndKind(String apiVersion, String kind) {
        return ALL.stream().filter(k -> k.apiVersion().equals(apiVersion) && k.kind().equals(kind)).findFirst();
    }

    /** A kind by name, plural, singular or short name, case-insensitive (for CLIs: {@code get sandboxes}, {@code get swp}). */
    public static Optional<ResourceKind> byName(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return ALL.stream().filter(k -> k.kind().toLowerCase(java.util.Locale.ROOT).equals(n) || k.plural().equals(n)
                || n.equals(k.singular()) || shortNames(k.type()).contains(n)).findFirst();
    }

    /** The kind of a resource class; fails for a class that is not served. */
    public static ResourceKind forClass(Class<? extends HasMetadata> type) {
        return ALL.stream().filter(k -> k.type().equals(type)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(type.getName() + " is not a served kind"));
    }

    private static List<String> shortNames(Class<?> type) {
        io.fabric8.kubernetes.model.annotation.ShortNames s = type.getAnnotation(io.fabric8.kubernetes.model.annotation.ShortNames.class);
        return s == null ? List.of() : List.of(s.value());
    }
}
