package dev.agentbox.client;

import dev.agentbox.api.InvalidException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One kind of resource agentbox serves: its group, version and the names the CLI accepts for it
 * (plural, singular, short names, kubectl-style {@code plural.group}).
 */
public record ResourceType(String kind, String group, String version, String plural, String singular,
                           List<String> shortNames, boolean namespaced) {

    public static final ResourceType SANDBOX = new ResourceType("Sandbox", "agents.x-k8s.io", "v1beta1",
            "sandboxes", "sandbox", List.of("sbx"), true);
    public static final ResourceType SANDBOX_TEMPLATE = new ResourceType("SandboxTemplate", "extensions.agents.x-k8s.io", "v1beta1",
            "sandboxtemplates", "sandboxtemplate", List.of("template", "templates"), true);
    public static final ResourceType SANDBOX_CLAIM = new ResourceType("SandboxClaim", "extensions.agents.x-k8s.io", "v1beta1",
            "sandboxclaims", "sandboxclaim", List.of("claim", "claims"), true);
    public static final ResourceType SANDBOX_WARM_POOL = new ResourceType("SandboxWarmPool", "extensions.agents.x-k8s.io", "v1beta1",
            "sandboxwarmpools", "sandboxwarmpool", List.of("warmpool", "warmpools", "swp"), true);

    public static final ResourceType POD_SNAPSHOT = new ResourceType("PodSnapshot", "podsnapshot.gke.io", "v1",
            "podsnapshots", "podsnapshot", List.of("ps", "snapshot", "snapshots"), true);
    public static final ResourceType POD_SNAPSHOT_POLICY = new ResourceType("PodSnapshotPolicy", "podsnapshot.gke.io", "v1",
            "podsnapshotpolicies", "podsnapshotpolicy", List.of("psp"), true);
    public static final ResourceType POD_SNAPSHOT_MANUAL_TRIGGER = new ResourceType("PodSnapshotManualTrigger", "podsnapshot.gke.io", "v1",
            "podsnapshotmanualtriggers", "podsnapshotmanualtrigger", List.of("psmt"), true);
    public static final ResourceType POD_SNAPSHOT_STORAGE_CONFIG = new ResourceType("PodSnapshotStorageConfig", "podsnapshot.gke.io", "v1",
            "podsnapshotstorageconfigs", "podsnapshotstorageconfig", List.of("pssc"), false);

    /** core/v1 Events agentboxd records about the other kinds (read-only for clients: get, list, watch, delete). */
    public static final ResourceType EVENT = new ResourceType("Event", "", "v1", "events", "event", List.of("ev"), true);

    /** core/v1 ConfigMaps and Secrets that pods reference (volumes, env), stored as Kubernetes stores them. */
    public static final ResourceType CONFIG_MAP = new ResourceType("ConfigMap", "", "v1", "configmaps", "configmap", List.of("cm"), true);
    public static final ResourceType SECRET = new ResourceType("Secret", "", "v1", "secrets", "secret", List.of(), true);

    private static final List<ResourceType> KNOWN = List.of(SANDBOX, SANDBOX_TEMPLATE, SANDBOX_CLAIM, SANDBOX_WARM_POOL,
            POD_SNAPSHOT, POD_SNAPSHOT_POLICY, POD_SNAPSHOT_MANUAL_TRIGGER, POD_SNAPSHOT_STORAGE_CONFIG, EVENT, CONFIG_MAP, SECRET);

    public ResourceType {
        if (kind == null || kind.isBlank()) throw new IllegalArgumentException("kind: required");
        if (version == null || version.isBlank()) throw new IllegalArgumentException("version: required");
        if (plural == null || plural.isBlank()) throw new IllegalArgumentException("plural: required");
        group = group == null ? "" : group;
        singular = singular == null ? kind.toLowerCase(Locale.ROOT) : singular;
        shortNames = shortNames == null ? List.of() : List.copyOf(shortNames);
    }

    /** {@code group/version}, or just the version for the core group. */
    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** kubectl's name for this kind, e.g. {@code sandboxtemplate.extensions.agents.x-k8s.io}. */
    public String qualifiedSingular() {
        return group.isEmpty() ? singular : singular + "." + group;
    }

    /** All kinds this client knows. */
    public static List<ResourceType> all() {
        return KNOWN;
    }

    /**
     * Resolves what a user typed ({@code sandboxes}, {@code sbx}, {@code SandboxClaim}, {@code warmpool},
     * {@code sandboxclaims.extensions.agents.x-k8s.io}) to a kind.
     *
     * @throws InvalidException naming the accepted names when nothing matches
     */
    public static ResourceType resolve(String name) {
        return find(name).orElseThrow(() -> new InvalidException("unknown resource type \"" + name + "\"; use one of "
                + KNOWN.stream().map(t -> t.plural() + (t.shortNames().isEmpty() ? "" : " (" + String.join(", ", t.shortNames()) + ")"))
                .collect(Collectors.joining(", "))));
    }

    public static Optional<ResourceType> find(String name) {
        if (name == null) return Optional.empty();
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (ResourceType t : KNOWN) {
            if (n.equals(t.plural) || n.equals(t.singular) || n.equals(t.kind.toLowerCase(Locale.ROOT)) || t.shortNames.contains(n)
                    || n.equals(t.plural + "." + t.group) || n.equals(t.singular + "." + t.group)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The kind of a manifest, by its apiVersion and kind. */
    public static ResourceType forKind(String apiVersion, String kind) {
        for (ResourceType t : KNOWN) {
            if (t.kind.equals(kind) && t.apiVersion().equals(apiVersion)) return t;
        }
        for (ResourceType t : KNOWN) {
            if (t.kind.equals(kind)) {
                throw new InvalidException("apiVersion", "\"" + apiVersion + "\" is not served for kind " + kind + "; use " + t.apiVersion());
            }
        }
        throw new InvalidException("kind", "unknown kind \"" + kind + "\" (apiVersion " + apiVersion + "); agentbox serves "
                + KNOWN.stream().map(ResourceType::kind).collect(Collectors.joining(", ")));
    }

    /** The kind of a resource class (a fabric8 CustomResource or any annotated HasMetadata). */
    public static ResourceType forClass(Class<? extends HasMetadata> type) {
        String kind = HasMetadata.getKind(type);
        String apiVersion = HasMetadata.getApiVersion(type);
        for (ResourceType t : KNOWN) {
            if (t.kind.equals(kind) && t.apiVersion().equals(apiVersion)) return t;
        }
        return new ResourceType(kind, HasMetadata.getGroup(type), HasMetadata.getVersion(type), HasMetadata.getPlural(type),
                HasMetadata.getSingular(type), List.of(), true);
    }

    public static ResourceType of(HasMetadata resource) {
        return forKind(resource.getApiVersion(), resource.getKind());
    }
}
