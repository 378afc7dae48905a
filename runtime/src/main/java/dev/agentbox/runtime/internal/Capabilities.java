package dev.agentbox.runtime.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Linux capability names (Kubernetes style, without {@code CAP_}) and their numbers. */
public final class Capabilities {
    private static final List<String> NAMES = List.of(
            "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
            "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
            "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
            "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
            "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
            "CHECKPOINT_RESTORE");
    private static final Map<String, Integer> NUMBERS = new TreeMap<>();

    static {
        for (int i = 0; i < NAMES.size(); i++) NUMBERS.put(NAMES.get(i), i);
    }

    /**
     * What a command running as root gets by default: Docker's default set without KILL (a root command
     * could otherwise signal processes of other users, the agent's included) and NET_RAW (there is no
     * network). A command running as any other user gets none.
     */
    public static final Set<String> COMMAND_DEFAULT = Set.copyOf(List.of(
            "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETGID", "SETUID", "SETPCAP", "SETFCAP",
            "NET_BIND_SERVICE", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE"));

    /** The agent's own set (the OCI process's): what it needs to run commands as any user and manage their files. */
    public static final Set<String> AGENT = Set.copyOf(List.of(
            "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "SETFCAP",
            "NET_BIND_SERVICE", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE"));

    private Capabilities() {}

    /** The canonical name of a capability ({@code CAP_} prefix and case ignored), or null if unknown. */
    public static String canonical(String name) {
        if (name == null) return null;
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.startsWith("CAP_")) n = n.substring(4);
        return n.equals("ALL") || NUMBERS.containsKey(n) ? n : null;
    }

    public static long mask(Set<String> names) {
        long m = 0;
        for (String n : names) {
            Integer bit = NUMBERS.get(canonical(n));
            if (bit != null) m |= 1L << bit;
        }
        return m;
    }

    /** OCI names ({@code CAP_...}) of a set, sorted. */
    public static List<String> oci(Set<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : NAMES) if (names.contains(n)) out.add("CAP_" + n);
        return List.copyOf(out);
    }
}
