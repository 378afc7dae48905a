package dev.agentbox.api.crd;

import dev.agentbox.api.CustomResourceDefinitions;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Generates the CRDs of every served custom kind from the api classes (fabric8 crd-generator v2 plus {@link UpstreamMarkers}). */
public final class GeneratedCrds {
    /** The checked-in copies, relative to the api module: the class path resources {@link CustomResourceDefinitions} reads. */
    public static final Path CHECKED_IN = Path.of("src", "main", "resources").resolve(CustomResourceDefinitions.RESOURCE_DIRECTORY.substring(1));
    /** The copies the build put on the class path (refreshed with the checked-in ones, so a reactor build that goes on sees them). */
    public static final Path ON_CLASS_PATH = Path.of("target", "classes").resolve(CustomResourceDefinitions.RESOURCE_DIRECTORY.substring(1));

    private GeneratedCrds() {
    }

    /** The kinds that are custom resources (core kinds such as Events have no CRD). */
    public static List<Class<? extends HasMetadata>> kinds() {
        return ResourceKinds.all().stream().map(ResourceKind::type).filter(CustomResource.class::isAssignableFrom).toList();
    }

    /** Generates the CRD files into {@code dir}; returns file name → content. */
    public static Map<String, String> generate(Path dir) {
        try {
            Files.createDirectories(dir);
            new CRDGenerator().inOutputDir(dir.toFile()).forCRDVersions("v1").withParallelGenerationEnabled(false)
                    .withPostProcessor(new UpstreamMarkers()).customResourceClasses(kinds()).generate();
            return read(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code *.yml} files in a directory, name → content. */
    public static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) return out;
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".yml")).sorted().toList()) {
                out.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        return out;
    }
}
