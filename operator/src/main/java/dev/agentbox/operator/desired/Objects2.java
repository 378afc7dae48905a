package dev.agentbox.operator.desired;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small helpers on object metadata shared by the desired-state builders. */
public final class Objects2 {
    private Objects2() {
    }

    /** A controller owner reference to {@code owner} (blockOwnerDeletion, as controller-runtime's SetControllerReference). */
    public static OwnerReference controllerRef(HasMetadata owner) {
        return new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    /** The controller owner reference of an object, if any. */
    public static Optional<OwnerReference> controllerOf(HasMetadata o) {
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        if (refs == null) return Optional.empty();
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst();
    }

    /** True when {@code owner} is the controller of {@code o}. */
    public static boolean controlledBy(HasMetadata o, HasMetadata owner) {
        String uid = owner.getMetadata().getUid();
        return controllerOf(o).map(r -> uid != null && uid.equals(r.getUid())).orElse(false);
    }

    public static Map<String, String> labels(HasMetadata o) {
        return o.getMetadata().getLabels() == null ? Map.of() : o.getMetadata().getLabels();
    }

    public static Map<String, String> annotations(HasMetadata o) {
        return o.getMetadata().getAnnotations() == null ? Map.of() : o.getMetadata().getAnnotations();
    }

    /** Parses an RFC 3339 time; null or empty gives null. */
    public static Instant parseTime(String rfc3339) {
        return rfc3339 == null || rfc3339.isEmpty() ? null : OffsetDateTime.parse(rfc3339).toInstant();
    }

    /** Kubernetes' generateName prefix of at most 58 characters (the server appends 5), ending in '-'. */
    public static String generateNamePrefix(String base) {
        String b = base.length() > 57 ? base.substring(0, 57) : base;
        while (b.endsWith("-")) b = b.substring(0, b.length() - 1);
        return b + "-";
    }
}
