package dev.agentbox.client;

import java.util.List;
import java.util.function.Consumer;

/** Runs commands in one sandbox. */
public interface Commands {

    /** Runs a shell command line ({@code /bin/sh -c}) and waits for it. */
    default CommandResult run(String shellCommand) {
        return run(CommandRequest.shell(shellCommand));
    }

    /** Runs an argv command and waits for it. */
    default CommandResult run(List<String> argv) {
        return run(CommandRequest.of(argv));
    }

    /** Runs the command and waits for it; the whole output comes back in the result. */
    CommandResult run(CommandRequest request);

    /**
     * Runs the command and hands its output to the callbacks as it arrives (chunks of UTF-8 text, in
     * order per stream). The returned result also holds the whole output.
     */
    CommandResult run(CommandRequest request, Consumer<String> onStdout, Consumer<String> onStderr);
}
