package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentbox.api.CustomResourceDefinitions;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What discovery, OpenAPI and Table output say about each served kind, read from the kind's CRD
 * ({@link CustomResourceDefinitions}: generated from the api classes, the same files the operator installs) and, for
 * a kind without one (core/v1), from its class's annotations ({@link ResourceKind}).
 */
final class ServedKinds {
    /**
     * The verbs of every served kind, as kube-apiserver lists them for a custom resource. They name what the resource
     * API serves: create, get, list, watch, update (PUT), delete, and patch and deletecollection.
     */
    static final List<String> VERBS = List.of("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch");
    /** The verbs of the status and scale subresources. */
    static final List<String> SUBRESOURCE_VERBS = List.of("get", "patch", "update");

    /** One kind with its CRD version entry (or none). */
    record Served(ResourceKind kind, Optional<JsonNode> crd, Optional<JsonNode> crdVersion) {
        String listKind() {
            String listKind = names().path("listKind").asText("");
            return listKind.isEmpty() ? kind.kind() + "List" : listKind;
        }

        String singular() {
            String s = names().path("singular").asText("");
            if (!s.isEmpty()) return s;
            return kind.singular() == null ? kind.kind().toLowerCase(java.util.Locale.ROOT) : kind.singular();
        }

        List<String> shortNames() {
            if (crd.isPresent()) return strings(names().path("shortNames"));
            var s = kind.type().getAnnotation(io.fabric8.kubernetes.model.annotation.ShortNames.class);
            return s == null ? List.of() : List.of(s.value());
        }

        List<String> categories() {
            if (crd.isPresent()) return strings(names().path("categories"));
            var c = kind.type().getAnnotation(io.fabric8.kubernetes.model.annotation.Categories.class);
            return c == null ? List.of() : List.of(c.value());
        }

        boolean hasStatus() {
            return crdVersion.map(v -> v.path("subresources").has("status")).orElse(false);
        }

        /** The CRD's scale subresource ({@code specReplicasPath}, {@code statusReplicasPath}, {@code labelSelectorPath}), if any. */
        Optional<JsonNode> scale() {
            return crdVersion.map(v -> v.path("subresources").path("scale")).filter(JsonNode::isObject);
        }

        /** The CRD version's openAPIV3Schema, if any. */
        Optional<JsonNode> schema() {
            return crdVersion.map(v -> v.path("schema").path("openAPIV3Schema")).filter(JsonNode::isObject);
        }

        /** The CRD version's additionalPrinterColumns (possibly empty). */
        List<JsonNode> printerColumns() {
            List<JsonNode> out = new ArrayList<>();
            crdVersion.ifPresent(v -> v.path("additionalPrinterColumns").forEach(out::add));
            return out;
        }

        /** kube-apiserver's storageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64. */
        String storageVersionHash() {
            try {
                byte[] sum = java.security.MessageDigest.getInstance("SHA-256")
                        .digest((kind.group() + "/" + kind.version() + "/" + kind.kind()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(sum, 8));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private JsonNode names() {
            return crd.map(c -> c.path("spec").path("names")).orElse(com.fasterxml.jackson.databind.node.MissingNode.getInstance());
        }

        private static List<String> strings(JsonNode array) {
            List<String> out = new ArrayList<>();
            array.forEach(n -> out.add(n.asText()));
            return List.copyOf(out);
        }
    }

    private final List<Served> all;

    /** Read on first use (parsing the CRDs costs tens of milliseconds: not at start-up). */
    private static final class Holder {
        static final ServedKinds INSTANCE = new ServedKinds();
    }

    /** The served kinds of {@link ResourceKinds#all()}, read once. */
    static ServedKinds instance() {
        return Holder.INSTANCE;
    }

    private ServedKinds() {
        List<Served> out = new ArrayList<>();
        for (ResourceKind k : ResourceKinds.all()) {
            out.add(new Served(k, CustomResourceDefinitions.tree(k), CustomResourceDefinitions.version(k)));
        }
        this.all = List.copyOf(out);
    }

    List<Served> all() {
        return all;
    }

    Served of(ResourceKind kind) {
        return all.stream().filter(s -> s.kind().equals(kind)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(kind + " is not served"));
    }

    /** The core (legacy, {@code /api}) kinds of a version. */
    List<Served> core(String version) {
        return all.stream().filter(s -> s.kind().group().isEmpty() && s.kind().version().equals(version)).toList();
    }

    /** The named groups ({@code /apis}) in the order of {@link ResourceKinds#all()}, each with its versions (preferred first). */
    Map<String, List<String>> groups() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Served s : all) {
            if (s.kind().group().isEmpty()) continue;
            List<String> versions = out.computeIfAbsent(s.kind().group(), g -> new ArrayList<>());
            if (!versions.contains(s.kind().version())) versions.add(s.kind().version());
        }
        return out;
    }

    List<Served> in(String group, String version) {
        return all.stream().filter(s -> s.kind().group().equals(group) && s.kind().version().equals(version)).toList();
    }
}
