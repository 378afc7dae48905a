package dev.agentbox.server.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link WorkQueue#reconcileNow}: a caller's reconcile and the workers' never run for one key at once. */
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
        try (WorkQueue queue = new WorkQueue(recorder, 4)) {
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    for (int j = 0; j < 5; j++) {
                        queue.enqueue(key); // as the store's ADDED event does, racing the request
                        try {
                            queue.reconcileNow(key);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }));
            }
            for (Thread t : callers) t.join();
            await().atMost(Duration.ofSeconds(10)).until(queue::idle);
        }
        assertThat(recorder.overlaps.get()).as("reconciles of one key that overlapped").isZero();
        assertThat(recorder.runs.get()).as("every reconcileNow ran").isGreaterThanOrEqualTo(250);
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

    private static volatile WorkQueue queue0;
}
