package dev.agentbox.operator.crd;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPool;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotManualTrigger;
import dev.agentbox.api.snapshot.v1.PodSnapshotPolicy;
import dev.agentbox.api.snapshot.v1.PodSnapshotStorageConfig;
import io.fabric8.crdv2.generator.CRDGenerator;
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

/** Generates the CRDs from the api classes (fabric8 crd-generator v2) and reads the checked-in ones. */
public final class Crds {
    /** The kinds the operator serves, i.e. the CRDs it installs (deploy/kustomization.yaml). */
    public static final List<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>> KINDS =
            List.of(Sandbox.class, SandboxTemplate.class, SandboxClaim.class, SandboxWarmPool.class);

    /**
     * The podsnapshot.gke.io kinds, from the same api classes: GKE installs its own CRDs for them (so the operator's
     * kustomization leaves these out); for other clusters, and as the schema of agentbox's snapshot kinds.
     */
    public static final List<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>> SNAPSHOT_KINDS =
            List.of(PodSnapshotStorageConfig.class, PodSnapshotPolicy.class, PodSnapshotManualTrigger.class, PodSnapshot.class);

    /** Where the checked-in CRDs live, relative to the operator module. */
    public static final Path CHECKED_IN = Path.of("deploy", "crds");

    /** The snapshot kinds' CRDs, with their own kustomization ({@code kubectl apply -k operator/deploy/crds/podsnapshot.gke.io}). */
    public static final Path SNAPSHOT_CHECKED_IN = CHECKED_IN.resolve("podsnapshot.gke.io");

    private Crds() {
    }

    /** Generates the installed kinds' CRD files into {@code dir}; returns file name → content. */
    public static Map<String, String> generate(Path dir) {
        return generate(dir, KINDS);
    }

    /** Generates the CRD files of {@code kinds} into {@code dir}; returns file name → content. */
    public static Map<String, String> generate(Path dir, List<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>> kinds) {
        try {
            Files.createDirectories(dir);
            new CRDGenerator().inOutputDir(dir.toFile()).forCRDVersions("v1").withParallelGenerationEnabled(false).withPostProcessor(new UpstreamMarkers())
                    .customResourceClasses(kinds).generate();
            return read(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code *.yaml} and {@code *.yml} files in a directory but its kustomization, name → content. */
    public static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) return out;
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".yaml") || f.getFileName().toString().endsWith(".yml"))
                    .filter(f -> !f.getFileName().toString().equals("kustomization.yaml")).sorted().toList()) {
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

    /** The checked-in CRDs (installed and snapshot kinds), parsed. */
    public static List<CustomResourceDefinition> loadAll() {
        try {
            List<CustomResourceDefinition> all = new java.util.ArrayList<>(read(CHECKED_IN).values().stream().map(Crds::parse).toList());
            read(SNAPSHOT_CHECKED_IN).values().stream().map(Crds::parse).forEach(all::add);
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
