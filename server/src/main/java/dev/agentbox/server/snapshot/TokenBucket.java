package dev.agentbox.server.snapshot;

import java.time.Duration;
import java.time.Instant;

/**
 * A token bucket: up to {@code burst} tokens, one more every {@code refill}. {@link #take} tells the first refusal
 * of a run of refusals apart, so a flood is logged once rather than once per request.
 */
final class TokenBucket {
    enum Outcome { TAKEN, REFUSED_FIRST, REFUSED }

    private final int burst;
    private final Duration refill;
    private int tokens;
    private Instant refilledAt;
    private boolean refusing;

    TokenBucket(int burst, Duration refill, Instant now) {
        this.burst = burst;
        this.refill = refill;
        this.tokens = burst;
        this.refilledAt = now;
    }

    synchronized Outcome take(Instant now) {
        long due = Duration.between(refilledAt, now).toNanos() / refill.toNanos();
        if (due > 0) {
            tokens = (int) Math.min(burst, tokens + due);
            refilledAt = tokens == burst ? now : refilledAt.plus(refill.multipliedBy(due));
        }
        if (tokens > 0) {
            tokens--;
            refusing = false;
            return Outcome.TAKEN;
        }
        Outcome o = refusing ? Outcome.REFUSED : Outcome.REFUSED_FIRST;
        refusing = true;
        return o;
    }
}
