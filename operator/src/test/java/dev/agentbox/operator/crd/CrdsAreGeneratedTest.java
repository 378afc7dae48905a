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
        Map<String, String> generated = Crds.fromApi();
        assertThat(generated).hasSize(Crds.KINDS.size());
        if (Boolean.getBoolean("agentbox.updateCrds")) {
            Files.createDirectories(Crds.CHECKED_IN);
            for (var e : generated.entrySet()) Files.writeString(Crds.CHECKED_IN.resolve(e.getKey()), e.getValue());
        }
        Map<String, String> checkedIn = Crds.read(Crds.CHECKED_IN);
        assertThat(checkedIn.keySet()).as("CRD files in deploy/crds (regenerate with -Dagentbox.updateCrds=true)")
                .isEqualTo(generated.keySet());
        for (var e : generated.entrySet()) {
            assertThat(checkedIn.get(e.getKey())).as("deploy/crds/%s is stale: regenerate with -Dagentbox.updateCrds=true", e.getKey())
                    .isEqualTo(e.getValue());
        }
    }
}
