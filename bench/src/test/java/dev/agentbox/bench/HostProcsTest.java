package dev.agentbox.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HostProcs against real processes this test starts (each with a marker of its own in its command line). */
class HostProcsTest {
    private final String marker = "hostprocs-" + UUID.randomUUID();
    private Process process;

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor();
        }
    }

    @Test
    void aBusyProcessUsesMostOfACoreAndAnIdleOneNone() throws Exception {
        process = new ProcessBuilder("sh", "-c", "while :; do :; done", marker).start();
        HostProcs.Cpu busy = HostProcs.cpuOver(c -> c.contains(marker), Duration.ofSeconds(2));
        assertThat(busy.processes()).isEqualTo(1);
        assertThat(busy.percentOfCore()).as("a shell loop on a shared 2-core machine").isGreaterThan(20).isLessThan(110);
        stop();
        process = new ProcessBuilder("sh", "-c", "sleep 60", marker).start();
        assertThat(HostProcs.cpuOver(c -> c.contains(marker), Duration.ofSeconds(2)).percentOfCore()).isLessThan(5);
    }

    @Test
    void childrenWithoutTheMarkerAreCountedLikeRunscsPtraceStubs() throws Exception {
        process = new ProcessBuilder("sh", "-c", "sleep 60 & wait", marker).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (process.descendants().findAny().isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
        long child = process.descendants().findFirst().orElseThrow().pid();
        assertThat(HostProcs.cmdline(child)).doesNotContain(marker);
        assertThat(HostProcs.pids(c -> c.contains(marker))).containsExactlyInAnyOrder(process.pid(), child);
        assertThat(HostProcs.count(c -> c.contains(marker))).as("count() leaves the descendants out").isEqualTo(1);
        HostProcs.Memory mem = HostProcs.memory(List.of(process.pid(), child));
        assertThat(mem.processes()).isEqualTo(2);
        assertThat(mem.rssBytes()).isGreaterThanOrEqualTo(mem.pssBytes()).isGreaterThan(0);
    }

    @Test
    void aProcessNamedWithSpacesAndParenthesesStillHasItsTicksRead(@TempDir Path dir) throws Exception {
        // /proc/PID/stat's field 2 is "(name)": a name like "x) 1 2 (" must not shift the fields after it
        Path odd = dir.resolve("x) 1 2 (");
        Files.copy(Path.of("/bin/sleep"), odd);
        odd.toFile().setExecutable(true);
        process = new ProcessBuilder(odd.toString(), "60").start();
        assertThat(HostProcs.ticks(List.of(process.pid()))).containsKey(process.pid());
        assertThat(HostProcs.ticks(List.of(process.pid())).get(process.pid())).isBetween(0L, 100L);
    }

    @Test
    void aGoneProcessIsSkippedNotAnError() {
        assertThat(HostProcs.ticks(List.of(Long.MAX_VALUE))).isEmpty();
        assertThat(HostProcs.memory(List.of(Long.MAX_VALUE)).processes()).isZero();
        assertThat(HostProcs.cmdline(Long.MAX_VALUE)).isNull();
    }
}
