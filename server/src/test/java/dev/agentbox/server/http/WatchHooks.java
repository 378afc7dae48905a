package dev.agentbox.server.http;

import java.time.Duration;

/** For tests in other packages: shortens the interval of watch BOOKMARK events (null: back to the default). */
public final class WatchHooks {
    private static final long DEFAULT_BOOKMARK_MILLIS = ResourceHandler.bookmarkIntervalMillis;

    private WatchHooks() {}

    public static void setBookmarkInterval(Duration interval) {
        ResourceHandler.bookmarkIntervalMillis = interval == null ? DEFAULT_BOOKMARK_MILLIS : Math.max(1, interval.toMillis());
    }
}
