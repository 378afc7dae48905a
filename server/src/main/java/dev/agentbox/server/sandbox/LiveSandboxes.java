package dev.agentbox.server.sandbox;

import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.runtime.RunningSandbox;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The running gVisor sandbox behind each Sandbox object, as started or re-attached by the Sandbox controller. */
public final class LiveSandboxes {
    private final Map<ObjectKey, RunningSandbox> byKey = new ConcurrentHashMap<>();
    private volatile java.util.function.Consumer<ObjectKey> onGone = k -> {};

    /** Called with the key of a sandbox that stops being alive (its processes died, its channel broke). */
    public void onGone(java.util.function.Consumer<ObjectKey> listener) {
        this.onGone = listener;
    }

    public void put(ObjectKey key, RunningSandbox sandbox) {
        byKey.put(key, sandbox);
        sandbox.whenGone(() -> {
            // a sandbox replaced, or stopped on purpose (see stopping), is not news
            if (byKey.get(key) == sandbox && !stopping.contains(key)) onGone.accept(key);
        });
    }

    private final java.util.Set<ObjectKey> stopping = ConcurrentHashMap.newKeySet();

    /**
     * Marks a sandbox as being stopped on purpose by someone other than its controller (a checkpoint with
     * postCheckpoint stop): until {@link #stopped}, its controller leaves it alone instead of treating its
     * end as a failure and starting it again.
     */
    public void stopping(ObjectKey key) {
        stopping.add(key);
    }

    public void stopped(ObjectKey key) {
        stopping.remove(key);
    }

    public boolean isStopping(ObjectKey key) {
        return stopping.contains(key);
    }

    public Optional<RunningSandbox> get(ObjectKey key) {
        return Optional.ofNullable(byKey.get(key));
    }

    public Optional<RunningSandbox> remove(ObjectKey key) {
        return Optional.ofNullable(byKey.remove(key));
    }

    public void forEach(java.util.function.BiConsumer<ObjectKey, RunningSandbox> action) {
        byKey.forEach(action);
    }

    public int size() {
        return byKey.size();
    }
}
