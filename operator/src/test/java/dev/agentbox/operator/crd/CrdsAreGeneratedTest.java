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
        check(Crds.generate(tmp.resolve("installed"), Crds.KINDS), Crds.KINDS.size(), Crds.CHECKED_IN);
    }

    @Test
    void checkedInSnapshotCrdsEqualTheGeneratedOnes(@TempDir Path tmp) throws Exception {
        check(Crds.generate(tmp.resolve("snapshots"), Crds.SNAPSHOT_KINDS), Crds.SNAPSHOT_KINDS.size(), Crds.SNAPSHOT_CHECKED_IN);
    }

    private static void check(Map<String, String> generated, int kinds, Path dir) throws Exception {
        assertThat(generated).hasSize(kinds);
        if (Boolean.getBoolean("agentbox.updateCrds")) {
            Files.createDirectories(dir);
            for (var e : generated.entrySet()) Files.writeString(dir.resolve(e.getKey()), e.getValue());
        }
        Map<String, String> checkedIn = Crds.read(dir);
        assertThat(checkedIn.keySet()).as("CRD files in %s (regenerate with -Dagentbox.updateCrds=true)", dir)
                .isEqualTo(generated.keySet());
        for (var e : generated.entrySet()) {
            assertThat(checkedIn.get(e.getKey())).as("%s/%s is stale: regenerate with -Dagentbox.updateCrds=true", dir, e.getKey())
                    .isEqualTo(e.getValue());
        }
    }
}
