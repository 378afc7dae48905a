package dev.agentbox.cli;

import dev.agentbox.client.Sandbox;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "logs", sortOptions = false,
        description = {"Print the log of a sandbox's main process (the pod's container command), or with -c of one of its init containers.",
                "The log holds the main process's stdout and stderr, interleaved as written. agentboxd's sandbox shim",
                "writes it on the host, also while agentboxd is down, capped at logs.maxBytes of the daemon's config",
                "(default 10Mi) and rotated once: the newest output, at most twice logs.maxBytes, is kept. It is kept",
                "while the Sandbox exists and deleted with it. Output of `agentbox exec` commands is not in it."},
        footer = {"", "Examples:", "  agentbox logs my-sandbox", "  agentbox logs my-sandbox --tail 20 -n team-a",
                "  agentbox logs -f my-sandbox          # until the sandbox stops or is deleted, or Ctrl-C",
                "  agentbox logs my-sandbox -c prepare  # the output of init container prepare (its last run)"})
final class LogsCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "SANDBOX", description = "the sandbox's name (or the claim's name with --claim)")
    String target;

    @Option(names = {"-f", "--follow"}, description = "go on printing output as it is written, until the sandbox stops or is deleted")
    boolean follow;

    @Option(names = "--tail", paramLabel = "N", description = "only the last N lines (default, or -1: all)")
    Integer tail;

    @Option(names = {"-c", "--container"}, paramLabel = "NAME", description = "an init container's name (or the main container's): print its output")
    String container;

    @Option(names = "--claim", description = "SANDBOX names a SandboxClaim; print the log of the sandbox bound to it")
    boolean claim;

    @Override
    int run() throws Exception {
        if (tail != null && tail == -1) tail = null; // as kubectl logs --tail=-1
        if (tail != null && tail < 0) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--tail must be 0 or more (or -1: all), got " + tail);
        Sandbox sandbox = claim ? client().attachClaim(target) : client().attach(target);
        if (!follow) {
            out().print(sandbox.logs(container, tail));
            return 0;
        }
        try (InputStream in = sandbox.followLogs(container, tail); Reader text = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            char[] buf = new char[8192];
            for (int n; (n = text.read(buf)) > 0; ) {
                out().write(buf, 0, n);
                out().flush(); // as it comes: a line may take minutes to follow
            }
        }
        return 0;
    }
}
