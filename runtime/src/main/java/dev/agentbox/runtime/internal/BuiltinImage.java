package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.RuntimeFailure.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the built-in image {@code agentbox/builtin}: a complete rootfs made of the files of an explicit list of
 * installed Debian packages and their dependency closure (Depends and Pre-Depends), copied from the host once,
 * plus a small generated /etc. Nothing else of the host is in it: not /usr/local, not the other installed packages.
 * The directory is named after a hash of the packages' {@code name=version} lines, so it is built again when a
 * package of the closure changes on the host, and reused (by every state directory that shares the parent) otherwise.
 */
public final class BuiltinImage {
    private static final Logger log = LoggerFactory.getLogger(BuiltinImage.class);
    /** What the built-in image is made of; the dependencies of these come with them. */
    public static final List<String> DEFAULT_PACKAGES = List.of(
            "base-files", "bash", "coreutils", "dash", "grep", "sed", "mawk", "findutils", "procps", "util-linux", "hostname", "tar", "gzip", "python3");
    /** Taken only when installed on the host (scripts/setup-tests.sh installs them). */
    public static final List<String> DEFAULT_OPTIONAL = List.of("python3-numpy", "python3-matplotlib", "python3-pil");
    /**
     * Never taken, nor their dependencies: python3-pythran (scipy's ahead-of-time compiler, reached through
     * matplotlib -> fonttools -> scipy) would bring gcc, g++ and boost's headers, ~500 MB a sandbox has no use for.
     */
    public static final Set<String> DEFAULT_EXCLUDED = Set.of("python3-pythran");
    /** Inside the image: one line {@code name version} per package it was built from. */
    public static final String PACKAGES_FILE = "usr/share/agentbox/builtin-packages.txt";
    /** Bumped when what is built from the same packages changes (part of the directory's hash). */
    private static final int LAYOUT_VERSION = 3;
    /** /etc files agentboxd writes itself; a package's own copy of them is not taken. */
    private static final Set<String> GENERATED = Set.of("etc/passwd", "etc/group", "etc/shadow", "etc/gshadow", "etc/hosts",
            "etc/hostname", "etc/nsswitch.conf", "etc/resolv.conf", "etc/ld.so.cache", "etc/ssl/certs/ca-certificates.crt");
    private static final Duration DPKG_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_OUTPUT = 64 << 20;

    private BuiltinImage() {}

    /**
     * @param packages packages the image must have (a missing one fails the build, naming it)
     * @param optional packages taken when installed
     * @param excluded packages never taken, nor their dependencies
     */
    public record Spec(List<String> packages, List<String> optional, Set<String> excluded) {
        public Spec {
            packages = List.copyOf(packages);
            optional = List.copyOf(optional);
            excluded = Set.copyOf(excluded);
        }

        public static Spec defaults() {
            return new Spec(DEFAULT_PACKAGES, DEFAULT_OPTIONAL, DEFAULT_EXCLUDED);
        }

        /**
         * {@code names} as a list, each checked to be a Debian package name (they become dpkg-query arguments: never an
         * option or a path); {@code field} names the setting in the error.
         */
        public static List<String> checkNames(List<String> names, String field) {
            List<String> copy = names == null ? List.of() : List.copyOf(names);
            for (String n : copy) {
                if (!n.matches("[a-z0-9][a-z0-9+.-]+")) {
                    throw new IllegalArgumentException(field + ": '" + n + "' is not a Debian package name (lower-case letters, digits, + - .)");
                }
            }
            return copy;
        }

        /** The defaults plus packages an admin asked for (agentboxd's {@code runtime.builtinPackages}). */
        public static Spec withExtra(List<String> extra) {
            List<String> p = new ArrayList<>(DEFAULT_PACKAGES);
            if (extra != null) for (String e : extra) if (!p.contains(e)) p.add(e);
            return new Spec(p, DEFAULT_OPTIONAL, DEFAULT_EXCLUDED);
        }
    }

    /** One installed package, as dpkg's database says. {@code depends}: each a list of alternatives (names only). */
    record Pkg(String name, String binaryName, String version, List<String> provides, List<List<String>> depends) {}

    // ---------- the package closure ----------

    /** The installed packages by name (the native architecture's, or Architecture: all, when a name has several). */
    static Map<String, Pkg> installed() throws RuntimeFailure {
        String out = run(List.of("dpkg-query", "-W", "-f=${binary:Package}\\t${Version}\\t${db:Status-Abbrev}\\t${Architecture}\\t${Provides}\\t${Depends}, ${Pre-Depends}\\n"));
        String arch = switch (System.getProperty("os.arch")) {
            case "aarch64" -> "arm64";
            case "x86_64", "amd64" -> "amd64";
            default -> System.getProperty("os.arch");
        };
        return parseInstalled(out, arch);
    }

    static Map<String, Pkg> parseInstalled(String dpkgOutput, String nativeArch) {
        Map<String, Pkg> db = new HashMap<>();
        for (String line : dpkgOutput.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length < 6 || f[2].length() < 2 || f[2].charAt(1) != 'i') continue; // not installed (config-files, half-installed...)
            String name = f[0].contains(":") ? f[0].substring(0, f[0].indexOf(':')) : f[0];
            boolean preferred = f[3].equals(nativeArch) || f[3].equals("all");
            if (db.containsKey(name) && !preferred) continue;
            List<String> provides = new ArrayList<>();
            for (String p : f[4].split(",")) if (!bareName(p).isEmpty()) provides.add(bareName(p));
            List<List<String>> depends = new ArrayList<>();
            for (String d : f[5].split(",")) {
                List<String> alts = new ArrayList<>();
                for (String a : d.split("\\|")) if (!bareName(a).isEmpty()) alts.add(bareName(a));
                if (!alts.isEmpty()) depends.add(alts);
            }
            db.put(name, new Pkg(name, f[0], f[1], provides, depends));
        }
        return db;
    }

    /** "python3:any (>= 3.11~)" -> "python3": version constraints are dpkg's business (what is installed satisfies them). */
    private static String bareName(String dep) {
        String s = dep.strip();
        int cut = s.length();
        for (char c : new char[] {' ', '(', ':'}) if (s.indexOf(c) >= 0) cut = Math.min(cut, s.indexOf(c));
        return s.substring(0, cut);
    }

    /**
     * The packages and their dependency closure. Of alternatives {@code a | b} the first one installed (or provided
     * by an installed package) is taken; a dependency that nothing installed satisfies is skipped (a virtual or
     * uninstalled one dpkg let through).
     */
    static List<Pkg> closure(Map<String, Pkg> db, Spec spec) throws RuntimeFailure {
        Map<String, List<String>> providers = new HashMap<>();
        for (Pkg p : db.values()) for (String v : p.provides()) providers.computeIfAbsent(v, k -> new ArrayList<>()).add(p.name());
        for (List<String> l : providers.values()) java.util.Collections.sort(l);
        List<String> missing = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>();
        for (String p : spec.packages()) {
            if (db.containsKey(p)) todo.add(p);
            else missing.add(p);
        }
        if (!missing.isEmpty()) {
            throw new RuntimeFailure(Kind.FAILED, "the built-in image needs the Debian package(s) " + String.join(", ", missing)
                    + ", not installed on this host: install them (apt-get install " + String.join(" ", missing)
                    + ") or remove them from runtime.builtinPackages");
        }
        for (String p : spec.optional()) if (db.containsKey(p)) todo.add(p);
        Map<String, Pkg> seen = new TreeMap<>();
        while (!todo.isEmpty()) {
            String n = todo.poll();
            if (seen.containsKey(n) || spec.excluded().contains(n)) continue;
            Pkg p = db.get(n);
            seen.put(n, p);
            for (List<String> alts : p.depends()) {
                for (String a : alts) {
                    String pick = db.containsKey(a) ? a : providers.containsKey(a) ? providers.get(a).get(0) : null;
                    if (pick != null) {
                        todo.add(pick);
                        break;
                    }
                }
            }
        }
        return List.copyOf(seen.values());
    }

    // ---------- the files ----------

    /** The paths (beneath the image root, no leading '/') the packages' files have in the image, in dpkg's order. */
    static List<String> files(List<Pkg> packages) throws RuntimeFailure {
        List<String> cmd = new ArrayList<>(List.of("dpkg-query", "-L"));
        for (Pkg p : packages) cmd.add(p.binaryName());
        String out = run(cmd);
        Set<String> files = new LinkedHashSet<>();
        Map<Path, Path> realParents = new HashMap<>();
        for (String line : out.split("\n")) {
            if (!line.startsWith("/") || line.equals("/.")) continue; // "diverted by ..." lines, blank separators
            String mapped = imagePath(line, realParents);
            if (mapped != null) files.add(mapped);
        }
        return List.copyOf(files);
    }

    /**
     * Where a listed file is in the image: its parent directory resolved on the host (Debian 12 lists /bin/bash,
     * which is /usr/bin/bash through the usrmerge link /bin -> usr/bin). Only /usr and /etc are taken; never
     * /usr/local (the admin's, not a package's) nor the files agentboxd generates.
     */
    static String imagePath(String listed, Map<Path, Path> realParents) {
        Path p = Path.of(listed).normalize();
        Path parent = p.getParent();
        if (parent == null || p.getFileName() == null) return null;
        Path real = realParents.computeIfAbsent(parent, d -> {
            try {
                return d.toRealPath();
            } catch (IOException e) {
                return null;
            }
        });
        if (real == null) return null;
        String s = real.resolve(p.getFileName()).toString().substring(1);
        boolean under = s.equals("usr") || s.startsWith("usr/") || s.startsWith("etc/");
        if (!under || s.equals("usr/local") || s.startsWith("usr/local/") || GENERATED.contains(s) || s.startsWith("etc/alternatives/")) return null;
        return s;
    }

    // ---------- building ----------

    /**
     * The rootfs of the built-in image under {@code parent} ({@code builtin-<hash>/rootfs}), built first if missing.
     * Safe to call from several JVMs at once: each builds into a directory of its own and renames it into place.
     */
    public static Path ensure(Path parent, Spec spec) throws RuntimeFailure {
        return ensure(parent, spec, p -> true);
    }

    /**
     * As {@link #ensure(Path, Spec)}, then removes the other built-in images under {@code parent} (older package
     * versions, and the v1/v2 layouts that were the host's /usr) whose rootfs no sandbox uses ({@code inUse}).
     */
    public static Path ensure(Path parent, Spec spec, java.util.function.Predicate<Path> inUse) throws RuntimeFailure {
        Path rootfs = build(parent, spec);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, "{builtin-*,.builtin-*}")) {
            for (Path other : ds) {
                if (other.getFileName().toString().startsWith(".")) {
                    // a build an agentboxd did not finish (it exited meanwhile); an hour is far longer than any build
                    if (Files.getLastModifiedTime(other).toMillis() > System.currentTimeMillis() - 3_600_000) continue;
                } else if (other.equals(rootfs.getParent()) || inUse.test(other.resolve("rootfs"))) {
                    continue;
                }
                log.info("removing the built-in image {}: no sandbox uses it", other);
                LocalImageStore.deleteTree(other);
            }
        } catch (IOException e) {
            log.warn("cannot remove old built-in images in {}: {}", parent, e.getMessage());
        }
        return rootfs;
    }

    private static Path build(Path parent, Spec spec) throws RuntimeFailure {
        long t0 = System.nanoTime();
        Map<String, Pkg> db = installed();
        List<Pkg> packages = closure(db, spec);
        List<String> files = files(packages);
        Set<String> missing = new TreeSet<>();
        Map<String, String> alternatives = alternatives(files, missing);
        // an alternative the host chose from a package outside the closure (numpy's libblas.so.3 -> OpenBLAS): that
        // package joins the image, so the link works inside as it does on the host
        Set<String> excluded = spec.excluded();
        for (int round = 0; round < 3 && !missing.isEmpty(); round++) {
            Set<String> owners = owners(missing);
            owners.removeAll(names(packages));
            owners.removeIf(o -> !db.containsKey(o) || excluded.contains(o));
            if (owners.isEmpty()) break;
            List<String> optional = new ArrayList<>(spec.optional());
            optional.addAll(owners);
            spec = new Spec(spec.packages(), optional, spec.excluded());
            packages = closure(db, spec);
            files = files(packages);
            missing.clear();
            alternatives = alternatives(files, missing);
        }
        if (!missing.isEmpty()) log.warn("built-in image: links to {} (the host's alternatives) are left out: no package of the image has them", missing);
        StringBuilder key = new StringBuilder("layout=" + LAYOUT_VERSION + "\n");
        for (Pkg p : packages) key.append(p.name()).append('=').append(p.version()).append('\n');
        alternatives.forEach((k, v) -> key.append("alternative ").append(k).append('=').append(v).append('\n'));
        Path ca = Path.of("/etc/ssl/certs/ca-certificates.crt");
        try {
            if (Files.isRegularFile(ca)) key.append("ca=").append(Files.size(ca)).append('@').append(Files.getLastModifiedTime(ca)).append('\n');
        } catch (IOException ignored) {
            // no CA bundle: none in the image
        }
        Path dir = parent.resolve("builtin-" + sha256(key.toString()).substring(0, 16));
        Path rootfs = dir.resolve("rootfs");
        if (Files.isRegularFile(dir.resolve("complete"))) return rootfs;
        long tFiles = System.nanoTime();
        Path tmp = parent.resolve(".builtin-" + UUID.randomUUID());
        try {
            Files.createDirectories(parent);
            Path r = tmp.resolve("rootfs");
            Files.createDirectories(r);
            Stats stats = copy(files, r);
            SafeRoot safe = new SafeRoot(r);
            for (Map.Entry<String, String> a : alternatives.entrySet()) {
                try {
                    if (safe.find(a.getKey()) == null) safe.symlink(a.getKey(), a.getValue()); // a package's own file wins
                } catch (SafeRoot.Refused refused) {
                    log.warn("built-in image: alternative {} left out: {}", a.getKey(), refused.getMessage());
                }
            }
            layout(r);
            StringBuilder list = new StringBuilder();
            for (Pkg p : packages) list.append(p.name()).append(' ').append(p.version()).append('\n');
            Files.createDirectories(r.resolve(PACKAGES_FILE).getParent());
            Files.writeString(r.resolve(PACKAGES_FILE), list.toString());
            Files.writeString(tmp.resolve("complete"), key.toString());
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isRegularFile(dir.resolve("complete"))) throw e;
                LocalImageStore.deleteTree(tmp); // another agentboxd built the same one meanwhile
                return rootfs;
            }
            log.info("built the built-in image {} from {} Debian packages: {} files ({} hard links to the host's), {} MB, {} skipped as not world-readable, in {} ms ({} ms of it asking dpkg)",
                    dir.getFileName(), packages.size(), stats.files, stats.linked, stats.bytes >> 20, stats.unreadable, (System.nanoTime() - t0) / 1_000_000, (tFiles - t0) / 1_000_000);
            return rootfs;
        } catch (IOException e) {
            try {
                LocalImageStore.deleteTree(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new RuntimeFailure(Kind.FAILED, "cannot build the built-in image in " + parent + ": " + e.getMessage(), e);
        }
    }

    private static final class Stats {
        long files, linked, bytes, unreadable;
        boolean linking = true;
    }

    /**
     * Puts the listed host files into the rootfs through {@link SafeRoot} (nothing is followed: a symlink is copied as
     * a symlink). Only world-readable files are taken (what any local user could read anyway; a 0600 secret a package
     * left in /etc is not). A regular file is a hard link to the host's file when both are on one filesystem (the
     * build then takes a second or two and no space; dpkg replaces a file it upgrades with a new one, so a link keeps
     * the version the image was built from), else a copy with its mtime (Python checks its bytecode against it).
     * /etc files and setuid/setgid ones are always copied, root-owned and without those bits. With each module.py
     * comes its __pycache__ bytecode, which Debian compiles at install time and dpkg does not list.
     */
    private static Stats copy(List<String> files, Path rootfs) throws IOException {
        SafeRoot to = new SafeRoot(rootfs);
        Stats stats = new Stats();
        List<String> dirs = new ArrayList<>();
        Set<String> copied = new java.util.HashSet<>();
        for (String f : files) {
            try {
                copyOne(f, to, dirs, copied, stats);
            } catch (SafeRoot.Refused refused) {
                // beneath a symlink of the image (never followed): left out, as a hostile tar entry would be refused
                log.warn("built-in image: {} left out: {}", f, refused.getMessage());
            }
        }
        Map<String, List<String>> pycache = new HashMap<>(); // directory -> the names in its __pycache__, listed once
        for (String f : files) {
            if (!f.endsWith(".py") || !copied.contains(f)) continue;
            int slash = f.lastIndexOf('/');
            String d = f.substring(0, slash), stem = f.substring(slash + 1, f.length() - 3) + ".";
            List<String> names = pycache.computeIfAbsent(d, k -> {
                List<String> l = new ArrayList<>();
                Path cache = Path.of("/" + k, "__pycache__");
                if (!Files.isDirectory(cache, LinkOption.NOFOLLOW_LINKS)) return l;
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(cache, "*.pyc")) {
                    for (Path pyc : ds) l.add(pyc.getFileName().toString());
                } catch (IOException e) {
                    // unreadable: the module compiles at import, as without a cache
                }
                return l;
            });
            for (String n : names) if (n.startsWith(stem) && n.indexOf('.', stem.length()) > 0) copyOne(d + "/__pycache__/" + n, to, dirs, copied, stats);
        }
        // directories last, deepest first, so a read-only one was writable while it was filled
        dirs.sort(java.util.Comparator.comparingInt(String::length).reversed());
        for (String d : dirs) {
            Map<String, Object> a = Files.readAttributes(Path.of("/" + d), "unix:mode,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
            to.setMetadata(d, (int) a.get("mode") & 0777, 0, 0, (FileTime) a.get("lastModifiedTime"));
        }
        return stats;
    }

    private static void copyOne(String f, SafeRoot to, List<String> dirs, Set<String> copied, Stats stats) throws IOException {
        Path host = Path.of("/" + f);
        Map<String, Object> a;
        try {
            a = Files.readAttributes(host, "unix:mode,lastModifiedTime,isDirectory,isSymbolicLink,isRegularFile,size", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return; // listed but gone (removed by the admin, or a diverted file)
        }
        int mode = (int) a.get("mode");
        if ((boolean) a.get("isDirectory")) {
            if (copied.add(f)) {
                to.mkdir(f);
                dirs.add(f);
            }
        } else if ((boolean) a.get("isSymbolicLink")) {
            if (copied.add(f)) {
                to.symlink(f, Files.readSymbolicLink(host).toString());
                to.setMetadata(f, 0, 0, 0, null);
            }
        } else if ((boolean) a.get("isRegularFile")) {
            if ((mode & 04) == 0) {
                stats.unreadable++;
                return;
            }
            if (!copied.add(f)) return;
            boolean linked = false;
            if (stats.linking && !f.startsWith("etc/") && (mode & 06000) == 0) {
                try {
                    to.linkHostFile(f, host);
                    linked = true;
                    stats.linked++;
                } catch (IOException e) {
                    stats.linking = false; // another filesystem (EXDEV) or links not allowed: copies from now on
                    log.info("built-in image: copying the packages' files (cannot hard-link {}: {})", host, e.getMessage());
                }
            }
            if (!linked) {
                to.copyFile(f, host);
                to.setMetadata(f, mode & 0777, 0, 0, (FileTime) a.get("lastModifiedTime"));
            }
            stats.files++;
            stats.bytes += (long) a.get("size");
        }
    }

    /**
     * Debian's alternatives (/usr/bin/awk -> /etc/alternatives/awk -> /usr/bin/mawk): links made by update-alternatives,
     * which dpkg does not list. Read from dpkg's alternatives database; a group is taken when one of its choices is a
     * file of the image, with the host's choice when that is in the image too. Otherwise the host's choice goes to
     * {@code missingTargets} (its package may join the image). Returns the links to make: path in the image -> target.
     */
    static Map<String, String> alternatives(List<String> files, Set<String> missingTargets) {
        Set<String> inImage = new java.util.HashSet<>(files);
        Map<String, String> links = new TreeMap<>();
        Map<Path, Path> cache = new HashMap<>();
        Path db = Path.of("/var/lib/dpkg/alternatives");
        if (!Files.isDirectory(db)) return links;
        try (DirectoryStream<Path> groups = Files.newDirectoryStream(db)) {
            for (Path g : groups) {
                List<String> lines = Files.readAllLines(g, StandardCharsets.UTF_8);
                if (lines.size() < 3) continue;
                // mode, master link, then (slave name, slave link) pairs up to an empty line, then the choices
                Map<String, String> group = new java.util.LinkedHashMap<>();
                group.put(g.getFileName().toString(), lines.get(1));
                int i = 2;
                for (; i + 1 < lines.size() && !lines.get(i).isEmpty(); i += 2) group.put(lines.get(i), lines.get(i + 1));
                int slaves = group.size() - 1;
                boolean offered = false;
                for (i++; i < lines.size() && !lines.get(i).isEmpty(); i += 2 + slaves) {
                    String mapped = imagePath(lines.get(i), cache);
                    if (mapped != null && inImage.contains(mapped)) offered = true;
                }
                if (!offered) continue;
                for (Map.Entry<String, String> e : group.entrySet()) {
                    Path chosen;
                    try {
                        chosen = Files.readSymbolicLink(Path.of("/etc/alternatives", e.getKey()));
                    } catch (IOException notSet) {
                        continue; // a slave the host's choice does not have
                    }
                    String mapped = imagePath(chosen.toString(), cache);
                    String link = imagePath(e.getValue(), cache);
                    if (mapped == null || link == null || !chosen.isAbsolute()) continue;
                    if (!inImage.contains(mapped)) {
                        missingTargets.add(chosen.toString());
                        continue;
                    }
                    links.put(link, "/etc/alternatives/" + e.getKey());
                    links.put("etc/alternatives/" + e.getKey(), chosen.toString());
                }
            }
        } catch (IOException e) {
            log.warn("built-in image: cannot read dpkg's alternatives in {}: {}", db, e.getMessage());
        }
        return links;
    }

    /** The installed packages that own these paths ({@code dpkg-query -S}); paths no package owns are left out. */
    static Set<String> owners(Set<String> paths) {
        Set<String> out = new TreeSet<>();
        List<String> cmd = new ArrayList<>(List.of("dpkg-query", "-S"));
        cmd.addAll(paths);
        try {
            // exit 1 when some path has no owner; the others are still listed
            for (String line : Runsc.run(cmd, DPKG_TIMEOUT, MAX_OUTPUT).out().split("\n")) {
                int colon = line.indexOf(": /");
                if (colon < 0 || line.startsWith("diversion by")) continue;
                for (String o : line.substring(0, colon).split(",")) if (!bareName(o).isEmpty()) out.add(bareName(o));
            }
        } catch (IOException e) {
            log.warn("built-in image: cannot ask dpkg who owns {}: {}", paths, e.getMessage());
        }
        return out;
    }

    /** The generated part: mount points, /tmp, the sandbox user, a small /etc, the /bin... links, ld.so.cache. */
    private static void layout(Path r) throws IOException {
        for (String d : List.of("proc", "sys", "dev", ".agentbox", "run", "var/tmp", "mnt", "opt", "srv", "etc/ssl/certs", "usr/local")) {
            Files.createDirectories(r.resolve(d));
        }
        mkdir(r.resolve("tmp"), "rwxrwxrwx");
        Files.setAttribute(r.resolve("tmp"), "unix:mode", 01777); // sticky, as /tmp always is
        LocalImageStore.writeTmpMarker(r);
        mkdir(r.resolve("root"), "rwx------");
        mkdir(r.resolve("home"), "rwxr-xr-x");
        mkdir(r.resolve("home/sandbox"), "rwxr-xr-x");
        Files.setAttribute(r.resolve("home/sandbox"), "unix:uid", 1000);
        Files.setAttribute(r.resolve("home/sandbox"), "unix:gid", 1000);
        for (String l : List.of("bin", "sbin", "lib", "lib64")) {
            if (Files.isDirectory(r.resolve("usr").resolve(l), LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(r.resolve(l), Path.of("usr/" + l));
        }
        Path etc = r.resolve("etc");
        Files.writeString(etc.resolve("passwd"), """
                root:x:0:0:root:/root:/bin/sh
                nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
                sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh
                """);
        Files.writeString(etc.resolve("group"), """
                root:x:0:
                nogroup:x:65534:
                sandbox:x:1000:
                """);
        Files.writeString(etc.resolve("hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        Files.writeString(etc.resolve("hostname"), "sandbox\n");
        Files.writeString(etc.resolve("nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
        Files.writeString(etc.resolve("resolv.conf"), "");
        Path ca = Path.of("/etc/ssl/certs/ca-certificates.crt"); // public certificates, generated on the host by update-ca-certificates
        if (Files.isReadable(ca)) Files.copy(ca, etc.resolve("ssl/certs/ca-certificates.crt"), StandardCopyOption.REPLACE_EXISTING);
        if (!Files.exists(etc.resolve("os-release"), LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(etc.resolve("os-release"), Path.of("../usr/lib/os-release"));
        // the loader's cache of this image's libraries (libc-bin, which owns ld.so.conf, is not in the image)
        if (!Files.exists(etc.resolve("ld.so.conf"), LinkOption.NOFOLLOW_LINKS)) Files.writeString(etc.resolve("ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
        String ldconfig = Files.isExecutable(Path.of("/usr/sbin/ldconfig")) ? "/usr/sbin/ldconfig" : "/sbin/ldconfig";
        try {
            Runsc.Result res = Runsc.run(List.of(ldconfig, "-X", "-r", r.toString()), DPKG_TIMEOUT);
            if (res.code() != 0) log.warn("built-in image: ldconfig -r failed (exit {}): {}; the loader searches its default directories", res.code(), res.err().strip());
        } catch (IOException e) {
            log.warn("built-in image: cannot run {}: {}; the loader searches its default directories", ldconfig, e.getMessage());
        }
    }

    private static void mkdir(Path p, String perms) throws IOException {
        Files.createDirectories(p);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    /** The package list inside a built rootfs ({@code name version} lines), empty when there is none. */
    public static List<String> packageList(Path rootfs) {
        try {
            return Files.readAllLines(rootfs.resolve(PACKAGES_FILE), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String run(List<String> cmd) throws RuntimeFailure {
        try {
            Runsc.Result r = Runsc.run(cmd, DPKG_TIMEOUT, MAX_OUTPUT);
            if (r.code() != 0) {
                throw new RuntimeFailure(Kind.FAILED, "the built-in image is built from Debian packages, but " + cmd.get(0) + " " + cmd.get(1)
                        + " failed (exit " + r.code() + "): " + r.err().strip());
            }
            return r.out();
        } catch (IOException e) {
            throw new RuntimeFailure(Kind.FAILED, "the built-in image is built from Debian packages: cannot run " + cmd.get(0)
                    + " (" + e.getMessage() + "); agentboxd needs a Debian or Ubuntu host with dpkg for agentbox/builtin (or import an image)", e);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Set<String> names(List<Pkg> packages) {
        Set<String> s = new TreeSet<>();
        for (Pkg p : packages) s.add(p.name());
        return s;
    }
}
