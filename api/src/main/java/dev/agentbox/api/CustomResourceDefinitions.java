package dev.agentbox.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CustomResourceDefinitions of the served custom kinds, as generated from the resource classes by fabric8's
 * crd-generator (api's {@code CrdsAreGeneratedTest} checks that these files are exactly its output, and regenerates
 * them with {@code -Dagentbox.updateCrds=true}). They are the one source of the kinds' schemas, names, subresources and
 * printer columns: agentboxd's discovery, OpenAPI and Table output read them here, and the operator's
 * {@code deploy/crds} are copies of them. Kinds that are not custom resources (core/v1) have none.
 */
public final class CustomResourceDefinitions {
    /** Where the files live on the class path. */
    public static final String RESOURCE_DIRECTORY = "/dev/agentbox/api/crds/";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<ResourceKind, Optional<JsonNode>> PARSED = new ConcurrentHashMap<>();

    private CustomResourceDefinitions() {
    }

    /** The file name the generator gives a kind's CRD, e.g. {@code sandboxclaims.extensions.agents.x-k8s.io-v1.yml}. */
    public static String fileName(ResourceKind kind) {
        return kind.plural() + "." + kind.group() + "-v1.yml";
    }

    /** The CRD of a kind as generated (YAML text), or empty for a kind that has none. */
    public static Optional<String> yaml(ResourceKind kind) {
        try (InputStream in = CustomResourceDefinitions.class.getResourceAsStream(RESOURCE_DIRECTORY + fileName(kind))) {
            return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CRD of a kind as a JSON tree (parsed once; do not modify it), or empty for a kind that has none. */
    public static Optional<JsonNode> tree(ResourceKind kind) {
        return PARSED.computeIfAbsent(kind, k -> yaml(k).map(text -> {
            try {
                return YAML.readTree(text);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot parse the CRD of " + k, e);
            }
        }));
    }

    /** The CRD's entry for the kind's version ({@code spec.versions[name=version]}), or empty. */
    public static Optional<JsonNode> version(ResourceKind kind) {
        return tree(kind).flatMap(crd -> {
            for (JsonNode v : crd.path("spec").path("versions")) {
                if (kind.version().equals(v.path("name").asText())) return Optional.of(v);
            }
            return Optional.empty();
        });
    }
}
