package dev.agentbox.server.sandbox;

import dev.agentbox.runtime.ImagePuller;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.server.controller.ObjectKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image pulls a sandbox start waits for, run in the background so that no controller worker or request thread
 * waits on a registry: the sandbox controller asks {@link #check} at each reconcile and gets the pull's state back at
 * once; a finished pull (done or failed) reconciles every sandbox that waits for it again ({@code wake}).
 *
 * <p>One pull per reference at a time, whatever the number of sandboxes waiting (and {@link ImagePuller} joins a pull
 * of the same reference started elsewhere, e.g. at apply). A failed reference is not asked again before its back-off
 * ends: 10 s, doubling at each failure in a row, capped at 5 min, as the kubelet's image back-off.
 */
public final class StartPulls {
    private static final Logger log = LoggerFactory.getLogger(StartPulls.class);
    public static final Duration FIRST_BACKOFF = Duration.ofSeconds(10);
    public static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    /** Pulls run at once; the others queue (each distinct reference of a stored Sandbox is at most one task). */
    public static final int CONCURRENT_PULLS = 4;

    /** What the pull of one image is, for one sandbox. */
    public sealed interface State {
        /** Running; {@code progress} is the pull's latest progress line. */
        record Pulling(String progress) implements State { }

        /** Done for this sandbox; {@code fresh}: the first time it is reported (record the Pulled event now). */
        record Pulled(String imageId, Duration took, boolean fresh) implements State { }

        /** The last pull failed ({@code failures} in a row); the next is not before {@code retryAt} ({@code backoff} after it). */
        record Failed(String message, int failures, Duration backoff, Instant retryAt) implements State { }
    }

    /** One reference: its running pull or its last failure, and the sandboxes waiting for it. */
    private static final class Entry {
        final Set<ObjectKey> waiters = ConcurrentHashMap.newKeySet();
        volatile boolean running;
        volatile String progress;
        volatile String message;
        volatile int failures;
        volatile Instant retryAt;
        volatile Duration backoff;
    }

    private final ImagePuller puller;
    private final Consumer<ObjectKey> wake;
    private final Clock clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    // platform threads: a pull extracts layers with file I/O, which would pin a virtual thread's carrier; idle ones end
    private final java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(CONCURRENT_PULLS, CONCURRENT_PULLS,
            30, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(),
            r -> Thread.ofPlatform().daemon().name("start-pull").unstarted(r));
    /** Pulls finished for a sandbox since it last started: a start with imagePullPolicy Always needs one. */
    private final Map<ObjectKey, Map<String, State.Pulled>> finished = new ConcurrentHashMap<>();

    public StartPulls(ImagePuller puller, Consumer<ObjectKey> wake, Clock clock) {
        this.puller = puller;
        this.wake = wake;
        this.clock = clock;
        pool.allowCoreThreadTimeOut(true);
    }

    /**
     * The state of {@code ref} for the sandbox {@code waiter}. {@code needed}: the start cannot go on without a pull (the
     * image is missing, or the policy is Always and none was done for this start); null when none is needed and none
     * finished. Starts a pull when needed and none runs nor is backing off. Never blocks on the registry.
     */
    public synchronized State check(ObjectKey waiter, String ref, ImagePuller.Policy policy, boolean needed) {
        Map<String, State.Pulled> mine = finished.get(waiter);
        State.Pulled done = mine == null ? null : mine.get(ref);
        if (done != null) {
            if (done.fresh()) mine.put(ref, new State.Pulled(done.imageId(), done.took(), false));
            return done;
        }
        if (!needed) return null;
        Entry e = entries.computeIfAbsent(ref, r -> new Entry());
        e.waiters.add(waiter);
        if (e.running) return new State.Pulling(e.progress);
        if (e.retryAt != null && clock.instant().isBefore(e.retryAt)) return new State.Failed(e.message, e.failures, e.backoff, e.retryAt);
        e.running = true;
        e.progress = "waiting to pull image " + ref + " (agentboxd runs " + CONCURRENT_PULLS + " pulls at a time)";
        pool.execute(() -> run(ref, policy, e));
        return new State.Pulling(e.progress);
    }

    /** The sandbox started (or is gone): pulls done for it count no more; a later start with Always pulls again. */
    public void forget(ObjectKey waiter) {
        finished.remove(waiter);
        entries.values().forEach(e -> e.waiters.remove(waiter));
    }

    private void run(String ref, ImagePuller.Policy policy, Entry e) {
        e.progress = "pulling image " + ref;
        Instant t0 = clock.instant();
        State.Pulled result = null;
        String failure = null;
        try {
            ImagePuller.Result r = puller.pull(ref, policy, line -> e.progress = line);
            result = new State.Pulled(r.imageId(), Duration.between(t0, clock.instant()), true);
        } catch (RuntimeFailure | RuntimeException ex) {
            failure = ex.getMessage();
        }
        Set<ObjectKey> waiters;
        synchronized (this) {
            waiters = Set.copyOf(e.waiters);
            if (result != null) {
                entries.remove(ref, e);
                for (ObjectKey w : waiters) finished.computeIfAbsent(w, k -> new ConcurrentHashMap<>()).put(ref, result);
            } else {
                e.failures++;
                long seconds = Math.min(MAX_BACKOFF.toSeconds(), FIRST_BACKOFF.toSeconds() << Math.min(e.failures - 1, 5));
                e.message = failure;
                e.backoff = Duration.ofSeconds(seconds);
                e.retryAt = clock.instant().plusSeconds(seconds);
                e.waiters.clear(); // each waiter asks again at its back-off's end
                log.warn("pull of {} for a sandbox start failed ({} in a row; next try in {} s): {}", ref, e.failures, seconds, failure);
            }
            e.running = false;
        }
        for (ObjectKey w : waiters) {
            try {
                wake.accept(w);
            } catch (RuntimeException stopping) {
                log.debug("pull of {}: cannot wake {} (agentboxd is stopping?): {}", ref, w, stopping.toString());
            }
        }
    }
}
