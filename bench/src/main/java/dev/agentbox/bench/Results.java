package dev.agentbox.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of one bench/run, by name, so that the closing summary can set agentbox beside its peers (raw runsc,
 * podman with runsc) and print ratios. Sections put what they measured; a section that did not run or failed leaves
 * its names absent and the summary says why ({@link #skip}).
 */
final class Results {
    private static final Map<String, Double> VALUES = new LinkedHashMap<>();
    private static final List<String> NOTES = new ArrayList<>();

    private Results() {}

    static synchronized void put(String name, double value) {
        VALUES.put(name, value);
    }

    /** Bench's figures (p50, ms). */
    static void claims(double warm, double cold, double exec, double naiveExec) {
        put("claims.warm.p50", warm);
        put("claims.cold.p50", cold);
        put("claims.exec.p50", exec);
        put("claims.naive.p50", naiveExec);
    }

    static synchronized Double get(String name) {
        return VALUES.get(name);
    }

    /** A section that could not measure: the reason is printed in the summary. */
    static synchronized void skip(String section, String reason) {
        NOTES.add(section + ": not measured: " + reason);
    }

    static synchronized void note(String text) {
        NOTES.add(text);
    }

    static synchronized List<String> notes() {
        return List.copyOf(NOTES);
    }
}
