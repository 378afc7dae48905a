package dev.agentbox.cli;

import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.Sandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "exec", sortOptions = false,
        description = {"Run a command in a sandbox, streaming its output live.",
                "Exits with the command's exit code (124 when it was killed at its timeout).",
                "Put -- before the command so that its options are not taken as agentbox's."},
        footer = {"", "Examples:", "  agentbox exec python-pool-4hq8d -- python3 -c 'print(6*7)'",
                "  agentbox exec --claim my-claim -w /tmp -e DEBUG=1 -- sh -c 'ls -l | wc -l'",
                "  echo 'print(1)' | agentbox exec -i my-sandbox -- python3 -"})
final class ExecCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "SANDBOX", description = "the sandbox's name (or the claim's name with --claim)")
    String target;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "the command and its arguments")
    List<String> command;

    @Option(names = "--claim", description = "SANDBOX names a SandboxClaim; run in the sandbox bound to it")
    boolean claim;

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "working directory inside the sandbox")
    String workdir;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "environment variable (repeatable)")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class, description = "kill the command after this long (default: the daemon's, 5m)")
    Duration timeout;

    @Option(names = {"-i", "--stdin"}, description = "send this command's stdin to the command")
    boolean stdin;

    @Override
    int run() throws IOException {
        Sandbox sandbox = claim ? client().attachClaim(target) : client().attach(target);
        CommandRequest request = CommandRequest.of(command).withEnv(env);
        if (workdir != null) request = request.withWorkingDir(workdir);
        if (timeout != null) request = request.withTimeout(timeout);
        if (stdin) request = request.withStdin(new String(root().stdin.readAllBytes(), StandardCharsets.UTF_8));
        CommandResult r = sandbox.commands().run(request, s -> {
            out().print(s);
            out().flush();
        }, s -> {
            err().print(s);
            err().flush();
        });
        if (r.stdoutTruncated() || r.stderrTruncated()) err().println("warning: output was truncated (see the marker line)");
        if (r.timedOut()) {
            err().println("error: the command was killed at its timeout" + (timeout == null ? "" : " (" + timeout.toSeconds() + "s)"));
            return 124;
        }
        return r.exitCode() < 0 ? 255 : r.exitCode();
    }
}
