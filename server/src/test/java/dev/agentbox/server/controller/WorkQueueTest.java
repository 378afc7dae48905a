package dev.agentbox.server.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link WorkQueue#reconcileNow}: a caller's reconcile and the workers' never run for one key at once, and a caller never waits for a worker. */
class WorkQueueTest {

    /** Counts reconciles of one key and fails when two overlap. */
    static final class Recorder implements Controller {
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger overlaps = new AtomicInteger();
        final AtomicInteger runs = new AtomicInteger();

        @Override
        public String name() {
            return "test";
        }

        @Override
        public Result reconcile(ObjectKey key) {
            if (inside.incrementAndGet() > 1) overlaps.incrementAndGet();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            runs.incrementAndGet();
            inside.decrementAndGet();
            return Result.DONE;
        }
    }

    @Test
    void reconcileNowFromManyRequestsWhileWorkersRunTheSameKeyNeverOverlaps() throws Exception {
        Recorder recorder = new Recorder();
        ObjectKey key = new ObjectKey("ns", "claim");
        AtomicInteger ranByCaller = new AtomicInteger();
        AtomicInteger skipped = new AtomicInteger();
        try (WorkQueue queue = new WorkQueue(recorder, 4)) {
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    for (int j = 0; j < 5; j++) {
                        queue.enqueue(key); // as the store's ADDED event does, racing the request
                        (queue.reconcileNow(key) ? ranByCaller : skipped).incrementAndGet();
                    }
                }));
            }
            for (Thread t : callers) t.join();
            await().atMost(Duration.ofSeconds(10)).until(queue::idle);
        }
        assertThat(recorder.overlaps.get()).as("reconciles of one key that overlapped").isZero();
        assertThat(ranByCaller.get() + skipped.get()).isEqualTo(250);
        assertThat(ranByCaller.get()).as("some callers found the key free").isPositive();
        assertThat(recorder.runs.get()).as("every reconcileNow that said so ran").isGreaterThanOrEqualTo(ranByCaller.get());
    }

    @Test
    void anEnqueueWhileTheCallerReconcilesRunsAgainAfter() throws Exception {
        Recorder recorder = new Recorder();
        ObjectKey key = new ObjectKey("ns", "claim");
        try (WorkQueue queue = new WorkQueue(new Controller() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public Result reconcile(ObjectKey k) {
                if (recorder.runs.get() == 0) queue0.enqueue(k); // a change arrives while the caller has the key
                return recorder.reconcile(k);
            }
        }, 2)) {
            queue0 = queue;
            queue.reconcileNow(key);
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.runs.get() == 2 && queue.idle());
        }
        assertThat(recorder.overlaps.get()).isZero();
    }

    @Test
    void aCallerDoesNotWaitForAWorkerThatHasTheKey() throws Exception {
        java.util.concurrent.CountDownLatch inWorker = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        ObjectKey key = new ObjectKey("ns", "claim");
        try (WorkQueue queue = new WorkQueue(new Controller() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public Result reconcile(ObjectKey k) {
                inWorker.countDown();
                try {
                    release.await(); // a slow pass (in a claim: binding, then its requeued annotation)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Result.DONE;
            }
        }, 1)) {
            queue.enqueue(key);
            inWorker.await();
            long t0 = System.nanoTime();
            assertThat(queue.reconcileNow(key)).as("the worker's pass is the one under way").isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            release.countDown();
            await().atMost(Duration.ofSeconds(5)).until(queue::idle);
            assertThat(queue.reconcileNow(key)).as("free again: the caller runs it").isTrue();
        }
    }

    private static volatile WorkQueue queue0;
}
