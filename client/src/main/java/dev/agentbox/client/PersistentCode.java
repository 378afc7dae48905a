package dev.agentbox.client;

import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import java.time.Duration;
import java.util.Map;

/**
 * For code-execution tools (ADK, LangChain4j, MCP): runs code in the sandbox's default code context of its language,
 * so an agent's variables persist between calls, and answers as a {@link CommandResult} (the value of the last
 * expression is appended to stdout, as a notebook shows it; an error's traceback to stderr, exit code 1). Where no
 * context can be made (no python3 in the image, an agentboxd or backend without contexts) it runs the one-shot
 * command instead, a fresh interpreter per call.
 */
public final class PersistentCode {
    private PersistentCode() {}

    /** The languages a context runs; others go to the one-shot command. */
    public static boolean hasContexts(String language) {
        return language.equals("python") || language.equals("bash");
    }

    public static CommandResult run(Sandbox sandbox, String language, String code, Duration timeout, CommandRequest oneShot) {
        if (!hasContexts(language)) return sandbox.commands().run(oneShot);
        CodeResult r;
        try {
            r = sandbox.code().runIn(language, code == null ? "" : code, timeout == null ? Code.DEFAULT_TIMEOUT : timeout);
        } catch (UnsupportedOperationException | InvalidException e) {
            return sandbox.commands().run(oneShot);
        } catch (NotFoundException e) {
            if (e.getMessage().contains("no such path")) return sandbox.commands().run(oneShot); // an agentboxd without contexts
            throw e;
        }
        return toCommandResult(r);
    }

    public static CommandResult toCommandResult(CodeResult r) {
        StringBuilder out = new StringBuilder(r.stdout());
        for (Map<String, String> result : r.results()) {
            if (!out.isEmpty() && out.charAt(out.length() - 1) != '\n') out.append('\n');
            if (result.containsKey("png")) out.append("[image/png, ").append(result.get("png").length() * 3 / 4).append(" bytes]\n");
            else if (result.containsKey("text")) out.append(result.get("text")).append('\n');
        }
        StringBuilder err = new StringBuilder(r.stderr());
        if (r.error() != null && r.error().name().equals("SystemExit")) { // sys.exit(n): as a python3 process would end
            String v = r.error().value();
            boolean number = v.matches("-?[0-9]{1,9}");
            if (!number && !v.isEmpty() && !v.equals("None")) err.append(v).append('\n');
            int exit = number ? Integer.parseInt(v) & 0xff : v.isEmpty() || v.equals("None") ? 0 : 1;
            return new CommandResult(out.toString(), err.toString(), exit, r.duration(), r.truncated(), false, r.timedOut());
        }
        if (r.error() != null) {
            if (!err.isEmpty() && err.charAt(err.length() - 1) != '\n') err.append('\n');
            err.append(r.error().traceback().isEmpty() ? r.error().name() + ": " + r.error().value() + "\n" : r.error().traceback());
            if (!r.error().traceback().isEmpty() && r.timedOut()) err.append(r.error().value()).append('\n');
        }
        int exit = r.exitCode() != null ? r.exitCode() : r.error() != null ? 1 : 0;
        if (r.timedOut() && exit == 0) exit = 124;
        return new CommandResult(out.toString(), err.toString(), exit, r.duration(), r.truncated(), false, r.timedOut());
    }
}
