package dev.agentbox.cli;

import dev.agentbox.api.snapshot.v1.PodSnapshot;
import dev.agentbox.client.Sandbox;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agentbox snapshot|suspend|resume|fork SANDBOX}: pod snapshots of a sandbox (list them with {@code agentbox get podsnapshots}). */
final class SnapshotCommands {
    private SnapshotCommands() {}

    @Command(mixinStandardHelpOptions = true, name = "snapshot",
            description = {"Checkpoint a running sandbox into a PodSnapshot (needs a PodSnapshotPolicy selecting it).",
                    "Prints the snapshot's name. List snapshots with `agentbox get podsnapshots`."},
            footer = {"", "Example:", "  agentbox snapshot counter"})
    static final class Snap extends BaseCommand {
        @Parameters(index = "0", paramLabel = "SANDBOX") String target;

        @Override
        int run() {
            PodSnapshot ps = client().attach(target).snapshots().create();
            out().println("podsnapshot/" + ps.getMetadata().getName() + " created (" + ps.getStatus().getSizeBytes() + " bytes)");
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "suspend",
            description = "Snapshot a sandbox and stop it (operatingMode Suspended): no process, no memory until resumed.")
    static final class Suspend extends BaseCommand {
        @Parameters(index = "0", paramLabel = "SANDBOX") String target;

        @Override
        int run() {
            client().attach(target).suspend();
            out().println("sandbox/" + target + " suspended");
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "resume",
            description = "Restore a suspended sandbox with its processes, memory and files (operatingMode Running).")
    static final class Resume extends BaseCommand {
        @Parameters(index = "0", paramLabel = "SANDBOX") String target;

        @Override
        int run() {
            client().attach(target).resume();
            out().println("sandbox/" + target + " resumed");
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "fork",
            description = "Snapshot a sandbox and start N new sandboxes from that snapshot; prints their names.",
            footer = {"", "Example:", "  agentbox fork counter -n 3"})
    static final class Fork extends BaseCommand {
        @Parameters(index = "0", paramLabel = "SANDBOX") String target;

        // `-n` is the global namespace option of every command; `fork SANDBOX -n N` is rewritten to --count by Main.forkCount
        @Option(names = {"--count"}, paramLabel = "N", defaultValue = "1", description = "how many sandboxes (default 1); `-n N` also works here (use --namespace for the namespace)")
        int count;

        @Override
        int run() {
            List<Sandbox> forks = client().attach(target).fork(count);
            for (Sandbox s : forks) out().println("sandbox/" + s.name() + " forked from " + target);
            return 0;
        }
    }
}
