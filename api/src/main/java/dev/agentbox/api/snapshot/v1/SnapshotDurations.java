package dev.agentbox.api.snapshot.v1;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses GKE retention durations such as {@code 30min}, {@code 12h}, {@code 7d}, {@code 1mo}, {@code 1y} or {@code 1d12h}. */
public final class SnapshotDurations {
    private static final Pattern PART = Pattern.compile("(\\d+)(y|mo|d|h|min)");

    private SnapshotDurations() {
    }

    /** The duration, or null for null; IllegalArgumentException naming the accepted units otherwise. */
    public static Duration parse(String text) {
        if (text == null) return null;
        Matcher m = PART.matcher(text.trim());
        Duration total = Duration.ZERO;
        int end = 0;
        boolean any = false;
        while (m.find()) {
            if (m.start() != end) break;
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "y" -> Duration.ofDays(365 * n);
                case "mo" -> Duration.ofDays(30 * n);
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofMinutes(n);
            });
            end = m.end();
            any = true;
        }
        if (!any || end != text.trim().length()) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\": use a number with a unit y, mo, d, h or min, e.g. 30min or 7d");
        }
        return total;
    }
}
