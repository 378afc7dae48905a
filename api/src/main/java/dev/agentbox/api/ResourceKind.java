package dev.agentbox.api;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** One served kind: API group, version, kind, plural, and its Java class. */
public record ResourceKind(String group, String version, String kind, String plural, String singular,
                           Class<? extends HasMetadata> type) {
    public ResourceKind {
        if (group == null || version == null || kind == null || plural == null || type == null) {
            throw new IllegalArgumentException("group, version, kind, plural and type are required");
        }
    }

    /** The kind of a resource class, from its fabric8 annotations (@Group, @Version, @Kind, @Plural). */
    public static ResourceKind of(Class<? extends HasMetadata> type) {
        return new ResourceKind(HasMetadata.getGroup(type), HasMetadata.getVersion(type), HasMetadata.getKind(type),
                HasMetadata.getPlural(type), HasMetadata.getSingular(type), type);
    }

    /** {@code group/version}, e.g. {@code agents.x-k8s.io/v1beta1}. */
    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** False for cluster-scoped kinds (PodSnapshotStorageConfig), true for the others. */
    public boolean namespaced() {
        return io.fabric8.kubernetes.api.model.Namespaced.class.isAssignableFrom(type);
    }

    @Override
    public String toString() {
        return apiVersion() + " " + kind;
    }
}
