package dev.agentbox.operator.crd;

import dev.agentbox.api.CustomResourceDefinitions;
import dev.agentbox.api.ResourceKinds;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operator's CRDs: copies of the api module's generated ones ({@link CustomResourceDefinitions}, checked against
 * fabric8's crd-generator by api's CrdsAreGeneratedTest) for the kinds the operator installs, and the checked-in files.
 */
public final class Crds {
    /** The kinds the operator serves, i.e. the CRDs it installs (the podsnapshot.gke.io kinds come with GKE). */
    public static final List<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>> KINDS =
            List.of(Sandbox.class, SandboxTemplate.class, SandboxClaim.class, SandboxWarmPool.class);

    /** Where the checked-in CRDs live, relative to the operator module. */
    public static final Path CHECKED_IN = Path.of("deploy", "crds");

    /**
     * The podsnapshot.gke.io kinds: GKE installs its own CRDs; for other clusters they are in their own folder with
     * their own kustomization (not applied by {@code kubectl apply -k deploy}).
     */
    public static final List<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>> SNAPSHOT_KINDS = List.of(
            dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig.class, dev.agentbox.api.snapshot.v1.PodSnapshotPolicy.class,
            dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger.class, dev.agentbox.api.snapshot.v1.PodSnapshot.class);
    public static final Path SNAPSHOT_CHECKED_IN = CHECKED_IN.resolve("podsnapshot.gke.io");

    private Crds() {
    }

    /** The api module's CRDs of {@link #KINDS}, file name → content (as the generator wrote them). */
    public static Map<String, String> fromApi() {
        return fromApi(KINDS);
    }

    public static Map<String, String> fromApi(List<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>> kinds) {
        Map<String, String> out = new TreeMap<>();
        for (var type : kinds) {
            var kind = ResourceKinds.forClass(type);
            out.put(CustomResourceDefinitions.fileName(kind), CustomResourceDefinitions.yaml(kind)
                    .orElseThrow(() -> new IllegalStateException("no CRD of " + kind + " in the api module")));
        }
        return out;
    }

    /** The {@code *.yaml} and {@code *.yml} files in a directory, name → content. */
    public static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) return out;
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(f -> !f.getFileName().toString().equals("kustomization.yaml")).filter(f -> f.getFileName().toString().endsWith(".yaml") || f.getFileName().toString().endsWith(".yml")).sorted().toList()) {
                out.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        return out;
    }

    public static CustomResourceDefinition parse(String yaml) {
        return Serialization.unmarshal(yaml, CustomResourceDefinition.class);
    }

    public static CustomResourceDefinition load(String fileName) {
        try (InputStream in = Files.newInputStream(CHECKED_IN.resolve(fileName))) {
            return Serialization.unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The checked-in CRDs, parsed: the operator's and the podsnapshot.gke.io ones. */
    public static List<CustomResourceDefinition> loadAll() {
        try {
            List<CustomResourceDefinition> all = new java.util.ArrayList<>(read(CHECKED_IN).values().stream().map(Crds::parse).toList());
            all.addAll(read(SNAPSHOT_CHECKED_IN).values().stream().map(Crds::parse).toList());
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
