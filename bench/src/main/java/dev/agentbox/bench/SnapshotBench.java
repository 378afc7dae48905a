package dev.agentbox.bench;

import dev.agentbox.runtime.CheckpointInfo;
import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.ExecResult;
import dev.agentbox.runtime.GvisorRuntime;
import dev.agentbox.runtime.ImageStore;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.SandboxConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Snapshot benchmark on real gVisor (the runtime agentboxd uses). "First exec" is the first command that
 * needs the sandbox's init to be done: {@code cat /tmp/ready} (written by the main process when its init
 * finished). Cold: start, poll that command until it succeeds. Restore: restore, run it once.
 * Heavy template: Python builds a 3M-entry dict (>= 3 s here), then serves. Light: a shell that is ready at once.
 */
public final class SnapshotBench {
    static final List<String> HEAVY = List.of("python3", "-c", """
            import time, os
            t = time.time()
            data = {}
            i = 0
            while time.time() - t < 3.0 or i < 1000000:
                data[i] = str(i) * 3
                i += 1
            open('/tmp/ready', 'w').write('%d entries\\n' % len(data))
            while True:
                time.sleep(1)
            """);
    /** CPU-heavy init: >= 3 s of SHA-256 chaining, keeping every 8th digest (a moderate structure, tens of MB). */
    static final List<String> CPU = List.of("python3", "-c", """
            import time, hashlib
            t = time.time()
            out = bytearray()
            h = b'seed'
            while time.time() - t < 3.0:
                for _ in range(1000):
                    for _ in range(8):
                        h = hashlib.sha256(h).digest()
                    out += h
            open('/tmp/ready', 'w').write('%d bytes\\n' % len(out))
            while True:
                time.sleep(1)
            """);
    static final List<String> LIGHT = List.of("/bin/sh", "-c", "echo ok > /tmp/ready; exec sleep infinity");
    static final AtomicInteger ids = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        int runs = 10;
        for (int i = 0; i < args.length; i++) if (args[i].equals("--runs")) runs = Integer.parseInt(args[++i]);
        Path base = Files.createTempDirectory("snapbench");
        try (GvisorRuntime rt = new GvisorRuntime(base.resolve("runtime"))) {
            System.out.printf("snapshot benchmark, %d runs each, runsc %s%n", runs, "systrap");
            Path heavyImage = figures(rt, base, "heavy (python, >=3 s init)", HEAVY, runs);
            Path cpuImage = figures(rt, base, "cpu-heavy (python, >=3 s of hashing into a bytearray)", CPU, runs);
            figures(rt, base, "light (shell)", LIGHT, runs);
            placement(rt, base, heavyImage, runs);

            // fork 10: ten sandboxes restored at once from one image
            long t0 = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            List<RunningSandbox> forks = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 10; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        RunningSandbox r = rt.restore(config(HEAVY), heavyImage);
                        firstExec(r);
                        forks.add(r);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (Thread t : threads) t.join();
            double fork10 = ms(t0);
            forks.forEach(RunningSandbox::destroy);
            System.out.printf("fork 10 (heavy, 10 concurrent restores -> first exec each): %.0f ms, %d sandboxes%n", fork10, forks.size());

            // pool refill: 3 members restored one after another (as a pool controller refills)
            t0 = System.nanoTime();
            List<RunningSandbox> pool = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RunningSandbox r = rt.restore(config(HEAVY), heavyImage);
                firstExec(r);
                pool.add(r);
            }
            double refill = ms(t0);
            pool.forEach(RunningSandbox::destroy);
            System.out.printf("warm pool of 3 (heavy) refilled by restore: %.0f ms (%.0f ms per member)%n", refill, refill / 3);
            if (cpuImage == null) throw new IllegalStateException("no cpu-heavy image");
        }
        SnapshotDaemonBench.run(runs);
    }

    /**
     * Where the image lives: the storage dir on disk (page cache warm after the first read) vs a copy on tmpfs
     * (/dev/shm), and runsc restore's only loading option here, --direct (O_DIRECT reads; no --background in 0.0~20240729).
     */
    static void placement(GvisorRuntime rt, Path base, Path image, int runs) throws Exception {
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "snapbench-");
        Path copy = shm.resolve(image.getFileName());
        try {
            Files.createDirectories(copy);
            try (var files = Files.list(image)) {
                for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
            }
            List<Double> disk = new ArrayList<>(), tmpfs = new ArrayList<>(), dropped = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                disk.add(restoreToFirstExec(rt, image));
                tmpfs.add(restoreToFirstExec(rt, copy));
            }
            // cold page cache: what a restore costs after the image fell out of memory (needs root)
            for (int i = 0; i < Math.min(runs, 3); i++) {
                try {
                    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
                } catch (Exception e) {
                    break;
                }
                dropped.add(restoreToFirstExec(rt, image));
            }
            System.out.printf("heavy image placement (restore -> first exec, median): disk (page cache warm) %.0f ms, /dev/shm %.0f ms%s%n",
                    pct(disk, 50), pct(tmpfs, 50), dropped.isEmpty() ? "" : String.format(", disk after drop_caches %.0f ms", pct(dropped, 50)));
        } finally {
            try (var files = Files.walk(shm)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    static double restoreToFirstExec(GvisorRuntime rt, Path image) throws Exception {
        long t0 = System.nanoTime();
        RunningSandbox r = rt.restore(config(HEAVY), image);
        firstExec(r);
        double ms = ms(t0);
        r.destroy();
        return ms;
    }

    static Path figures(GvisorRuntime rt, Path base, String label, List<String> cmd, int runs) throws Exception {
        List<Double> cold = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            RunningSandbox r = rt.start(config(cmd));
            while (r.exec(ExecRequest.shell("cat /tmp/ready")).exitCode() != 0) Thread.sleep(20);
            cold.add(ms(t0));
            r.destroy();
        }
        RunningSandbox src = rt.start(config(cmd));
        while (src.exec(ExecRequest.shell("cat /tmp/ready")).exitCode() != 0) Thread.sleep(20);
        List<Double> ckpt = new ArrayList<>();
        CheckpointInfo info = null;
        for (int i = 0; i < 3; i++) {
            info = src.checkpoint(base.resolve("img-" + ids.incrementAndGet()), true);
            ckpt.add((double) info.took().toMillis());
        }
        src.destroy();
        List<Double> restore = new ArrayList<>();
        List<Double> restoreOnly = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            RunningSandbox r = rt.restore(config(cmd), info.imageDir());
            restoreOnly.add(ms(t0));
            firstExec(r);
            restore.add(ms(t0));
            r.destroy();
        }
        double c = pct(cold, 50), rs = pct(restore, 50);
        System.out.printf("%s:%n  cold start -> first exec: median %.0f ms (p99 %.0f)%n  restore -> first exec:    median %.0f ms (p99 %.0f)  => %.1fx faster%n"
                        + "  restore alone: p50 %.0f ms, p99 %.0f ms%n  checkpoint (leave running): median %.0f ms, image %.1f MB%n",
                label, c, pct(cold, 99), rs, pct(restore, 99), c / rs, pct(restoreOnly, 50), pct(restoreOnly, 99), pct(ckpt, 50), info.sizeBytes() / 1e6);
        return info.imageDir();
    }

    static void firstExec(RunningSandbox r) throws Exception {
        ExecResult e = r.exec(ExecRequest.shell("cat /tmp/ready"));
        if (e.exitCode() != 0) throw new IllegalStateException("restored sandbox is not initialised: " + new String(e.stderr()));
    }

    static SandboxConfig config(List<String> cmd) {
        return new SandboxConfig("bench-" + ProcessHandle.current().pid() + "-" + ids.incrementAndGet(), ImageStore.BUILTIN, cmd, Map.of(), "/tmp",
                1L << 30, 0, 256, 1000, 1000, false, "bench");
    }

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    static double pct(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }
}
