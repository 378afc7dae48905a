package dev.agentbox.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.ExecResult;
import dev.agentbox.runtime.GvisorRuntime;
import dev.agentbox.runtime.ImageStore;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import dev.agentbox.runtime.SandboxConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in image is built from Debian packages (issue 13): what it holds, and what of the host it does not. */
class BuiltinImageTest {
    @TempDir
    static Path dir;

    static GvisorRuntime runtime;
    static RunningSandbox sb;
    static Path rootfs;
    /** Created by this test on the host, where the old built-in image (the host's /usr) showed it to every sandbox. */
    static final Path CANARY = Path.of("/usr/local/share/agentbox-canary-" + UUID.randomUUID());

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(CANARY.getParent());
        Files.writeString(CANARY, "host secret\n");
        runtime = new GvisorRuntime(dir.resolve("runtime"));
        rootfs = ((LocalImageStore) runtime.images()).rootfs(ImageStore.BUILTIN);
        sb = runtime.start(new SandboxConfig("bi-" + ProcessHandle.current().pid(), ImageStore.BUILTIN, List.of(), Map.of(), "/tmp",
                512L << 20, 0, 128, 1000, 1000, false, List.of(), List.of(), null, 256L << 20, SandboxConfig.DEFAULT_CAPABILITIES, List.of()));
    }

    @AfterAll
    static void stop() throws Exception {
        Files.deleteIfExists(CANARY);
        if (runtime != null) {
            runtime.stopAll();
            runtime.close();
            assertThat(runtime.listContainers()).isEmpty();
        }
    }

    static ExecResult sh(String script) throws RuntimeFailure {
        return sb.exec(new ExecRequest(List.of("/bin/sh", "-c", script), Map.of(), null, null, Duration.ofSeconds(30), 1 << 20));
    }

    static String out(ExecResult r) {
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    void builtinImageDoesNotExposeHostUsrLocal() throws Exception {
        assertThat(Files.readString(CANARY)).isEqualTo("host secret\n"); // there on the host
        ExecResult r = sh("cat " + CANARY + "; echo rc=$?; ls -A /usr/local | wc -l");
        assertThat(out(r)).isEqualTo("rc=1\n0\n");
        assertThat(new String(r.stderr(), StandardCharsets.UTF_8)).contains("No such file or directory");
        // and nothing of the host's /usr/local is in the image's directory either
        try (Stream<Path> s = Files.list(rootfs.resolve("usr/local"))) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void builtinImageDoesNotExposeFilesOfHostPackagesOutsideItsClosure() throws Exception {
        Set<String> inImage = BuiltinImage.names(BuiltinImage.closure(BuiltinImage.installed(), BuiltinImage.Spec.defaults()));
        // a file of an installed package the image does not take (the host of this suite has gcc, javac's JDK, git...)
        String outside = null;
        for (String candidate : List.of("/usr/bin/gcc", "/usr/bin/git", "/usr/bin/make", "/usr/bin/perl", "/usr/bin/curl", "/usr/bin/apt-get")) {
            if (!Files.exists(Path.of(candidate))) continue;
            Runsc.Result owner = Runsc.run(List.of("dpkg-query", "-S", candidate), Duration.ofSeconds(30));
            String pkg = owner.out().contains(":") ? owner.out().substring(0, owner.out().indexOf(':')).strip() : "";
            if (owner.code() == 0 && !pkg.isEmpty() && !inImage.contains(pkg)) {
                outside = candidate;
                break;
            }
        }
        assertThat(outside).as("an installed package outside the closure to test with").isNotNull();
        ExecResult r = sh("test -e " + outside + "; echo rc=$?");
        assertThat(out(r)).as(outside + " inside").isEqualTo("rc=1\n");
        assertThat(Files.exists(rootfs.resolve(outside.substring(1)), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void theCommandsTheSuiteRunsInsideAreInTheImage() throws Exception {
        String commands = "sh bash python3 dd sleep cat ps kill pkill timeout base64 sha256sum md5sum stat id head tail wc yes ls touch mkdir rm cp"
                + " mv ln chmod chown find xargs grep sed awk tar gzip env true false echo printf nproc uname date tee sort uniq cut tr od"
                + " truncate setsid readlink realpath mkfifo dirname basename seq test df du free hostname";
        ExecResult r = sh("for c in " + commands + "; do command -v $c >/dev/null || echo missing $c; done; echo end");
        assertThat(out(r)).isEqualTo("end\n");
        r = sh("echo 'print(sum(range(10)))' | python3 - && awk 'BEGIN{print 6*7}' && ps -e -o pid= | wc -l");
        assertThat(out(r)).startsWith("45\n42\n");
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void pythonLibrariesInstalledOnTheHostWorkAndUseTheirBytecode() throws Exception {
        Map<String, BuiltinImage.Pkg> host = BuiltinImage.installed();
        StringBuilder py = new StringBuilder("import json, ssl, sqlite3, zlib\n");
        if (host.containsKey("python3-numpy")) py.append("import numpy; print('numpy', numpy.dot([1, 2], [3, 4]))\n");
        if (host.containsKey("python3-matplotlib")) {
            py.append("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, io\n")
                    .append("b = io.BytesIO(); plt.plot([1, 2]); plt.savefig(b, format='png'); print('png', b.getvalue()[:4] == b'\\x89PNG')\n");
        }
        if (host.containsKey("python3-pil")) py.append("from PIL import Image; print('pil', Image.new('RGB', (2, 2)).size)\n");
        sb.files().write("/tmp/t.py", py.toString().getBytes(StandardCharsets.UTF_8), 0644);
        ExecResult r = sb.exec(new ExecRequest(List.of("python3", "/tmp/t.py"), Map.of("MPLCONFIGDIR", "/tmp/mpl"), null, null, Duration.ofSeconds(60), 1 << 20));
        assertThat(r.exitCode()).as(new String(r.stderr(), StandardCharsets.UTF_8)).isZero();
        if (host.containsKey("python3-numpy")) assertThat(out(r)).contains("numpy 11");
        if (host.containsKey("python3-matplotlib")) assertThat(out(r)).contains("png True");
        if (host.containsKey("python3-pil")) assertThat(out(r)).contains("pil (2, 2)");
        // the stdlib's bytecode came with it (dpkg does not list it): json is imported from its .pyc
        assertThat(Files.exists(rootfs.resolve("usr/lib/python3.11/json/__pycache__/__init__.cpython-311.pyc"))
                || !Files.exists(Path.of("/usr/lib/python3.11/json/__pycache__/__init__.cpython-311.pyc"))).isTrue();
    }

    @Test
    void theImageListsItsPackagesWithVersionsAndIsReusedUntilTheyChange() throws Exception {
        List<String> listed = ((LocalImageStore) runtime.images()).builtinPackages();
        Map<String, BuiltinImage.Pkg> host = BuiltinImage.installed();
        assertThat(listed).contains("python3 " + host.get("python3").version(), "coreutils " + host.get("coreutils").version());
        assertThat(out(sh("cat /" + BuiltinImage.PACKAGES_FILE))).isEqualTo(String.join("\n", listed) + "\n");
        // the same packages: the same directory, not built again
        long t0 = System.nanoTime();
        assertThat(BuiltinImage.ensure(rootfs.getParent().getParent(), BuiltinImage.Spec.defaults())).isEqualTo(rootfs);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        // built afresh elsewhere (timed: what a first `agentbox serve` pays), the same packages give the same name
        t0 = System.nanoTime();
        Path other = BuiltinImage.ensure(dir.resolve("other"), BuiltinImage.Spec.withExtra(List.of()));
        System.out.printf("built-in image built in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(other.getParent().getFileName()).isEqualTo(rootfs.getParent().getFileName());
        assertThat(other).isNotEqualTo(rootfs);
        // one package more: another directory; the old ones no sandbox uses are removed (the previous build, and the
        // v2 layout that was the host's /usr), the one in use is kept
        Files.createDirectories(dir.resolve("other/builtin-v2/rootfs/usr"));
        Files.createDirectories(dir.resolve("other/builtin-0123456789abcdef/rootfs/usr"));
        Path inUse = dir.resolve("other/builtin-0123456789abcdef/rootfs");
        Path more = BuiltinImage.ensure(dir.resolve("other"), BuiltinImage.Spec.withExtra(List.of("sysvinit-utils", "debianutils", "netbase")),
                inUse::equals);
        assertThat(more.getParent()).isNotEqualTo(other.getParent());
        assertThat(other).doesNotExist();
        assertThat(dir.resolve("other/builtin-v2")).doesNotExist();
        assertThat(inUse).exists();
        assertThat(Path.of("/usr/bin/python3")).exists(); // removing an image of hard links removed the links only
        assertThat(BuiltinImage.packageList(more)).anyMatch(l -> l.startsWith("netbase "));
        assertThat(Files.exists(more.resolve("etc/protocols"))).isTrue();
    }

    @Test
    void closureFollowsDependsPreDependsAlternativesAndProvidesButNotExcludedPackages() throws Exception {
        String dpkg = String.join("\n",
                "app\t1.0\tii \tamd64\t\tlibfoo (>= 1), missing-virtual | libbar:any, awk, ",
                "libfoo:amd64\t2.0\tii \tamd64\t\t, libc6",
                "libfoo:i386\t2.0\tii \ti386\t\tlibc6-i386, ",
                "libbar\t1\tii \tamd64\t\t, ",
                "mawk\t1.3\tii \tamd64\tawk\t, ",
                "libc6:amd64\t2.36\tii \tamd64\t\t, ",
                "compiler\t9\tii \tamd64\t\tgcc, ",
                "tool\t1\tii \tall\t\tcompiler, ",
                "gcc\t12\tii \tamd64\t\t, ",
                "removed\t1\trc \tamd64\t\t, ");
        Map<String, BuiltinImage.Pkg> db = BuiltinImage.parseInstalled(dpkg, "amd64");
        assertThat(db).doesNotContainKey("removed");
        assertThat(db.get("libfoo").binaryName()).isEqualTo("libfoo:amd64");
        var spec = new BuiltinImage.Spec(List.of("app"), List.of("tool", "not-installed"), Set.of("compiler"));
        assertThat(BuiltinImage.names(BuiltinImage.closure(db, spec))).containsExactly("app", "libbar", "libc6", "libfoo", "mawk", "tool");
        assertThatThrownBy(() -> BuiltinImage.closure(db, new BuiltinImage.Spec(List.of("app", "nope"), List.of(), Set.of())))
                .hasMessageContaining("nope").hasMessageContaining("apt-get install nope");
    }

    @Test
    void listedPathsMapThroughUsrmergeAndNeverIntoUsrLocalOrGeneratedEtc() {
        Map<Path, Path> cache = new java.util.HashMap<>();
        if (Files.isSymbolicLink(Path.of("/bin"))) assertThat(BuiltinImage.imagePath("/bin/sh", cache)).isEqualTo("usr/bin/sh");
        assertThat(BuiltinImage.imagePath("/usr/bin/python3", cache)).isEqualTo("usr/bin/python3");
        assertThat(BuiltinImage.imagePath("/usr/local/bin/x", cache)).isNull();
        assertThat(BuiltinImage.imagePath("/usr/local", cache)).isNull();
        assertThat(BuiltinImage.imagePath("/etc/passwd", cache)).isNull();
        assertThat(BuiltinImage.imagePath("/var/lib/dpkg/x", cache)).isNull();
        assertThat(BuiltinImage.imagePath("/usr/../etc/shadow", cache)).isNull();
    }
}
