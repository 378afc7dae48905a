package dev.agentbox.operator.crd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRDs under deploy/crds are exactly what the generator makes from the api classes. To refresh them after
 * changing an api class: {@code mvn -o -pl operator -am test -Dtest=CrdsAreGeneratedTest -Dagentbox.updateCrds=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class CrdsAreGeneratedTest {

    @Test
    void checkedInCrdsEqualTheGeneratedOnes(@TempDir Path tmp) throws Exception {
        Map<String, String> generated = Crds.generate(tmp);
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
