package dev.agentbox.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What host processes cost, read from /proc: CPU ticks (utime + stime of /proc/PID/stat) and memory (Pss and Rss of
 * /proc/PID/smaps_rollup). Processes are chosen by their command line, e.g. every runsc and shim process whose
 * arguments name one state directory.
 */
final class HostProcs {
    /** USER_HZ: the unit of /proc/PID/stat's times; 100 on every Linux build this runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private HostProcs() {}

    /** Memory of a set of processes, in bytes. Pss splits shared pages among their users; Rss counts them in each. */
    record Memory(int processes, long pssBytes, long rssBytes) {}

    /** CPU used by the chosen processes over a window: {@code percentOfCore} is 100 for one core busy all the time. */
    record Cpu(int processes, double seconds, double percentOfCore, Map<Long, Long> ticksByPid) {
        /** The share of one of the processes alone. */
        double percentOfCore(long pid) {
            return ticksByPid.getOrDefault(pid, 0L) / TICKS_PER_SECOND / seconds * 100;
        }

        /** The share of all but one of them. */
        double percentOfCoreWithout(long pid) {
            return percentOfCore - percentOfCore(pid);
        }
    }

    /**
     * Pids whose command line (arguments joined by spaces) matches, and all their descendants: with the ptrace
     * platform the sandboxed code runs in stub processes forked by runsc-sandbox, which have no command line.
     * One pass over /proc (ProcessHandle.descendants() scans it once per call: too slow for thousands of processes).
     */
    static List<Long> pids(Predicate<String> cmdline) {
        return scan(cmdline, true);
    }

    /** How many processes match, without their descendants. */
    static int count(Predicate<String> cmdline) {
        return scan(cmdline, false).size();
    }

    private static List<Long> scan(Predicate<String> cmdline, boolean descendants) {
        Set<Long> out = new LinkedHashSet<>();
        Map<Long, List<Long>> children = new HashMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) continue;
                long pid = Long.parseLong(name);
                String cmd = cmdline(pid);
                if (cmd != null && cmdline.test(cmd)) out.add(pid);
                long parent = parent(pid);
                if (parent > 0) children.computeIfAbsent(parent, k -> new ArrayList<>()).add(pid);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        ArrayDeque<Long> todo = new ArrayDeque<>(descendants ? out : Set.of());
        while (!todo.isEmpty()) {
            for (long child : children.getOrDefault(todo.poll(), List.of())) if (out.add(child)) todo.add(child);
        }
        return new ArrayList<>(out);
    }

    /** Field 4 of /proc/PID/stat, or 0 when it is gone. */
    private static long parent(long pid) {
        String[] f = statFields(pid);
        return f == null ? 0 : Long.parseLong(f[1]);
    }

    /** The fields of /proc/PID/stat from field 3 on, or null when it is gone. */
    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name (field 2) may hold spaces and parentheses: the fields after the last ')' start at field 3
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The processes of runsc (sandbox, gofer, the runsc that waits) and agentbox-shim whose arguments contain {@code marker}. */
    static Predicate<String> runscOf(String marker) {
        return cmd -> cmd.contains(marker) && (cmd.contains("runsc") || cmd.contains("agentbox-shim"));
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ');
        } catch (IOException e) {
            return null; // gone
        }
    }

    /** utime + stime of each pid still alive. */
    static Map<Long, Long> ticks(List<Long> pids) {
        Map<Long, Long> out = new HashMap<>();
        for (long pid : pids) {
            String[] f = statFields(pid);
            if (f != null) out.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12])); // else gone between listing and reading
        }
        return out;
    }

    /** CPU of the processes matching {@code cmdline} (listed at the start) over {@code window}. */
    static Cpu cpuOver(Predicate<String> cmdline, Duration window) throws InterruptedException {
        return cpuOver(pids(cmdline), window);
    }

    /** CPU of {@code pids} over {@code window}. */
    static Cpu cpuOver(List<Long> pids, Duration window) throws InterruptedException {
        Map<Long, Long> before = ticks(pids);
        long t0 = System.nanoTime();
        Thread.sleep(window);
        Map<Long, Long> after = ticks(pids);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long used = 0;
        Map<Long, Long> byPid = new HashMap<>();
        for (var e : after.entrySet()) {
            Long b = before.get(e.getKey());
            if (b != null) {
                used += e.getValue() - b;
                byPid.put(e.getKey(), e.getValue() - b);
            }
        }
        return new Cpu(pids.size(), seconds, used / TICKS_PER_SECOND / seconds * 100, Map.copyOf(byPid));
    }

    static Memory memory(List<Long> pids) {
        long pss = 0;
        long rss = 0;
        int n = 0;
        for (long pid : pids) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                    if (line.startsWith("Pss:")) pss += kib(line);
                    else if (line.startsWith("Rss:")) rss += kib(line);
                }
                n++;
            } catch (IOException e) {
                // gone
            }
        }
        return new Memory(n, pss << 10, rss << 10);
    }

    /** MemAvailable of /proc/meminfo, in bytes. */
    static long memAvailable() {
        return meminfo("MemAvailable:");
    }

    static long memTotal() {
        return meminfo("MemTotal:");
    }

    private static long meminfo(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) if (line.startsWith(field)) return kib(line) << 10;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/meminfo: " + e.getMessage(), e);
        }
        throw new IllegalStateException("no " + field + " in /proc/meminfo");
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
