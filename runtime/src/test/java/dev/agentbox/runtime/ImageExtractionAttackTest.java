package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.runtime.internal.LocalImageStore;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile images against {@code image import}: every entry is resolved beneath the rootfs without
 * following a symlink. The "host" is a canary directory in the test's own temp dir.
 */
class ImageExtractionAttackTest {
    static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    static final FileTime MTIME = FileTime.from(Instant.parse("2021-03-04T05:06:07Z"));

    @TempDir
    Path tmp;

    Path canary;
    Path victim;
    int victimUid;
    LocalImageStore store;

    @BeforeEach
    void setUp() throws Exception {
        canary = Files.createDirectories(tmp.resolve("host/canary"));
        victim = canary.resolve("victim");
        Files.writeString(victim, "precious");
        Files.setAttribute(victim, "unix:mode", 0600);
        Files.writeString(canary.resolve("other"), "other");
        victimUid = (int) Files.getAttribute(victim, "unix:uid");
        store = new LocalImageStore(tmp.resolve("images"));
    }

    // ---------- attacks ----------

    @Test
    void whiteoutThroughSymlinkDoesNotDeleteAHostFile() throws Exception {
        Path image = dockerSave(layer(symlink("w", canary.toString())), layer(file("w/.wh.victim", "")));
        assertRefused(image, "w/.wh.victim", "l1/layer.tar");
        assertCanaryIntact();
    }

    @Test
    void opaqueWhiteoutThroughSymlinkDoesNotEmptyAHostDirectory() throws Exception {
        Path image = dockerSave(layer(symlink("w", canary.getParent().toString())), layer(file("w/canary/.wh..wh..opq", "")));
        assertRefused(image, "w/canary/.wh..wh..opq", "l1/layer.tar");
        assertCanaryIntact();
    }

    @Test
    void opaqueWhiteoutOfASymlinkedDirectoryIsRefused() throws Exception {
        Path image = dockerSave(layer(symlink("w", canary.toString())), layer(file("w/.wh..wh..opq", "")));
        assertRefused(image, "w/.wh..wh..opq", "l1/layer.tar");
        assertCanaryIntact();
    }

    @Test
    void hardLinkThroughSymlinkDoesNotChmodAHostFile() throws Exception {
        Path image = dockerSave(layer(symlink("w", canary.toString())), layer(hardLink("evil-link", "w/victim").mode(0777).owner(4242, 4242)));
        assertRefused(image, "evil-link", "l1/layer.tar");
        assertCanaryIntact();
    }

    @Test
    void hardLinkToASymlinkDoesNotChmodAHostFile() throws Exception {
        Path image = dockerSave(layer(symlink("s", victim.toString())), layer(hardLink("evil-link", "s").mode(0777).owner(4242, 4242)));
        assertRefused(image, "evil-link", "l1/layer.tar");
        assertCanaryIntact();
    }

    @Test
    void fileWrittenThroughSymlinkedDirectoryStaysOutOfTheHost() throws Exception {
        Path image = dockerSave(layer(symlink("w", canary.toString())), layer(file("w/victim", "pwned").mode(0777)));
        assertRefused(image, "w/victim", "l1/layer.tar");
        assertCanaryIntact();
    }

    @Test
    void fileWrittenThroughSymlinkedDirectoryOfTheImageTarStaysOutOfTheHost() throws Exception {
        // the outer docker-save tar itself (not a layer) links a directory to the host and writes through it
        Path image = tar("image.tar",
                file("manifest.json", "[{\"Config\":\"config.json\",\"Layers\":[\"l0/layer.tar\"]}]"),
                symlink("l0", canary.toString()),
                dir("l0/planted"),
                file("l0/planted/file", "pwned"),
                file("l0/layer.tar", layer(file("etc/x", "x"))));
        assertRefused(image, "l0/planted", "image.tar");
        assertCanaryIntact();
        assertThat(canary.resolve("planted")).doesNotExist();
    }

    @Test
    void layerSymlinkedOutsideTheImageIsNotRead() throws Exception {
        Path secret = canary.resolve("secret.tar");
        Files.write(secret, layer(file("etc/secret", "host secret")));
        Path image = tar("image.tar",
                file("manifest.json", "[{\"Config\":\"config.json\",\"Layers\":[\"l0/layer.tar\"]}]"),
                symlink("l0/layer.tar", secret.toString()));
        assertRefused(image, "l0/layer.tar", "image.tar");
        assertCanaryIntact();
    }

    @Test
    void symlinkReplacedByDirectoryInLaterLayerKeepsItsFilesInTheRootfs() throws Exception {
        Path image = dockerSave(layer(symlink("d", canary.toString())), layer(dir("d"), file("d/victim", "the image's own").mode(0777)));
        store.importImage("test/replaced", image);
        Path rootfs = store.rootfs("test/replaced");
        assertThat(Files.isDirectory(rootfs.resolve("d"), NOFOLLOW)).isTrue();
        assertThat(Files.readString(rootfs.resolve("d/victim"))).isEqualTo("the image's own");
        assertCanaryIntact();
    }

    @Test
    void directoryReplacedBySymlinkInLaterLayerDoesNotLetAWhiteoutThrough() throws Exception {
        Path image = dockerSave(layer(dir("d"), file("d/victim", "inside")), layer(symlink("d", canary.toString())), layer(file("d/.wh.victim", "")));
        assertRefused(image, "d/.wh.victim", "l2/layer.tar");
        assertCanaryIntact();
    }

    @Test
    void dotDotEntryIsRefused() throws Exception {
        List<Entry> hostile = List.of(
                file("../../../host/canary/victim", "pwned"),
                file("etc/../../../../host/canary/victim", "pwned"),
                file("etc/../passwd", "sneaky"),
                hardLink("evil-link", "../../../host/canary/victim").mode(0777),
                file("etc/.wh...", ""));
        for (Entry e : hostile) {
            Path image = dockerSave(layer(dir("etc"), file("etc/keep", "k")), layer(e));
            assertRefused(image, e.name(), "l1/layer.tar");
        }
        assertCanaryIntact();
    }

    @Test
    void plainRootfsTarWhiteoutThroughSymlinkDoesNotDeleteAHostFile() throws Exception {
        Path image = tar("rootfs.tar", symlink("w", canary.toString()), file("w/.wh.victim", ""));
        assertRefused(image, "w/.wh.victim", "rootfs.tar");
        assertCanaryIntact();
    }

    @Test
    void plainRootfsTarHardLinkThroughSymlinkDoesNotChmodAHostFile() throws Exception {
        Path image = tar("rootfs.tar", symlink("w", canary.toString()), hardLink("evil-link", "w/victim").mode(0777).owner(4242, 4242));
        assertRefused(image, "evil-link", "rootfs.tar");
        assertCanaryIntact();
    }

    @Test
    void copiedDirectoryCopiesSymlinksAsSymlinksNotTheirContent() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/etc"));
        Files.writeString(src.resolve("hostname"), "copied\n");
        Files.createSymbolicLink(src.resolve("victim"), victim);
        Files.createSymbolicLink(tmp.resolve("src/host"), canary);
        store.importImage("test/copied", tmp.resolve("src"));
        Path rootfs = store.rootfs("test/copied");
        assertThat(Files.readString(rootfs.resolve("etc/hostname"))).isEqualTo("copied\n");
        assertThat(Files.readSymbolicLink(rootfs.resolve("etc/victim"))).isEqualTo(victim);
        assertThat(Files.readSymbolicLink(rootfs.resolve("host"))).isEqualTo(canary);
        assertCanaryIntact();
    }

    // ---------- what a normal image keeps ----------

    @Test
    void normalMultiLayerImageImportsCorrectly() throws Exception {
        byte[] base = layer(
                dir("./"),
                dir("usr"), dir("usr/bin"), dir("usr/lib"),
                file("usr/bin/busybox", "#!busybox").mode(04755),
                hardLink("usr/bin/sh", "usr/bin/busybox").mode(04755),
                symlink("bin", "/usr/bin"), // absolute: valid inside the sandbox, never followed here
                symlink("lib", "usr/lib"),
                dir("tmp").mode(01777),
                dir("etc"),
                file("/etc/hostname", "base"), // absolute name: normalised beneath the root
                file("./etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
                symlink("etc/mtab", "/proc/self/mounts"),
                symlink("etc/resolv.conf", "/run/resolv.conf"),
                file("etc/old-file", "becomes a directory"),
                symlink("etc/old-link", "/etc/passwd"),
                dir("opt"), file("opt/a", "a"), dir("opt/sub"), file("opt/sub/b", "b"),
                file("home/sandbox/.profile", "x").owner(1000, 1000).mode(0640),
                device("dev/null"), fifo("run/fifo"));
        byte[] top = layer(
                file("etc/.wh.hostname", ""),
                dir("etc/old-file"), file("etc/old-file/inside", "i"),
                file("etc/old-link", "now a file"),
                file("opt/.wh..wh..opq", ""), file("opt/new", "new"),
                file("etc/.wh.resolv.conf", ""), // deletes the symlink, not its (host) target
                symlink("home/sandbox/link", "/etc/passwd").owner(1000, 1000));
        // a legacy docker save links a layer it already holds (c/layer.tar -> ../l1/layer.tar)
        Path image = tar("image.tar",
                file("manifest.json", "[{\"Config\":\"config.json\",\"Layers\":[\"l0/layer.tar\",\"c/layer.tar\"]}]"),
                file("config.json", "{}"),
                file("l0/layer.tar", base),
                symlink("c/layer.tar", "../l1/layer.tar"),
                file("l1/layer.tar", top));
        store.importImage("test/normal:1", image);
        Path r = store.rootfs("test/normal:1");

        assertThat(Files.readSymbolicLink(r.resolve("bin"))).isEqualTo(Path.of("/usr/bin"));
        assertThat(Files.readSymbolicLink(r.resolve("lib"))).isEqualTo(Path.of("usr/lib"));
        assertThat(Files.readSymbolicLink(r.resolve("etc/mtab"))).isEqualTo(Path.of("/proc/self/mounts"));
        assertThat(Files.exists(r.resolve("etc/resolv.conf"), NOFOLLOW)).isFalse();
        assertThat(Files.readString(r.resolve("usr/bin/busybox"))).isEqualTo("#!busybox");
        assertThat(mode(r.resolve("usr/bin/busybox"))).isEqualTo(04755); // setuid kept, as Docker does
        assertThat(Files.getAttribute(r.resolve("usr/bin/sh"), "unix:ino")).isEqualTo(Files.getAttribute(r.resolve("usr/bin/busybox"), "unix:ino"));
        assertThat(Files.getAttribute(r.resolve("usr/bin/busybox"), "unix:nlink")).isEqualTo(2);
        assertThat(mode(r.resolve("tmp"))).isEqualTo(01777);
        assertThat(Files.getLastModifiedTime(r.resolve("etc/passwd"))).isEqualTo(MTIME);
        assertThat(Files.exists(r.resolve("etc/hostname"), NOFOLLOW)).isFalse();
        assertThat(Files.readString(r.resolve("etc/passwd"))).startsWith("root:");
        assertThat(Files.readString(r.resolve("etc/old-file/inside"))).isEqualTo("i");
        assertThat(Files.isSymbolicLink(r.resolve("etc/old-link"))).isFalse();
        assertThat(Files.readString(r.resolve("etc/old-link"))).isEqualTo("now a file");
        try (Stream<Path> s = Files.list(r.resolve("opt"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("new");
        }
        Path profile = r.resolve("home/sandbox/.profile");
        assertThat(mode(profile)).isEqualTo(0640);
        if (victimUid == 0) { // chown needs root
            assertThat(Files.getAttribute(profile, "unix:uid")).isEqualTo(1000);
            assertThat(Files.getAttribute(r.resolve("home/sandbox/link"), "unix:uid", NOFOLLOW)).isEqualTo(1000);
        }
        assertThat(Files.exists(r.resolve("dev/null"), NOFOLLOW)).isFalse(); // device nodes are skipped
        assertThat(Files.exists(r.resolve("run/fifo"), NOFOLLOW)).isFalse();
        assertThat(Files.isDirectory(r.resolve(".agentbox"), NOFOLLOW)).isTrue();
        assertNoLeftovers();
    }

    @Test
    void ociLayoutImageImports() throws Exception {
        byte[] l0 = layer(dir("etc"), file("etc/greeting", "oci"), symlink("etc/link", "/etc/greeting"));
        String manifest = "{\"layers\":[{\"digest\":\"sha256:l0\"}]}";
        Path image = tar("oci.tar",
                file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"),
                file("index.json", "{\"manifests\":[{\"digest\":\"sha256:m\"}]}"),
                file("blobs/sha256/m", manifest),
                file("blobs/sha256/l0", l0));
        store.importImage("test/oci", image);
        Path r = store.rootfs("test/oci");
        assertThat(Files.readString(r.resolve("etc/greeting"))).isEqualTo("oci");
        assertThat(Files.readSymbolicLink(r.resolve("etc/link"))).isEqualTo(Path.of("/etc/greeting"));
    }

    // ---------- helpers ----------

    void assertRefused(Path image, String entry, String layer) throws Exception {
        assertThatThrownBy(() -> store.importImage("test/hostile", image))
                .isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining(entry)
                .hasMessageContaining(layer)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.INVALID);
        assertThat(store.exists("test/hostile")).isFalse();
        assertNoLeftovers();
    }

    void assertNoLeftovers() throws Exception {
        try (Stream<Path> s = Files.list(tmp.resolve("images/imported"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
        }
    }

    void assertCanaryIntact() throws Exception {
        assertThat(Files.isSymbolicLink(victim)).isFalse();
        assertThat(Files.readString(victim)).isEqualTo("precious");
        assertThat(mode(victim)).isEqualTo(0600);
        assertThat(Files.getAttribute(victim, "unix:nlink")).isEqualTo(1);
        assertThat(Files.getAttribute(victim, "unix:uid")).isEqualTo(victimUid);
        assertThat(Files.readString(canary.resolve("other"))).isEqualTo("other");
        try (Stream<Path> s = Files.list(canary)) { // secret.tar: the host tar of layerSymlinkedOutsideTheImageIsNotRead
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("secret.tar"))).containsExactlyInAnyOrder("victim", "other");
        }
    }

    static int mode(Path p) throws Exception {
        return (int) Files.getAttribute(p, "unix:mode", NOFOLLOW) & 07777;
    }

    record Entry(String name, byte type, byte[] data, String link, int mode, int uid, int gid) {
        Entry mode(int m) {
            return new Entry(name, type, data, link, m, uid, gid);
        }

        Entry owner(int u, int g) {
            return new Entry(name, type, data, link, mode, u, g);
        }
    }

    static Entry file(String name, String data) {
        return file(name, data.getBytes(StandardCharsets.UTF_8));
    }

    static Entry file(String name, byte[] data) {
        return new Entry(name, TarConstants.LF_NORMAL, data, null, 0644, 0, 0);
    }

    static Entry dir(String name) {
        return new Entry(name, TarConstants.LF_DIR, new byte[0], null, 0755, 0, 0);
    }

    static Entry symlink(String name, String target) {
        return new Entry(name, TarConstants.LF_SYMLINK, new byte[0], target, 0777, 0, 0);
    }

    static Entry hardLink(String name, String target) {
        return new Entry(name, TarConstants.LF_LINK, new byte[0], target, 0644, 0, 0);
    }

    static Entry device(String name) {
        return new Entry(name, TarConstants.LF_CHR, new byte[0], null, 0666, 0, 0);
    }

    static Entry fifo(String name) {
        return new Entry(name, TarConstants.LF_FIFO, new byte[0], null, 0644, 0, 0);
    }

    static byte[] layer(Entry... entries) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        write(bos, entries);
        return bos.toByteArray();
    }

    /** A docker-save tar whose layers are l0/layer.tar, l1/layer.tar, ... */
    Path dockerSave(byte[]... layers) throws Exception {
        List<Entry> entries = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            names.add("\"l" + i + "/layer.tar\"");
            entries.add(file("l" + i + "/layer.tar", layers[i]));
        }
        entries.addFirst(file("manifest.json", "[{\"Config\":\"config.json\",\"Layers\":[" + String.join(",", names) + "]}]"));
        entries.add(file("config.json", "{}"));
        return tar("image.tar", entries.toArray(Entry[]::new));
    }

    Path tar(String name, Entry... entries) throws Exception {
        Path p = Files.createTempDirectory(tmp, "tar").resolve(name);
        try (OutputStream os = Files.newOutputStream(p)) {
            write(os, entries);
        }
        return p;
    }

    static void write(OutputStream os, Entry... entries) throws Exception {
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(os)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry te = new TarArchiveEntry(e.name(), e.type(), true); // keeps "/" and ".." as written
                byte[] data = e.data();
                if (e.link() != null) te.setLinkName(e.link());
                te.setMode(e.mode());
                te.setIds(e.uid(), e.gid());
                te.setLastModifiedTime(MTIME);
                te.setSize(e.type() == TarConstants.LF_NORMAL ? data.length : 0);
                t.putArchiveEntry(te);
                if (e.type() == TarConstants.LF_NORMAL) t.write(data);
                t.closeArchiveEntry();
            }
        }
    }
}
