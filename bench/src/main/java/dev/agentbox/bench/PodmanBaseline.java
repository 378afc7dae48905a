package dev.agentbox.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The peer a self-hosting user would pick: Debian's podman with runsc as its OCI runtime, with agentboxd's runsc
 * flags (platform, {@code --network=none}). Installs podman with apt when it is missing (saying so, and how long it
 * took). Its storage lives in a temp directory ({@code --root}, {@code --runroot}, {@code --tmpdir}; vfs driver, so
 * nothing is mounted), its image is imported from a busybox rootfs tar (no registry). Measures {@code podman run --rm}
 * start -> command done, {@code podman exec} round trip, and the idle CPU and memory of {@code podman run -d}
 * sleeping containers. Removes every container, the image and the storage at the end.
 */
final class PodmanBaseline {
    private static final String IMAGE = "localhost/agentbox-bench-busybox:latest";
    private static final Duration CALL = Duration.ofSeconds(120);
    /** Idle containers measured together: one tick of CPU (10 ms) over 30 s is 0.03 %, too coarse for one. */
    private static final int IDLE_CONTAINERS = 5;

    private PodmanBaseline() {}

    static void run(int n, String platform, Duration idleWindow) throws Exception {
        if (!installed()) return;
        Path dir = Files.createTempDirectory("abpod"); // short: podman refuses a runroot longer than 50 characters
        List<String> podman = List.of("podman", "--root", dir.resolve("root").toString(), "--runroot", dir.resolve("rr").toString(),
                "--tmpdir", dir.resolve("tmp").toString(), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                "--runtime", "/usr/bin/runsc", "--runtime-flag", "platform=" + platform, "--runtime-flag", "network=none");
        try {
            Path rootfs = BusyboxRootfs.create(dir.resolve("rootfs"));
            Path tar = dir.resolve("rootfs.tar");
            Cmd.check(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."), CALL);
            Cmd.check(cmd(podman, "import", tar.toString(), IMAGE), CALL);
            System.err.println("[bench] podman: " + n + " x podman run --rm, " + n + " x podman exec");
            Cmd.Result probe = Cmd.run(cmd(podman, "run", "--rm", "--network", "none", IMAGE, "/bin/true"), CALL);
            if (!probe.ok()) {
                Results.skip("podman", "podman run with runsc failed (exit " + probe.exitCode() + "): " + probe.tail());
                System.out.println("\npodman with runsc: " + probe.output().strip());
                return;
            }
            List<Double> cold = new ArrayList<>();
            for (int i = 0; i < n; i++) cold.add(Cmd.check(cmd(podman, "run", "--rm", "--network", "none", IMAGE, "/bin/true"), CALL).millis());
            List<String> idle = new ArrayList<>();
            for (int i = 0; i < IDLE_CONTAINERS; i++) {
                idle.add(Cmd.check(cmd(podman, "run", "-d", "--name", "agentbox-bench-idle-" + i, "--network", "none", IMAGE, "/bin/sleep", "1000000"), CALL)
                        .output().strip().lines().reduce((a, b) -> b).orElseThrow()); // the container id
            }
            String id = idle.get(0);
            for (int i = 0; i < 5; i++) Cmd.check(cmd(podman, "exec", id, "/bin/true"), CALL);
            List<Double> exec = new ArrayList<>();
            for (int i = 0; i < n; i++) exec.add(Cmd.check(cmd(podman, "exec", id, "/bin/true"), CALL).millis());
            Thread.sleep(2000); // the last exec's processes end
            Predicate<String> ofIdle = c -> idle.stream().anyMatch(c::contains); // conmon and runsc name the container id
            HostProcs.Memory mem = HostProcs.memory(HostProcs.pids(ofIdle));
            HostProcs.Cpu cpu = HostProcs.cpuOver(ofIdle, idleWindow);
            System.out.println();
            System.out.printf("podman %s with runsc (platform %s, vfs storage in a temp dir, busybox image), load average %s%n",
                    version(), platform, HostProcs.loadAverage());
            System.out.printf("  %-44s %5d %7.1f ms %7.1f ms%n", "`podman run --rm` /bin/true, start -> done", n, Bench.p(cold, 50), Bench.p(cold, 99));
            System.out.printf("  %-44s %5d %7.1f ms %7.1f ms%n", "`podman exec` /bin/true round trip", n, Bench.p(exec, 50), Bench.p(exec, 99));
            System.out.printf("  %d idle `podman run -d` containers: %d processes (conmon, runsc), per container Pss %.1f MiB, Rss %.1f MiB,"
                            + " CPU %.4f %% of a core over %.0f s%n", IDLE_CONTAINERS, mem.processes(), mem.pssBytes() / 1048576.0 / IDLE_CONTAINERS,
                    mem.rssBytes() / 1048576.0 / IDLE_CONTAINERS, cpu.percentOfCore() / IDLE_CONTAINERS, cpu.seconds());
            Results.put("podman.run.p50", Bench.p(cold, 50));
            Results.put("podman.exec.p50", Bench.p(exec, 50));
            Results.put("podman.idleCpu", cpu.percentOfCore() / IDLE_CONTAINERS);
            Results.put("podman.pssMiB", mem.pssBytes() / 1048576.0 / IDLE_CONTAINERS);
        } finally {
            Cmd.run(cmd(podman, "rm", "-f", "-a", "-t", "0"), CALL);
            Cmd.run(cmd(podman, "rmi", "-f", "-a"), CALL);
            Cmd.run(cmd(podman, "system", "reset", "-f"), CALL);
            TempDirs.delete(dir);
        }
    }

    /** True when podman is there, installing Debian's package first if it is missing. */
    private static boolean installed() {
        if (Cmd.run(List.of("podman", "--version"), Duration.ofSeconds(30)).ok()) return true;
        System.err.println("[bench] podman is missing: installing Debian's package (apt-get install -y podman), for the podman section only");
        Cmd.Result r = Cmd.run(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "podman"), Duration.ofMinutes(10));
        if (!r.ok() && r.output().contains("Unable to locate")) {
            System.err.println("[bench] apt-get does not know podman yet: apt-get update, then again");
            Cmd.run(List.of("apt-get", "update", "-q"), Duration.ofMinutes(5));
            r = Cmd.run(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "podman"), Duration.ofMinutes(10));
        }
        if (!r.ok()) {
            Results.skip("podman", "apt-get install -y podman failed (exit " + r.exitCode() + "): " + r.tail());
            return false;
        }
        System.out.printf("%npodman installed with apt-get in %.1f s%n", r.millis() / 1000);
        Results.put("podman.installSeconds", r.millis() / 1000);
        return true;
    }

    private static String version() {
        return Cmd.run(List.of("podman", "--version"), Duration.ofSeconds(30)).output().strip().replace("podman version ", "");
    }

    private static List<String> cmd(List<String> podman, String... args) {
        List<String> c = new ArrayList<>(podman);
        c.addAll(List.of(args));
        return c;
    }
}
