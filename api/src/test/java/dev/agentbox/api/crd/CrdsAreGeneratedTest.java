package dev.agentbox.api.crd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentbox.api.CustomResourceDefinitions;
import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.ResourceKinds;
import io.fabric8.kubernetes.client.CustomResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRDs under src/main/resources/dev/agentbox/api/crds are exactly what the generator makes from the api classes.
 * They are the one source of the kinds' schemas: agentboxd's discovery, OpenAPI and Table output read them, and the
 * operator's deploy/crds are copies (the operator's CrdsAreGeneratedTest). To refresh both after changing an api class:
 * {@code mvn -o -pl operator -am test -Dtest=CrdsAreGeneratedTest -Dagentbox.updateCrds=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class CrdsAreGeneratedTest {

    @Test
    void checkedInCrdsEqualTheGeneratedOnes(@TempDir Path tmp) throws Exception {
        Map<String, String> generated = GeneratedCrds.generate(tmp);
        assertThat(generated).hasSize(GeneratedCrds.kinds().size());
        if (Boolean.getBoolean("agentbox.updateCrds")) {
            for (Path dir : new Path[] {GeneratedCrds.CHECKED_IN, GeneratedCrds.ON_CLASS_PATH}) {
                Files.createDirectories(dir);
                for (var e : generated.entrySet()) Files.writeString(dir.resolve(e.getKey()), e.getValue());
            }
        }
        Map<String, String> checkedIn = GeneratedCrds.read(GeneratedCrds.CHECKED_IN);
        assertThat(checkedIn.keySet()).as("CRD files in %s (regenerate with -Dagentbox.updateCrds=true)", GeneratedCrds.CHECKED_IN)
                .isEqualTo(generated.keySet());
        for (var e : generated.entrySet()) {
            assertThat(checkedIn.get(e.getKey())).as("%s/%s is stale: regenerate with -Dagentbox.updateCrds=true", GeneratedCrds.CHECKED_IN, e.getKey())
                    .isEqualTo(e.getValue());
        }
    }

    @Test
    void everyCustomKindHasItsCrdOnTheClassPath() {
        for (ResourceKind k : ResourceKinds.all()) {
            boolean custom = CustomResource.class.isAssignableFrom(k.type());
            assertThat(CustomResourceDefinitions.tree(k).isPresent()).as("CRD of %s on the class path", k).isEqualTo(custom);
            if (!custom) continue;
            var crd = CustomResourceDefinitions.tree(k).orElseThrow();
            assertThat(crd.path("spec").path("group").asText()).isEqualTo(k.group());
            assertThat(crd.path("spec").path("names").path("kind").asText()).isEqualTo(k.kind());
            assertThat(crd.path("spec").path("names").path("plural").asText()).isEqualTo(k.plural());
            assertThat(crd.path("spec").path("scope").asText()).isEqualTo(k.namespaced() ? "Namespaced" : "Cluster");
            assertThat(CustomResourceDefinitions.version(k)).as("version %s in the CRD of %s", k.version(), k).isPresent();
        }
    }
}
