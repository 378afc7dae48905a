package dev.agentbox.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A finished checkpoint: the image directory (complete: it only appears once fully written),
 * its size on disk and how long the sandbox was paused for it.
 */
public record CheckpointInfo(Path imageDir, long sizeBytes, Duration took) {}
