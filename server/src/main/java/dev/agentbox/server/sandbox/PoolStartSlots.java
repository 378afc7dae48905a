package dev.agentbox.server.sandbox;

import dev.agentbox.server.controller.ObjectKey;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * Bounds how many warm-pool members start at once. A start is CPU-bound (measured in docs/benchmarks.md: about 0.4
 * core-seconds each), so 30 starts in flight on 2 cores fill a pool no faster than a few do, while the API and
 * the sandboxes that agents already use wait for the CPU. Only unclaimed pool members wait for a slot: a sandbox that a
 * claim waits for (a cold claim, a Sandbox created directly) starts at once.
 *
 * <p>A member that finds no slot is remembered and woken ({@code wake}, which reconciles it again) when one is
 * freed, in the order they asked; the controller also looks again after a while, so a lost wake-up costs only time.
 */
public final class PoolStartSlots {
    private final Consumer<ObjectKey> wake;
    private final LinkedHashSet<ObjectKey> waiting = new LinkedHashSet<>();
    private int free;

    public PoolStartSlots(int slots, Consumer<ObjectKey> wake) {
        if (slots < 1) throw new IllegalArgumentException("slots must be at least 1, got " + slots);
        this.free = slots;
        this.wake = wake;
    }

    /** Two starts per core: a start also waits for runsc's processes and files, so one per core leaves cores idle. */
    public static int defaultSlots() {
        return Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
    }

    /** A slot for {@code key}'s start, or false (it is woken when one is free). */
    public synchronized boolean tryAcquire(ObjectKey key) {
        if (free > 0) {
            free--;
            waiting.remove(key);
            return true;
        }
        waiting.add(key);
        return false;
    }

    /** Gives a slot back and wakes as many waiting members as there are free slots. */
    public void release() {
        List<ObjectKey> next = new ArrayList<>();
        synchronized (this) {
            free++;
            Iterator<ObjectKey> it = waiting.iterator();
            while (it.hasNext() && next.size() < free) {
                next.add(it.next());
                it.remove();
            }
        }
        next.forEach(wake);
    }

    /** Forgets {@code key} (deleted) so that it is not woken. */
    public synchronized void forget(ObjectKey key) {
        waiting.remove(key);
    }

    synchronized int free() {
        return free;
    }

    synchronized int waiting() {
        return waiting.size();
    }
}
