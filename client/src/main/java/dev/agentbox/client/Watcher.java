package dev.agentbox.client;

/** Receives the events of a watch, then one call to {@link #onClose} when the stream ends. */
public interface Watcher {
    void onEvent(WatchEvent event);

    /** The stream ended: {@code error} is null when it was closed by {@link Watch#close()} or by the server. */
    default void onClose(Throwable error) {}
}
