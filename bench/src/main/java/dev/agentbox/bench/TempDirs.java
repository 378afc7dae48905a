package dev.agentbox.bench;

import dev.agentbox.runtime.internal.LocalImageStore;
import java.io.IOException;
import java.nio.file.Path;

/** Removes a section's temp directory at its end; one that cannot be removed is named in the summary. */
final class TempDirs {
    private TempDirs() {}

    static void delete(Path dir) {
        try {
            LocalImageStore.deleteTree(dir);
        } catch (IOException | RuntimeException e) {
            Results.note("could not remove " + dir + ": " + e.getMessage());
        }
    }
}
