package dev.agentbox.server.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.snapshot.v1.LocalStorageStatus;
import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.api.snapshot.v1.PodSnapshotSpec;
import dev.agentbox.api.snapshot.v1.PodSnapshotStatus;
import dev.agentbox.api.snapshot.v1.SnapshotStorageStatus;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one path rule: an image is deleted or restored only at {@code <root>/<ns>/<name>}, resolved beneath the root. */
class SnapshotPathRulesTest {

    static PodSnapshot snapshot(String ns, String name, Path recorded) {
        PodSnapshot ps = new PodSnapshot();
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(ns);
        meta.setName(name);
        ps.setMetadata(meta);
        ps.setSpec(new PodSnapshotSpec(null)); // no policy: the daemon's own directory
        PodSnapshotStatus status = new PodSnapshotStatus();
        status.setStorageStatus(new SnapshotStorageStatus(null, new LocalStorageStatus(recorded.toString())));
        ps.setStatus(status);
        return ps;
    }

    static Store store(Path dir) {
        return new Store(dir.resolve("state.db"), new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
    }

    @Test
    void aSymlinkBeneathTheStorageRootIsNeverFollowedToDelete(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path victim = Files.createDirectories(dir.resolve("elsewhere/x"));
        Files.writeString(victim.resolve("precious.txt"), "keep");
        Files.createSymbolicLink(root.resolve("team-a"), dir.resolve("elsewhere"));
        try (Store store = store(dir); SnapshotService snapshots = new SnapshotService(store, root, Clock.systemUTC())) {
            PodSnapshot ps = snapshot("team-a", "x", root.resolve("team-a/x"));
            assertThatThrownBy(() -> snapshots.storage().checkedImage(ps)).isInstanceOf(SnapshotRefusedException.class).hasMessageContaining("resolves to");
            snapshots.deleteFiles(ps);
            assertThat(victim.resolve("precious.txt")).hasContent("keep");
        }
    }

    @Test
    void aRecordedPathOtherThanTheDerivedOneIsRefused(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path victim = Files.createDirectories(dir.resolve("victim/x"));
        Path own = Files.createDirectories(root.resolve("team-a/x"));
        try (Store store = store(dir); SnapshotService snapshots = new SnapshotService(store, root, Clock.systemUTC())) {
            snapshots.deleteFiles(snapshot("team-a", "x", victim));
            assertThat(victim).isDirectory();
            assertThat(snapshots.storage().checkedImage(snapshot("team-a", "x", own))).isEqualTo(own.toRealPath());
            snapshots.deleteFiles(snapshot("team-a", "x", own));
            assertThat(own).doesNotExist();
        }
    }

    @Test
    void aStorageRootOthersCanWriteIsRefusedWithWhatToDo(@TempDir Path dir) throws Exception {
        Path open = Files.createDirectories(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(() -> SnapshotStorage.checkSafe(open)).isInstanceOf(InvalidException.class)
                .hasMessageContaining(open.toString()).hasMessageContaining("mode 0770").hasMessageContaining("chmod 0700");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        SnapshotStorage.checkSafe(open); // readable by others is fine: the images are 0700 directories inside
    }
}
