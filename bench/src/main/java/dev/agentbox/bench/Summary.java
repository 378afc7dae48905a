package dev.agentbox.bench;

/**
 * The closing table of bench/run: each agentbox figure beside the same measure of a peer, with the ratio
 * peer / agentbox (above 1: agentbox is faster or cheaper). A figure whose section did not run shows "-".
 */
final class Summary {
    private Summary() {}

    static void print() {
        System.out.println();
        System.out.println("summary (p50 unless said; ratio = peer / agentbox, above 1 means agentbox is faster or cheaper)");
        System.out.printf("  %-38s %-16s %-50s %s%n", "measure", "agentbox", "peer", "ratio");
        compare("warm claim -> first command done", "claims.warm.p50", " ms", "raw `runsc run /bin/true`", "runsc.run.p50");
        compare("warm claim -> first command done", "claims.warm.p50", " ms", "`podman run --rm` (runsc) /bin/true", "podman.run.p50");
        compare("cold claim -> first command done", "claims.cold.p50", " ms", "raw `runsc run /bin/true`", "runsc.run.p50");
        compare("cold claim -> first command done", "claims.cold.p50", " ms", "`podman run --rm` (runsc) /bin/true", "podman.run.p50");
        compare("exec round trip of `true`", execKey(), " ms", "one `runsc exec` per command", "claims.naive.p50");
        compare("exec round trip of `true`", execKey(), " ms", "`podman exec` (runsc)", "podman.exec.p50");
        compare("code().run(\"x + 1\")", "contexts.code.p50", " ms", "exec `python3 -c` per snippet", "contexts.python.p50");
        compare("idle CPU per sandbox (% of a core)", "density.idleCpuPerSandbox", " %", "an idle podman container", "podman.idleCpu");
        compare("memory per sandbox (Pss)", "density.pssPerSandboxMiB", " MiB", "an idle podman container", "podman.pssMiB");
        show("warm claim: the claim's round trip", "claims.claimOnly.p50", " ms");
        show("warm claim: its first exec", "claims.firstExec.p50", " ms");
        show("exec `true` without HTTP (runtime API)", "claims.execNoHttp.p50", " ms");
        show("/bin/true spawned by sh inside gVisor", "claims.spawnInside.p50", " ms");
        Double n = Results.get("density.n");
        String at = n == null ? "density" : "at " + Math.round(n) + " idle sandboxes";
        show("warm claim p50 " + at + " / empty host", "density.claimRatio", "x (goal <= 1.5x)");
        show("/healthz p50 " + at + " / empty host", "density.healthzRatio", "x");
        show("sustained claims/s, warm and cold", "throughput.claimsPerSecond", " claims/s");
        show("sustained warm claims/s (goal >= 100)", "throughput.warmClaimsPerSecond", " claims/s");
        show("warm claims/s while ready members last", "throughput.burstWarmClaimsPerSecond", " claims/s");
        show("claims/s, all clients at once, ready pool", "throughput.allAtOnceClaimsPerSecond", " claims/s");
        show("pool fill rate " + at, "density.fillPerSecond", " sandboxes/s");
        show("podman install with apt-get", "podman.installSeconds", " s");
        for (String note : Results.notes()) System.out.println("  " + note);
    }

    /** Bench's exec figure, or the code-context section's when only that ran. */
    private static String execKey() {
        return Results.get("claims.exec.p50") != null ? "claims.exec.p50" : "exec.true.p50";
    }

    private static void compare(String measure, String key, String unit, String peer, String peerKey) {
        Double a = Results.get(key);
        Double b = Results.get(peerKey);
        String ratio = a == null || b == null ? "-" : a == 0 ? "inf" : "%.2fx".formatted(b / a);
        System.out.printf("  %-38s %-16s %-50s %s%n", measure, value(a, unit), peer + " " + value(b, unit), ratio);
    }

    private static void show(String measure, String key, String unit) {
        Double v = Results.get(key);
        if (v != null) System.out.printf("  %-38s %s%n", measure, value(v, unit));
    }

    private static String value(Double v, String unit) {
        if (v == null) return "-";
        return (Math.abs(v) < 0.1 && v != 0 ? "%.4f" : "%.1f").formatted(v) + unit;
    }
}
