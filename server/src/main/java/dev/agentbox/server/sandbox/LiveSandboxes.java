package dev.agentbox.server.sandbox;

import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.runtime.RunningSandbox;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The running gVisor sandbox behind each Sandbox object, as started by the Sandbox controller. */
public final class LiveSandboxes {
    private final Map<ObjectKey, RunningSandbox> byKey = new ConcurrentHashMap<>();

    public void put(ObjectKey key, RunningSandbox sandbox) {
        byKey.put(key, sandbox);
    }

    public Optional<RunningSandbox> get(ObjectKey key) {
        return Optional.ofNullable(byKey.get(key));
    }

    public Optional<RunningSandbox> remove(ObjectKey key) {
        return Optional.ofNullable(byKey.remove(key));
    }

    public int size() {
        return byKey.size();
    }
}
