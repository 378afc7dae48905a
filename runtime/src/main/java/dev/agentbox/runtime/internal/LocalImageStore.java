package dev.agentbox.runtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.runtime.ImageStore;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Root filesystems on the host, under {@code <base>/images}. The built-in image is built from Debian packages
 * by {@link BuiltinImage} (at first use, under {@code builtin-<hash>/}). Imported images are complete rootfs directories, written through
 * {@link SafeRoot}: nothing an image holds can create, change or delete anything outside its rootfs.
 */
public final class LocalImageStore implements ImageStore {
    private static final Logger log = LoggerFactory.getLogger(LocalImageStore.class);
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern NAME = Pattern.compile(
            "(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?" + COMPONENT + "(?:/" + COMPONENT + ")*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?");
    /** The environment variable naming a shared directory for built-in images (see {@link #builtinParent()}). */
    public static final String BUILTIN_CACHE_ENV = "AGENTBOX_BUILTIN_CACHE";
    /**
     * A file every rootfs gets in /tmp. gVisor mounts its own tmpfs at an empty /tmp, in memory and without
     * a size limit; a non-empty /tmp stays part of the root overlay, within the sandbox's storage limit.
     */
    public static final String TMP_MARKER = "tmp/.agentbox-keep";
    /** Directories every rootfs gets, so that the bundle's mount points exist even on a read-only root. */
    private static final List<String> MOUNT_POINTS = List.of("proc", "sys", "dev", "tmp", ".agentbox");

    private final Path dir;
    private final Path imported;
    private final Object lock = new Object();
    private final Object builtinLock = new Object();
    private final BuiltinImage.Spec builtinSpec;
    private final java.util.function.Predicate<Path> builtinInUse;
    private Path builtin;

    public LocalImageStore(Path dir) {
        this(dir, BuiltinImage.Spec.defaults(), rootfs -> true);
    }

    /**
     * @param builtinInUse whether a sandbox uses a built-in image's rootfs (one that is not is removed when the
     *                     packages change and a new one is built)
     */
    public LocalImageStore(Path dir, BuiltinImage.Spec builtinSpec, java.util.function.Predicate<Path> builtinInUse) {
        this.dir = dir;
        this.imported = dir.resolve("imported");
        this.builtinSpec = builtinSpec;
        this.builtinInUse = builtinInUse;
        try {
            Files.createDirectories(imported);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare image directory " + dir, e);
        }
    }

    /** The rootfs directory of an image, or NOT_FOUND with what to do. */
    public Path rootfs(String name) throws RuntimeFailure {
        if (isBuiltin(name)) return builtinRootfs();
        Path p = imageDir(name).resolve("rootfs");
        if (!Files.isDirectory(p)) throw notFound(name);
        return p;
    }

    public static boolean isBuiltin(String name) {
        return name == null || name.isBlank() || ImageStore.BUILTIN.equals(name);
    }

    private static RuntimeFailure notFound(String name) {
        return new RuntimeFailure(Kind.NOT_FOUND, "image " + name + " not found; import it with `agentbox image import " + name
                + " PATH` or use " + ImageStore.BUILTIN);
    }

    private Path imageDir(String name) {
        return imported.resolve(URLEncoder.encode(name, StandardCharsets.UTF_8));
    }

    @Override
    public boolean exists(String name) {
        if (isBuiltin(name)) return true;
        return NAME.matcher(name).matches() && Files.isDirectory(imageDir(name).resolve("rootfs"));
    }

    @Override
    public List<String> list() {
        List<String> out = new ArrayList<>();
        out.add(BUILTIN);
        try (Stream<Path> s = Files.list(imported)) {
            s.filter(p -> Files.isDirectory(p.resolve("rootfs")))
                    .map(p -> URLDecoder.decode(p.getFileName().toString(), StandardCharsets.UTF_8))
                    .sorted()
                    .forEach(out::add);
        } catch (IOException e) {
            log.warn("cannot list images in {}", imported, e);
        }
        return out;
    }

    public static void validateName(String name) throws RuntimeFailure {
        if (name == null || name.length() > 255 || !NAME.matcher(name).matches()) {
            throw new RuntimeFailure(Kind.INVALID, "image name " + name + ": must look like [registry/]name[:tag][@sha256:digest] (lower-case letters, digits, . _ -)");
        }
        if (name.equals(BUILTIN) || name.startsWith(BUILTIN + ":")) {
            throw new RuntimeFailure(Kind.INVALID, "image name " + name + ": reserved for the built-in image");
        }
    }

    @Override
    public void importImage(String name, Path source) throws RuntimeFailure {
        validateName(name);
        if (source == null || !Files.exists(source)) throw new RuntimeFailure(Kind.INVALID, "image source " + source + ": no such file or directory");
        Path tmp = imported.resolve(".tmp-" + UUID.randomUUID());
        Path rootfs = tmp.resolve("rootfs");
        try {
            Files.createDirectories(rootfs);
            if (Files.isDirectory(source)) {
                copyTree(source, rootfs);
            } else {
                importTar(source, tmp, rootfs);
            }
            for (String m : MOUNT_POINTS) {
                Path p = rootfs.resolve(m);
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(p);
            }
            writeTmpMarker(rootfs);
            synchronized (lock) {
                Path target = imageDir(name);
                if (Files.exists(target)) {
                    Path trash = imported.resolve(".old-" + UUID.randomUUID());
                    Files.move(target, trash, StandardCopyOption.ATOMIC_MOVE);
                    deleteTree(trash);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            log.info("image {} imported from {}", name, source);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            throw new RuntimeFailure(Kind.INVALID, "image import of " + name + " from " + source + " failed: " + e.getMessage(), e);
        } catch (RuntimeFailure e) {
            deleteQuietly(tmp);
            throw new RuntimeFailure(e.kind(), "image import of " + name + " from " + source + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void remove(String name) throws RuntimeFailure {
        if (isBuiltin(name)) throw new RuntimeFailure(Kind.INVALID, "image " + name + ": the built-in image cannot be removed");
        validateName(name);
        Path target = imageDir(name);
        if (!Files.isDirectory(target)) throw notFound(name);
        try {
            Path trash = imported.resolve(".old-" + UUID.randomUUID());
            Files.move(target, trash, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(trash);
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "cannot remove image " + name + ": " + e.getMessage(), e);
        }
    }

    // ---------- tar images ----------

    private void importTar(Path source, Path tmp, Path rootfs) throws IOException, RuntimeFailure {
        boolean image;
        try (InputStream in = open(source)) {
            image = false;
            // look first: a docker save / OCI layout tar has manifest.json or index.json at its top
            try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    String n = strip(e.getName());
                    if (n.equals("manifest.json") || n.equals("index.json") || n.equals("oci-layout")) {
                        image = true;
                        break;
                    }
                }
            }
        }
        SafeRoot root = new SafeRoot(rootfs);
        if (!image) {
            applyLayer(source, "rootfs tar " + source.getFileName(), root);
            return;
        }
        Path outerDir = Files.createDirectories(tmp.resolve("outer"));
        SafeRoot outer = new SafeRoot(outerDir);
        applyLayer(source, "image tar " + source.getFileName(), outer); // same rule, so no write leaves outerDir
        List<String> layers = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        String configFile = null;
        if (outer.find("manifest.json") != null) {
            JsonNode m = om.readTree(outerFile(outer, "manifest.json").toFile());
            if (!m.isArray() || m.isEmpty()) throw new RuntimeFailure(Kind.INVALID, "manifest.json lists no image");
            for (JsonNode l : m.get(0).path("Layers")) layers.add(l.asText());
            if (m.get(0).path("Config").isTextual()) configFile = m.get(0).path("Config").asText();
        } else {
            JsonNode index = om.readTree(outerFile(outer, "index.json").toFile());
            JsonNode desc = index.path("manifests").path(0);
            JsonNode manifest = om.readTree(outerFile(outer, blob(desc.path("digest").asText())).toFile());
            if (manifest.has("manifests")) { // an index of indexes (multi-platform): take the linux/amd64 one or the first
                JsonNode pick = manifest.path("manifests").path(0);
                for (JsonNode d : manifest.path("manifests")) {
                    if ("amd64".equals(d.path("platform").path("architecture").asText())) {
                        pick = d;
                        break;
                    }
                }
                manifest = om.readTree(outerFile(outer, blob(pick.path("digest").asText())).toFile());
            }
            for (JsonNode l : manifest.path("layers")) layers.add(blob(l.path("digest").asText()));
            if (manifest.path("config").path("digest").isTextual()) configFile = blob(manifest.path("config").path("digest").asText());
        }
        for (int i = 0; i < layers.size(); i++) {
            applyLayer(outerFile(outer, layers.get(i)), "layer " + (i + 1) + " (" + layers.get(i) + ")", root);
        }
        if (configFile != null) {
            JsonNode c = om.readTree(outerFile(outer, configFile).toFile()).path("config");
            int[] ids = resolveUser(root, c.path("User").asText(""));
            ImageConfig config = new ImageConfig(ids[0], ids[1], strings(c.path("Env")), c.path("WorkingDir").asText("").isEmpty() ? null : c.path("WorkingDir").asText(),
                    strings(c.path("Entrypoint")), strings(c.path("Cmd")));
            om.writeValue(tmp.resolve(CONFIG_FILE).toFile(), config);
        }
        deleteTree(outerDir);
    }

    private static final String CONFIG_FILE = "image.json";

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array.isArray()) array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /**
     * An image's User ({@code uid}, {@code uid:gid}, {@code name} or {@code name:group}) as numbers, names looked
     * up in the image's own /etc/passwd and /etc/group (read beneath its root, never through a symlink).
     */
    static int[] resolveUser(SafeRoot root, String user) throws IOException, RuntimeFailure {
        if (user == null || user.isBlank()) return new int[] {0, 0};
        String[] parts = user.split(":", 2);
        Integer uid = null, gid = null;
        List<String[]> passwd = table(root, "etc/passwd");
        if (parts[0].matches("\\d+")) uid = Integer.parseInt(parts[0]);
        for (String[] row : passwd) {
            if (row.length < 4) continue;
            if (uid == null ? row[0].equals(parts[0]) : row[2].equals(String.valueOf(uid))) {
                if (uid == null) uid = Integer.parseInt(row[2]);
                if (row[3].matches("\\d+")) gid = Integer.parseInt(row[3]);
                break;
            }
        }
        if (uid == null) throw new RuntimeFailure(Kind.INVALID, "the image's User " + user + " is not in its /etc/passwd");
        if (parts.length > 1) {
            if (parts[1].matches("\\d+")) gid = Integer.parseInt(parts[1]);
            else {
                gid = null;
                for (String[] row : table(root, "etc/group")) if (row.length >= 3 && row[0].equals(parts[1])) gid = Integer.parseInt(row[2]);
                if (gid == null) throw new RuntimeFailure(Kind.INVALID, "the image's User " + user + " names a group that is not in its /etc/group");
            }
        }
        return new int[] {uid, gid == null ? uid : gid};
    }

    private static List<String[]> table(SafeRoot root, String file) throws IOException {
        List<String[]> rows = new ArrayList<>();
        Path p;
        try {
            p = root.find(file);
        } catch (SafeRoot.Refused e) {
            return rows;
        }
        if (p == null || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.size(p) > (1 << 20)) return rows;
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) rows.add(line.split(":", -1));
        return rows;
    }

    @Override
    public ImageConfig config(String name) throws RuntimeFailure {
        if (isBuiltin(name)) return ImageConfig.BUILTIN_CONFIG;
        Path dir = imageDir(name);
        if (!Files.isDirectory(dir.resolve("rootfs"))) throw notFound(name);
        Path f = dir.resolve(CONFIG_FILE);
        if (!Files.exists(f)) return ImageConfig.NONE;
        try {
            return new ObjectMapper().readValue(f.toFile(), ImageConfig.class);
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "image " + name + ": cannot read its config " + f + ": " + e.getMessage(), e);
        }
    }

    private static String blob(String digest) throws RuntimeFailure {
        int colon = digest.indexOf(':');
        if (colon < 0) throw new RuntimeFailure(Kind.INVALID, "bad digest " + digest);
        return "blobs/" + digest.substring(0, colon) + "/" + digest.substring(colon + 1);
    }

    /**
     * A regular file of the image tar. A legacy docker save links a layer it already holds
     * (a/layer.tar -> ../b/layer.tar): a relative link is resolved by name here, staying inside the tar.
     */
    private static Path outerFile(SafeRoot outer, String name) throws IOException, RuntimeFailure {
        String rel = name;
        for (int hops = 0; hops < 8; hops++) {
            Path p;
            try {
                p = outer.find(rel);
            } catch (SafeRoot.Refused r) {
                throw new RuntimeFailure(Kind.INVALID, "image tar file " + name + " refused: " + r.getMessage());
            }
            if (p == null) throw new RuntimeFailure(Kind.INVALID, "image tar file " + name + " is missing");
            if (!Files.isSymbolicLink(p)) {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) throw new RuntimeFailure(Kind.INVALID, "image tar file " + name + " is not a file");
                return p;
            }
            Path target = Files.readSymbolicLink(p);
            Path parent = Path.of(SafeRoot.normalise(rel)).getParent();
            Path next = (parent == null ? target : parent.resolve(target)).normalize();
            if (target.isAbsolute() || next.startsWith("..")) {
                throw new RuntimeFailure(Kind.INVALID, "image tar file " + name + " refused: it links to " + target + ", outside the image tar");
            }
            rel = next.toString();
        }
        throw new RuntimeFailure(Kind.INVALID, "image tar file " + name + " refused: too many links");
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 65536);
        in.mark(4);
        int a = in.read(), b = in.read();
        in.reset();
        return a == 0x1f && b == 0x8b ? new GzipCompressorInputStream(in, true) : in;
    }

    private static String strip(String name) {
        while (name.startsWith("./")) name = name.substring(2);
        while (name.startsWith("/")) name = name.substring(1);
        if (name.endsWith("/")) name = name.substring(0, name.length() - 1);
        return name;
    }

    /**
     * Applies one tar onto a root, honouring whiteouts (.wh.NAME and .wh..wh..opq). Every entry goes
     * through {@link SafeRoot}; a hostile one fails the import with its name and the layer's.
     */
    private static void applyLayer(Path layerTar, String layer, SafeRoot root) throws IOException, RuntimeFailure {
        Set<String> fromThisLayer = new HashSet<>();
        try (InputStream in = open(layerTar); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                try {
                    applyEntry(e, tar, root, fromThisLayer);
                } catch (SafeRoot.Refused r) {
                    throw new RuntimeFailure(Kind.INVALID, layer + ": entry " + e.getName() + " refused: " + r.getMessage());
                } catch (IOException io) {
                    throw new IOException(layer + ": entry " + e.getName() + ": " + io.getMessage(), io);
                }
            }
        }
    }

    private static void applyEntry(TarArchiveEntry e, InputStream content, SafeRoot root, Set<String> fromThisLayer) throws IOException {
        String n = SafeRoot.normalise(e.getName());
        if (n.isEmpty()) return;
        int slash = n.lastIndexOf('/');
        String dir = slash < 0 ? "" : n.substring(0, slash);
        String base = n.substring(slash + 1);
        if (base.equals(".wh..wh..opq")) {
            root.empty(dir, fromThisLayer::contains);
            return;
        }
        if (base.startsWith(".wh..wh.")) return; // aufs bookkeeping (.wh..wh.plnk and the like), skipped as Docker does
        if (base.startsWith(".wh.")) {
            String victim = base.substring(4);
            if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) throw new SafeRoot.Refused("whiteout of '" + victim + "'");
            root.delete(dir.isEmpty() ? victim : dir + "/" + victim);
            return;
        }
        // commons-compress's isFile() is true for every non-directory, so the other types are tested first
        if (e.isDirectory()) {
            root.mkdir(n);
        } else if (e.isSymbolicLink()) {
            root.symlink(n, e.getLinkName());
        } else if (e.isLink()) {
            root.hardLink(n, e.getLinkName());
        } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            return; // skipped, not refused: a rootfs needs none (gVisor provides /dev) and skipping writes nothing
        } else {
            root.writeFile(n, content); // regular, and unknown types, which POSIX says to treat as regular files
        }
        fromThisLayer.add(n);
        root.setMetadata(n, e.getMode(), (int) e.getLongUserId(), (int) e.getLongGroupId(), e.getLastModifiedTime());
    }

    // ---------- directories ----------

    /** Copies a rootfs directory through the same rule: symlinks are copied as symlinks, never followed. */
    private static void copyTree(Path source, Path rootfs) throws IOException {
        Path from = source.toRealPath(); // the admin's own path may go through symlinks; nothing beneath it is followed
        SafeRoot to = new SafeRoot(rootfs);
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                to.mkdir(from.relativize(d).toString());
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                String rel = from.relativize(f).toString();
                if (a.isSymbolicLink()) {
                    to.symlink(rel, Files.readSymbolicLink(f).toString());
                } else if (a.isRegularFile()) {
                    try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
                        to.writeFile(rel, in);
                    }
                } else {
                    return FileVisitResult.CONTINUE; // devices, fifos, sockets: skipped, as in tars
                }
                copyMetadata(f, rel);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                copyMetadata(d, from.relativize(d).toString()); // after its content, so a read-only directory can be filled
                return FileVisitResult.CONTINUE;
            }

            private void copyMetadata(Path f, String rel) throws IOException {
                Map<String, Object> a = Files.readAttributes(f, "unix:mode,uid,gid,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
                to.setMetadata(rel, (int) a.get("mode"), (int) a.get("uid"), (int) a.get("gid"), (FileTime) a.get("lastModifiedTime"));
            }
        });
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.delete(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } else {
            Files.delete(p);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            deleteTree(p);
        } catch (IOException e) {
            log.warn("cannot delete {}", p, e);
        }
    }

    // ---------- the built-in image ----------

    /**
     * Where built-in images are built: {@code $AGENTBOX_BUILTIN_CACHE} when set (a directory of our own, not writable
     * by others: tests share one build across their many state directories), else this store's directory.
     */
    private Path builtinParent() throws RuntimeFailure {
        String shared = System.getenv(BUILTIN_CACHE_ENV);
        if (shared == null || shared.isBlank()) return dir;
        Path p = Path.of(shared).toAbsolutePath().normalize();
        try {
            Files.createDirectories(p);
            Map<String, Object> a = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int self = (int) Files.readAttributes(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS).get("uid");
            if ((int) a.get("uid") != self || ((int) a.get("mode") & 022) != 0) {
                throw new RuntimeFailure(Kind.FAILED, BUILTIN_CACHE_ENV + "=" + p + " is not a directory of agentboxd's own user that only it can write"
                        + " (owner and mode are checked: another user could plant an image there); fix its owner and mode or unset it");
            }
            return p;
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, BUILTIN_CACHE_ENV + "=" + p + ": " + e.getMessage(), e);
        }
    }

    /** The built-in image's rootfs, built at first use (seconds; see docs/images.md) and kept by its packages' hash. */
    private Path builtinRootfs() throws RuntimeFailure {
        synchronized (builtinLock) {
            if (builtin == null) {
                Path parent = builtinParent();
                // a shared directory's other images may be other state directories' (their sandboxes are not ours to see)
                builtin = BuiltinImage.ensure(parent, builtinSpec, parent.equals(dir) ? builtinInUse : rootfs -> true);
            }
            return builtin;
        }
    }

    /** The packages ({@code name version}) the built-in image was built from; builds it when not built yet. */
    public List<String> builtinPackages() throws RuntimeFailure {
        return BuiltinImage.packageList(builtinRootfs());
    }

    /** See {@link #TMP_MARKER}; only where /tmp is a real directory of the rootfs (never through a link). */
    static void writeTmpMarker(Path rootfs) throws IOException {
        Path tmp = rootfs.resolve("tmp");
        if (!Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) return;
        Path f = rootfs.resolve(TMP_MARKER);
        if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) return;
        Files.writeString(f, "agentbox: keeps /tmp in the sandbox's root overlay, within its storage limit\n");
    }
}
