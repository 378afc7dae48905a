package dev.agentbox.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How agentboxd runs runsc and other host commands: output through files, a timeout, nothing left behind. */
class RunscRunTest {
    @Test
    void exitCodeStdoutAndStderrComeBackAndTheOutputFilesAreUnlinkedWhileTheCommandRuns() throws Exception {
        Runsc.Result r = Runsc.run(List.of("/bin/sh", "-c", "sleep 0.2; readlink /proc/self/fd/1; echo to-err >&2; exit 3"), Duration.ofSeconds(10));
        assertThat(r.code()).isEqualTo(3);
        // a JVM killed now (kill -9 of agentboxd) would leave no agentbox-cmd-* file in the temp directory
        assertThat(r.out()).contains("agentbox-cmd-").contains("(deleted)");
        assertThat(r.err()).isEqualTo("to-err\n");
    }

    @Test
    void onlyTheEndOfAHugeOutputIsKept() throws Exception {
        Runsc.Result r = Runsc.run(List.of("/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a; echo END"), Duration.ofSeconds(10), 100);
        assertThat(r.out()).hasSize(100).endsWith("aaaEND\n");
    }

    @Test
    void aCommandPastItsTimeoutIsKilledAndNamed() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Runsc.run(List.of("/bin/sleep", "30"), Duration.ofSeconds(1)))
                .isInstanceOf(IOException.class).hasMessageContaining("/bin/sleep 30").hasMessageContaining("no answer within 1 s");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    }
}
