package dev.agentbox.cli;

import dev.agentbox.api.NotFoundException;
import dev.agentbox.client.FileEntry;
import dev.agentbox.client.SandboxFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "cp", sortOptions = false,
        description = {"Copy files and directories between this machine and a sandbox.",
                "Write the sandbox side as SANDBOX:/path (relative paths are relative to the sandbox's working directory).",
                "Directories are copied recursively. A destination that is an existing directory receives the source by name."},
        footer = {"", "Examples:", "  agentbox cp script.py my-sandbox:/tmp/script.py", "  agentbox cp my-sandbox:/tmp/out ./out",
                "  agentbox cp --claim ./data my-claim:/work/"})
final class CpCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "SRC", description = "local path or SANDBOX:/path")
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "local path or SANDBOX:/path")
    String destination;

    @Option(names = "--claim", description = "the SANDBOX part names a SandboxClaim")
    boolean claim;

    record Remote(String sandbox, String path) {}

    /** {@code name:/path} is remote; a path with a / before the first : (./a:b, /x:y) is local. */
    static Remote remote(String arg) {
        int colon = arg.indexOf(':');
        if (colon <= 0 || arg.substring(0, colon).contains("/")) return null;
        String path = arg.substring(colon + 1);
        return new Remote(arg.substring(0, colon), path.isEmpty() ? "." : path);
    }

    @Override
    int run() throws IOException {
        Remote from = remote(source);
        Remote to = remote(destination);
        if ((from == null) == (to == null)) {
            throw new IllegalArgumentException("exactly one of SRC and DST must be in a sandbox (SANDBOX:/path); got \"" + source + "\" and \"" + destination + "\"");
        }
        if (to != null) {
            SandboxFiles files = files(to.sandbox());
            Path local = Path.of(source);
            if (!Files.exists(local)) throw new IllegalArgumentException("no such file: " + source);
            String target = to.path();
            if (target.endsWith("/") || isDir(files, target)) target = join(target, local.getFileName().toString());
            int n = upload(files, local, target);
            err().println("copied " + n + " file" + (n == 1 ? "" : "s") + " to " + to.sandbox() + ":" + target);
        } else {
            SandboxFiles files = files(from.sandbox());
            FileEntry entry = files.stat(from.path());
            Path local = Path.of(destination);
            if (Files.isDirectory(local)) local = local.resolve(baseName(from.path()));
            int n = download(files, entry, from.path(), local);
            err().println("copied " + n + " file" + (n == 1 ? "" : "s") + " to " + local);
        }
        return 0;
    }

    private SandboxFiles files(String name) {
        return (claim ? client().attachClaim(name) : client().attach(name)).files();
    }

    private static boolean isDir(SandboxFiles files, String path) {
        try {
            return files.stat(path).isDirectory();
        } catch (NotFoundException e) {
            return false;
        }
    }

    private static int upload(SandboxFiles files, Path local, String remote) throws IOException {
        if (Files.isDirectory(local)) {
            files.mkdir(remote);
            int n = 0;
            try (Stream<Path> children = Files.list(local)) {
                for (Path c : children.sorted().toList()) n += upload(files, c, join(remote, c.getFileName().toString()));
            }
            return n;
        }
        files.write(remote, Files.readAllBytes(local), Files.isExecutable(local) ? 0755 : 0644);
        return 1;
    }

    private static int download(SandboxFiles files, FileEntry entry, String remote, Path local) throws IOException {
        if (entry.isDirectory()) {
            Files.createDirectories(local);
            int n = 0;
            for (FileEntry child : files.list(remote)) n += download(files, child, join(remote, child.name()), local.resolve(child.name()));
            return n;
        }
        if (!entry.isFile()) return 0; // links and devices are not copied
        if (local.getParent() != null) Files.createDirectories(local.getParent());
        Files.write(local, files.read(remote));
        return 1;
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    private static String baseName(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        return p.substring(p.lastIndexOf('/') + 1);
    }
}
