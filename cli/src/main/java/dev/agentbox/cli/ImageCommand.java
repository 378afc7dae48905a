package dev.agentbox.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "image", description = "Manage the daemon's local images.",
        subcommands = {ImageCommand.Pull.class, ImageCommand.Import.class, ImageCommand.ListImages.class})
final class ImageCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(mixinStandardHelpOptions = true, name = "pull", description = {"Have agentboxd pull an image from its registry (Docker Hub when the reference names none).",
            "Credentials come from agentboxd's docker config; plain HTTP only for loopback registries and images.insecureRegistries. Needs the admin token."},
            footer = {"", "Examples:", "  agentbox image pull python:3.12-slim", "  agentbox image pull ghcr.io/org/img@sha256:<digest>",
                    "  agentbox image pull --policy IfNotPresent localhost:5000/tools:1"})
    static final class Pull extends BaseCommand {
        @Parameters(index = "0", paramLabel = "REFERENCE", description = "[registry[:port]/]name[:tag][@sha256:digest]; templates name the image the same way")
        String reference;

        @picocli.CommandLine.Option(names = "--policy", defaultValue = "Always", paramLabel = "POLICY",
                description = "Always (default: ask the registry, download only changed layers), IfNotPresent, or Never (only check agentboxd's store)")
        String policy;

        @Override
        int run() {
            var pulled = client().images().pull(reference, policy, line -> out().println(line));
            if (!pulled.pulled() && !policy.equals("Always")) out().println("image/" + reference + " is present (policy " + policy + ")");
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "import", description = {"Import a rootfs directory or an OCI / `docker save` tar as an image named NAME.",
            "PATH is read by agentboxd, on its host. Needs the admin token."},
            footer = {"", "Example:", "  agentbox image import py312 ./python-3.12.tar"})
    static final class Import extends BaseCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "the image's name, used as a template's container image")
        String name;

        @Parameters(index = "1", paramLabel = "PATH", description = "rootfs directory or image tar")
        Path path;

        @Override
        int run() {
            client().images().importImage(name, path.toAbsolutePath().normalize());
            out().println("image/" + name + " imported");
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "list", aliases = "ls", description = "List the images sandboxes can use.")
    static final class ListImages extends BaseCommand {
        @Override
        int run() {
            Table t = new Table(java.util.List.of("NAME"));
            client().images().list().forEach(n -> t.add(java.util.List.of(n)));
            t.print(out());
            return 0;
        }
    }
}
