package dev.agentbox.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A minimal root filesystem for the baselines (raw runsc, podman): the host's static busybox and the few applets the
 * benchmark runs ({@code true}, {@code sleep}, {@code sh}), so the peers start a container with nothing to download.
 */
final class BusyboxRootfs {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private BusyboxRootfs() {}

    /** Writes it into {@code dir} (made if missing) and returns {@code dir}. */
    static Path create(Path dir) throws IOException {
        if (!Files.isExecutable(BUSYBOX)) throw new IllegalStateException(BUSYBOX + " is missing: install Debian's busybox-static (apt-get install -y busybox-static)");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String d : new String[] {"proc", "dev", "sys", "tmp", "etc"}) Files.createDirectories(dir.resolve(d));
        Files.copy(BUSYBOX, bin.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        for (String applet : new String[] {"true", "sleep", "sh"}) Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        return dir;
    }
}
