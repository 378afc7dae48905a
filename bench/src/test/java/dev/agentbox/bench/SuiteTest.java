package dev.agentbox.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SuiteTest {
    @Test
    void claimsAndThroughputSectionsGetTheirOwnArguments() {
        assertThat(Suite.without(new String[] {"--warm", "3", "--claims-per-second", "20", "--pool", "9"}, "--claims-per-second"))
                .containsExactly("--warm", "3", "--pool", "9");
        assertThat(Suite.withDefault(new String[] {"--pool", "9"}, "--claims-per-second", "50")).containsExactly("--pool", "9", "--claims-per-second", "50");
        assertThat(Suite.withDefault(new String[] {"--claims-per-second", "20"}, "--claims-per-second", "50")).containsExactly("--claims-per-second", "20");
    }

    @Test
    void onlyPicksSectionsAndAnUnknownOneIsNamedWithTheChoices() {
        assertThat(Suite.sections(new String[] {"--density", "5"})).containsExactlyElementsOf(Suite.SECTIONS);
        assertThat(Suite.sections(new String[] {"--only", "podman,density"})).containsExactly("podman", "density");
        assertThatThrownBy(() -> Suite.sections(new String[] {"--only", "density,podmn"}))
                .hasMessageContaining("unknown section 'podmn'").hasMessageContaining("claims,throughput,density,contexts,runsc,podman");
        assertThatThrownBy(() -> Suite.intArg(new String[] {"--density", "many"}, "--density", 100)).hasMessageContaining("--density needs a whole number");
    }

    /** The raw-runsc section runs real runsc and leaves neither a container nor its temp directory. */
    @Test
    void rawRunscSectionMeasuresRealStartsAndCleansUp() throws Exception {
        long before = tempDirs();
        RawRunscBench.run(2, "ptrace");
        assertThat(Results.get("runsc.run.p50")).isGreaterThan(10.0).isLessThan(60_000.0);
        assertThat(tempDirs()).isEqualTo(before);
        assertThat(HostProcs.pids(c -> c.contains("bench-raw-"))).isEmpty();
    }

    private static long tempDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("agentbox-raw-runsc-bench")).count();
        }
    }
}
