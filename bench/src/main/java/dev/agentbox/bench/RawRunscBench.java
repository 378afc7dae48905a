package dev.agentbox.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw-runsc baseline for starts: {@code runsc run} of a busybox bundle running {@code /bin/true}, start to exit,
 * with agentboxd's runsc flags (platform, {@code --network=none}). Its own runsc root in a temp directory.
 */
final class RawRunscBench {
    private RawRunscBench() {}

    static void run(int n, String platform) throws Exception {
        Path dir = Files.createTempDirectory("agentbox-raw-runsc-bench");
        Path root = dir.resolve("root");
        Path bundle = dir.resolve("bundle");
        try {
            BusyboxRootfs.create(bundle.resolve("rootfs"));
            Cmd.check(List.of("runsc", "spec", "--bundle", bundle.toString(), "--", "/bin/true"), Duration.ofSeconds(30));
            ObjectMapper json = new ObjectMapper();
            ObjectNode spec = (ObjectNode) json.readTree(bundle.resolve("config.json").toFile());
            ((ObjectNode) spec.path("process")).put("terminal", false);
            json.writeValue(bundle.resolve("config.json").toFile(), spec);
            System.err.println("[bench] raw runsc: " + n + " x runsc run /bin/true");
            List<Double> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Cmd.Result r = Cmd.check(List.of("runsc", "--root", root.toString(), "--platform=" + platform, "--network=none", "run",
                        "--bundle", bundle.toString(), "bench-raw-" + i), Duration.ofSeconds(60));
                runs.add(r.millis());
            }
            System.out.println();
            System.out.printf("raw runsc (platform %s, busybox bundle), load average %s%n", platform, HostProcs.loadAverage());
            System.out.printf("  %-44s %5d %7.1f ms %7.1f ms%n", "`runsc run` /bin/true, start -> exit", n, Bench.p(runs, 50), Bench.p(runs, 99));
            Results.put("runsc.run.p50", Bench.p(runs, 50));
        } finally {
            // a run that failed half-way can leave its container: delete every one under this root
            if (Files.isDirectory(root)) {
                for (String line : Cmd.run(List.of("runsc", "--root", root.toString(), "list", "-quiet"), Duration.ofSeconds(30)).output().lines().toList()) {
                    if (!line.isBlank()) Cmd.run(List.of("runsc", "--root", root.toString(), "delete", "--force", line.strip()), Duration.ofSeconds(30));
                }
            }
            TempDirs.delete(dir);
        }
    }
}
