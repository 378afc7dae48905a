package dev.agentbox.server.controller;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each warm pool last handed a member to a claim. The pool waits {@link #REFILL_DELAY} after a
 * hand-over before it boots a replacement: booting a gVisor sandbox takes a few hundred milliseconds
 * of CPU, and on a small machine that would compete with the claimant's first commands, which are the
 * latency that matters. A claim arriving in that window while the pool is empty is served cold, as it
 * would be anyway while the replacement boots.
 */
public final class PoolActivity {
    public static final Duration REFILL_DELAY = Duration.ofMillis(250);

    private final Map<String, Instant> lastHandOver = new ConcurrentHashMap<>();
    private final Clock clock;

    public PoolActivity(Clock clock) {
        this.clock = clock;
    }

    public void handedOver(String poolUid) {
        lastHandOver.put(poolUid, clock.instant());
    }

    /** How long the pool should still wait before refilling; zero when it may refill now. */
    public Duration refillWait(String poolUid) {
        Instant last = lastHandOver.get(poolUid);
        if (last == null) return Duration.ZERO;
        Duration left = Duration.between(clock.instant(), last.plus(REFILL_DELAY));
        if (left.isNegative() || left.isZero()) {
            lastHandOver.remove(poolUid, last);
            return Duration.ZERO;
        }
        return left;
    }
}
