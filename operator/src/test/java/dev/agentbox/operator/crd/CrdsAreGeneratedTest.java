package dev.agentbox.operator.crd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CRDs under deploy/crds are exactly the api module's, which its CrdsAreGeneratedTest checks are what the generator
 * makes from the api classes (the same files give agentboxd its discovery, OpenAPI and Table columns). To refresh both
 * after changing an api class: {@code mvn -o -pl operator -am test -Dtest=CrdsAreGeneratedTest -Dagentbox.updateCrds=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class CrdsAreGeneratedTest {

    @Test
    void checkedInCrdsEqualTheGeneratedOnes() throws Exception {
        check(Crds.KINDS, Crds.CHECKED_IN);
    }

    @Test
    void checkedInPodSnapshotCrdsEqualTheGeneratedOnes() throws Exception {
        check(Crds.SNAPSHOT_KINDS, Crds.SNAPSHOT_CHECKED_IN);
    }

    private static void check(java.util.List<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>> kinds, java.nio.file.Path dir) throws Exception {
        Map<String, String> generated = Crds.fromApi(kinds);
        assertThat(generated).hasSize(kinds.size());
        if (Boolean.getBoolean("agentbox.updateCrds")) {
            Files.createDirectories(dir);
            for (var e : generated.entrySet()) Files.writeString(dir.resolve(e.getKey()), e.getValue());
        }
        Map<String, String> checkedIn = Crds.read(dir);
        assertThat(checkedIn.keySet()).as("CRD files in deploy/crds (regenerate with -Dagentbox.updateCrds=true)")
                .isEqualTo(generated.keySet());
        for (var e : generated.entrySet()) {
            assertThat(checkedIn.get(e.getKey())).as("%s/%s is stale: regenerate with -Dagentbox.updateCrds=true", dir, e.getKey())
                    .isEqualTo(e.getValue());
        }
    }
}
