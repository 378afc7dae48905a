package dev.agentbox.server.controller;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one controller: a de-duplicating queue of keys and a few worker threads. A key is never
 * reconciled by two workers at once; a key enqueued while it is being reconciled runs again after.
 * Failures are retried with backoff (0.5 s doubling to 30 s).
 */
public final class WorkQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Controller controller;
    private final LinkedHashSet<ObjectKey> queue = new LinkedHashSet<>();
    private final Set<ObjectKey> active = new HashSet<>();
    private final Set<ObjectKey> dirty = new HashSet<>();
    private final java.util.Map<ObjectKey, Integer> failures = new java.util.HashMap<>();
    private final ScheduledExecutorService timer;
    private final Thread[] workers;
    private volatile boolean closed;

    public WorkQueue(Controller controller, int workers) {
        this.controller = controller;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name(controller.name() + "-timer").factory());
        this.workers = new Thread[workers];
        for (int i = 0; i < workers; i++) {
            this.workers[i] = Thread.ofVirtual().name(controller.name() + "-" + i).start(this::work);
        }
    }

    public synchronized void enqueue(ObjectKey key) {
        if (closed) return;
        if (active.contains(key)) {
            dirty.add(key);
        } else if (queue.add(key)) {
            notifyAll();
        }
    }

    public void enqueueAfter(ObjectKey key, Duration delay) {
        if (closed) return;
        timer.schedule(() -> enqueue(key), Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    private void work() {
        while (true) {
            ObjectKey key;
            synchronized (this) {
                while (queue.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) return;
                var it = queue.iterator();
                key = it.next();
                it.remove();
                active.add(key);
            }
            run(key);
        }
    }

    /**
     * Reconciles {@code key} now, on the caller's thread (a one-round-trip claim binds in its request), with the queue's
     * rule kept: it waits while a worker has the key, and workers skip the key while the caller has it (an enqueue meanwhile
     * runs again after). A requeue the reconcile asks for is scheduled as a worker's would be.
     *
     * @throws InterruptedException when interrupted while a worker had the key (nothing was reconciled then)
     */
    public void reconcileNow(ObjectKey key) throws InterruptedException {
        synchronized (this) {
            if (closed) return;
            while (active.contains(key)) wait();
            queue.remove(key); // done now, not again by a worker
            active.add(key);
        }
        run(key);
    }

    /** Runs one reconcile of a key the caller marked active, then releases it (and requeues it when dirty or asked). */
    private void run(ObjectKey key) {
        Result result;
        try {
            result = controller.reconcile(key);
            synchronized (this) {
                failures.remove(key);
            }
        } catch (dev.agentbox.api.NotFoundException e) {
            // the object (or one it writes) was deleted while being reconciled: its deletion event
            // brings the key back if anything is left to do
            log.debug("{} {}: gone while reconciling: {}", controller.name(), key, e.getMessage());
            synchronized (this) {
                failures.remove(key);
            }
            result = Result.DONE;
        } catch (Exception | Error e) {
            int n;
            synchronized (this) {
                n = failures.merge(key, 1, Integer::sum);
            }
            long ms = Math.min(MAX_BACKOFF.toMillis(), 500L << Math.min(n - 1, 10));
            log.warn("{} {}: reconcile failed (attempt {}), retrying in {} ms: {}", controller.name(), key, n, ms, e.toString());
            log.debug("reconcile failure", e);
            result = Result.requeueAfter(Duration.ofMillis(ms));
        }
        synchronized (this) {
            active.remove(key);
            if (dirty.remove(key)) {
                queue.add(key);
            }
            notifyAll(); // a reconcileNow may wait for this key
        }
        if (result instanceof Result.RequeueAfter r) enqueueAfter(key, r.delay());
    }

    /** True when nothing is queued or running (for tests and orderly shutdown). */
    public synchronized boolean idle() {
        return queue.isEmpty() && active.isEmpty();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        timer.shutdownNow();
        for (Thread t : workers) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
