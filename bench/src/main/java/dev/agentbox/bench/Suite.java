package dev.agentbox.bench;

import dev.agentbox.server.config.DaemonSettings;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * bench/run: agentbox beside its peers in one run. Sections (all by default, or {@code --only a,b}):
 * <ul>
 *   <li>{@code claims}: warm and cold claim -> first exec, exec round trip, one runsc exec per command ({@link Bench})
 *   <li>{@code throughput}: sustained warm claims/s with {@code --claims-per-second CLIENTS} (50) concurrent clients while a pool of {@code --pool N} (50) refills ({@link ClaimThroughput})
 *   <li>{@code density}: N idle sandboxes: fill rate, memory and idle CPU per sandbox, /healthz and warm claims vs the empty host ({@link DensityBench})
 *   <li>{@code contexts}: code-context runs vs a python3 -c exec ({@link CodeContextBench})
 *   <li>{@code runsc}: raw {@code runsc run} start -> exit ({@link RawRunscBench})
 *   <li>{@code podman}: podman with runsc as its runtime: run --rm, exec, idle container ({@link PodmanBaseline})
 * </ul>
 * then a summary with ratios, and the load average at the start and the end (the machine may be shared: read the
 * figures with it).
 */
public final class Suite {
    static final List<String> SECTIONS = List.of("claims", "throughput", "density", "contexts", "runsc", "podman");

    public static void main(String[] args) throws Exception {
        Set<String> only = sections(args);
        Duration idle = Duration.ofSeconds(intArg(args, "--idle-seconds", 30));
        String platform = DaemonSettings.DEFAULTS.runtime().platform();
        System.out.printf("agentbox vs raw runsc vs podman+runsc: %d cores, %.1f GiB, sections %s%n", Runtime.getRuntime().availableProcessors(),
                HostProcs.memTotal() / 1073741824.0, String.join(",", only));
        System.out.println("load average at start: " + HostProcs.loadAverage());
        for (String section : only) {
            try {
                switch (section) {
                    case "claims" -> Bench.main(without(args, "--claims-per-second"));
                    case "throughput" -> Bench.main(withDefault(args, "--claims-per-second", "50"));
                    case "density" -> DensityBench.run(intArg(args, "--density", 100), idle);
                    case "contexts" -> CodeContextBench.run(intArg(args, "--contexts", 100));
                    case "runsc" -> RawRunscBench.run(intArg(args, "--runsc", 20), platform);
                    case "podman" -> PodmanBaseline.run(intArg(args, "--podman", 20), platform, idle);
                    default -> throw new IllegalStateException(section);
                }
            } catch (Exception e) {
                Results.skip(section, e.toString());
                System.err.println("[bench] section " + section + " failed:");
                e.printStackTrace();
            }
        }
        Summary.print();
        System.out.println("load average at end: " + HostProcs.loadAverage());
    }

    /** args without the option {@code name} and its value. */
    static String[] without(String[] args, String name) {
        List<String> out = new java.util.ArrayList<>(Arrays.asList(args));
        int i = out.indexOf(name);
        if (i >= 0) out.subList(i, Math.min(i + 2, out.size())).clear();
        return out.toArray(String[]::new);
    }

    /** args with {@code name value} added when the option is absent. */
    static String[] withDefault(String[] args, String name, String value) {
        if (Arrays.asList(args).contains(name)) return args;
        String[] out = Arrays.copyOf(args, args.length + 2);
        out[args.length] = name;
        out[args.length + 1] = value;
        return out;
    }

    static Set<String> sections(String[] args) {
        int i = Arrays.asList(args).indexOf("--only");
        if (i < 0) return new LinkedHashSet<>(SECTIONS);
        if (i + 1 >= args.length) throw new IllegalArgumentException("--only needs a comma-separated list of sections: " + String.join(",", SECTIONS));
        Set<String> out = new LinkedHashSet<>();
        for (String s : args[i + 1].split(",")) {
            if (!SECTIONS.contains(s.strip())) throw new IllegalArgumentException("unknown section '" + s + "' in --only: pick from " + String.join(",", SECTIONS));
            out.add(s.strip());
        }
        return out;
    }

    static int intArg(String[] args, String name, int fallback) {
        int i = Arrays.asList(args).indexOf(name);
        if (i < 0) return fallback;
        try {
            return Integer.parseInt(args[i + 1]);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " needs a whole number, e.g. " + name + " " + fallback);
        }
    }
}
