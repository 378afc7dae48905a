package dev.agentbox.server.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.agents.v1beta1.Sandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host directories of sandbox volumes: where they are, who may reach them, and that deleting them stays inside. */
class SandboxVolumesTest {
    @TempDir
    Path tmp;

    static Sandbox sandbox(String ns, String name, String uid) {
        Sandbox s = PodSpecCheckTest.sandbox("containers: [{name: main, image: agentbox/builtin}]");
        s.getMetadata().setNamespace(ns);
        s.getMetadata().setName(name);
        s.getMetadata().setUid(uid);
        return s;
    }

    @Test
    void aSymlinkPlantedInAClaimDirectoryDoesNotLetItsDeletionDeleteHostFiles() throws Exception {
        Path canary = Files.createDirectories(tmp.resolve("host-canary"));
        Files.writeString(canary.resolve("precious"), "keep me");
        SandboxVolumes volumes = new SandboxVolumes(tmp.resolve("state/volumes"));
        Sandbox s = sandbox("team-a", "box", "1111-2222");
        Path claim = volumes.ensureClaim(s, "workspace");
        // what sandboxed code can leave in its claim directory: links to host paths (gVisor resolves them inside the sandbox)
        Files.createSymbolicLink(claim.resolve("to-dir"), canary);
        Files.createSymbolicLink(claim.resolve("to-file"), canary.resolve("precious"));
        Files.createDirectories(claim.resolve("deep/er"));
        Files.createSymbolicLink(claim.resolve("deep/er/up"), tmp);

        volumes.deleteOf("team-a", "box", null);

        assertThat(volumes.sandboxDir(s)).doesNotExist();
        assertThat(canary.resolve("precious")).hasContent("keep me");
    }

    @Test
    void claimsAreKeptAcrossStartsAndEveryDirectoryAboveASandboxsFilesIsPrivate() throws Exception {
        SandboxVolumes volumes = new SandboxVolumes(tmp.resolve("volumes"));
        Sandbox s = sandbox("default", "box", "aaaa");
        Path claim = volumes.ensureClaim(s, "workspace");
        Files.writeString(claim.resolve("work"), "kept");
        assertThat(volumes.ensureClaim(s, "workspace")).isEqualTo(claim);
        assertThat(claim.resolve("work")).hasContent("kept");

        volumes.writeFiles(s, "creds", List.of(new ProjectedFiles.File("nested/token", "t0k3n".getBytes(StandardCharsets.UTF_8), 0400)));
        Path token = volumes.filesDir(s, "creds").resolve("nested/token");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(token))).isEqualTo("r--------");
        for (Path p = volumes.sandboxDir(s); p.startsWith(volumes.root()); p = p.getParent()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString()).isEqualTo("rwx------");
        }
        // rewritten afresh: a key that is gone leaves no file behind
        volumes.writeFiles(s, "creds", List.of(new ProjectedFiles.File("other", new byte[0], 0644)));
        assertThat(token).doesNotExist();
        assertThat(volumes.filesDir(s, "creds").resolve("other")).exists();
    }

    @Test
    void aFilePathThatLeavesItsVolumeIsRefused() {
        SandboxVolumes volumes = new SandboxVolumes(tmp.resolve("volumes"));
        Sandbox s = sandbox("default", "box", "aaaa");
        assertThatThrownBy(() -> volumes.writeFiles(s, "cfg", List.of(new ProjectedFiles.File("../../../escaped", new byte[] {1}, 0644))))
                .hasMessageContaining("leaves its volume");
        assertThat(tmp.resolve("escaped")).doesNotExist();
        assertThat(volumes.root().resolve("default/escaped")).doesNotExist();
    }

    @Test
    void anotherObjectOfTheSameNameGetsNewDirectoriesAndTheSweepRemovesTheGoneOnes() throws Exception {
        SandboxVolumes volumes = new SandboxVolumes(tmp.resolve("volumes"));
        Sandbox old = sandbox("default", "box", "0001");
        Sandbox now = sandbox("default", "box", "0002");
        Sandbox other = sandbox("default", "other", "0003");
        Files.writeString(volumes.ensureClaim(old, "ws").resolve("old-data"), "x");
        assertThat(volumes.ensureClaim(now, "ws").resolve("old-data")).doesNotExist();
        volumes.ensureClaim(other, "ws");

        volumes.deleteOf("default", "box", "0002");
        assertThat(volumes.sandboxDir(old)).doesNotExist();
        assertThat(volumes.sandboxDir(now)).exists();

        assertThat(volumes.sweep(k -> k.equals(SandboxVolumes.key(other)))).isEqualTo(1);
        assertThat(volumes.sandboxDir(now)).doesNotExist();
        assertThat(volumes.sandboxDir(other)).exists();
    }
}
