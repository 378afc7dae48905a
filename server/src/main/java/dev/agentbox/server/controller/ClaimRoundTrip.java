package dev.agentbox.server.controller;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.server.store.Store;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A claim in one round trip ({@code POST .../sandboxclaims?wait=Ready}): the request that created the claim binds it
 * itself, with the {@link ClaimController}'s own reconcile run through its {@link WorkQueue} (so the queue's one-key-at-a-time
 * rule and the controller's optimistic take of a pool member stay the only binding rule), then waits on the store until the
 * claim is Ready, finished for good, or the timeout passes. The binding and the Ready status are committed to the store
 * before this returns; the rest (the assigned-sandbox annotation, events, the pool's refill) follows on the controllers'
 * threads.
 */
public final class ClaimRoundTrip {
    private static final String CLAIMS = Store.kindKey(SandboxClaim.class);

    private final Store store;
    private final WorkQueue claims;

    public ClaimRoundTrip(Store store, WorkQueue claims) {
        this.store = store;
        this.claims = claims;
    }

    /**
     * Binds the claim {@code ns/name} now and waits at most {@code timeout} for it to settle; returns the claim as stored
     * then (Ready or not), or empty when it was deleted meanwhile.
     */
    public Optional<SandboxClaim> bindAndAwait(String ns, String name, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Semaphore changed = new Semaphore(0);
        // subscribed before the bind, so no change between the bind and the wait is missed; the listener runs under the
        // store's lock, so it only compares strings and releases a permit
        AutoCloseable subscription = store.watch(e -> {
            if (CLAIMS.equals(e.kind()) && name.equals(e.object().getMetadata().getName())
                    && ns.equals(e.object().getMetadata().getNamespace())) changed.release();
        });
        try {
            claims.reconcileNow(new ObjectKey(ns, name));
            while (true) {
                Optional<SandboxClaim> claim = store.get(SandboxClaim.class, ns, name);
                if (claim.isEmpty() || settled(claim.get())) return claim;
                long left = deadline - System.nanoTime();
                if (left <= 0) return claim;
                changed.tryAcquire(left, TimeUnit.NANOSECONDS);
                changed.drainPermits();
            }
        } finally {
            try {
                subscription.close();
            } catch (Exception e) {
                throw new IllegalStateException("unsubscribing from the store: " + e.getMessage(), e);
            }
        }
    }

    /** Ready with a bound sandbox, or finished (expired, its sandbox ended): waiting longer changes nothing. */
    static boolean settled(SandboxClaim claim) {
        boolean bound = claim.getStatus() != null && claim.getStatus().getSandbox() != null && claim.getStatus().getSandbox().getName() != null;
        boolean ready = Conditions.get(claim.getStatus(), Conditions.READY).map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false);
        return (bound && ready) || ClaimController.finishedAt(claim) != null;
    }
}
