package dev.agentbox.cli;

import dev.agentbox.client.Code;
import dev.agentbox.client.CodeContext;
import dev.agentbox.client.CodeResult;
import dev.agentbox.client.Sandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "run", sortOptions = false,
        description = {"Run a code snippet in a persistent interpreter (a code context) of a sandbox.",
                "Without --context a new context is made (--language python by default) and its id is printed on stderr;",
                "pass that id with --context to later runs so that they share its variables (x = 41, then x + 1 prints 42).",
                "Output streams live; the value of the last expression is printed after it; a figure (matplotlib) is saved",
                "as a PNG file with --save-images. Exits 1 when the snippet raised an error (or, in bash, its exit status),",
                "124 when it ran past --timeout and was interrupted. Contexts end with their sandbox and with agentboxd.",
                "Without CODE (or with -) the snippet is read from stdin."},
        footer = {"", "Examples:", "  agentbox run my-sandbox -- 'x = 41'",
                "  agentbox run my-sandbox --context ctx-1a2b3c4d5e6f7a8b -- 'x + 1'",
                "  agentbox run my-sandbox --language bash -- 'cd /tmp && ls'",
                "  agentbox run my-sandbox --list",
                "  agentbox run my-sandbox --context ctx-1a2b3c4d5e6f7a8b --delete"})
final class RunCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "SANDBOX", description = "the sandbox's name (or the claim's name with --claim)")
    String target;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "CODE", description = "the snippet (joined with spaces); - or none: read stdin")
    List<String> code;

    @Option(names = "--claim", description = "SANDBOX names a SandboxClaim; run in the sandbox bound to it")
    boolean claim;

    @Option(names = {"-c", "--context"}, paramLabel = "ID", description = "run in this existing context (see --list)")
    String context;

    @Option(names = {"-l", "--language"}, paramLabel = "LANG", description = "language of a new context: python (default) or bash")
    String language = "python";

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class, description = "interrupt the snippet after this long (default 60s)")
    Duration timeout = Code.DEFAULT_TIMEOUT;

    @Option(names = "--save-images", paramLabel = "PREFIX", description = "write PNG results to PREFIX-1.png, PREFIX-2.png, ...")
    String saveImages;

    @Option(names = "--list", description = "list the sandbox's contexts and exit")
    boolean list;

    @Option(names = "--delete", description = "delete the context given with --context and exit")
    boolean delete;

    @Override
    int run() throws IOException {
        Sandbox sandbox = claim ? client().attachClaim(target) : client().attach(target);
        Code contexts = sandbox.code();
        if (list) {
            for (CodeContext c : contexts.listContexts()) out().println(c.id() + "\t" + c.language());
            return 0;
        }
        if (delete) {
            if (context == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--delete needs --context ID");
            contexts.deleteContext(new CodeContext(context, ""));
            return 0;
        }
        String snippet = code == null || code.isEmpty() || code.equals(List.of("-"))
                ? new String(root().stdin.readAllBytes(), StandardCharsets.UTF_8) : String.join(" ", code);
        CodeContext c;
        if (context != null) c = new CodeContext(context, "");
        else {
            c = contexts.createContext(language);
            err().println("context " + c.id() + " (" + c.language() + "); reuse it with --context " + c.id());
        }
        CodeResult r = contexts.run(c, snippet, timeout, s -> {
            out().print(s);
            out().flush();
        }, s -> {
            err().print(s);
            err().flush();
        });
        int image = 0;
        for (Map<String, String> result : r.results()) {
            if (result.containsKey("png")) {
                image++;
                if (saveImages != null) {
                    java.nio.file.Path file = java.nio.file.Path.of(saveImages + "-" + image + ".png");
                    java.nio.file.Files.write(file, java.util.Base64.getDecoder().decode(result.get("png")));
                    err().println("image " + image + " written to " + file);
                } else {
                    out().println("[image/png result " + image + "; save it with --save-images PREFIX]");
                }
            } else if (result.containsKey("text")) {
                out().println(result.get("text"));
            }
        }
        if (r.truncated()) err().println("warning: output or results past the limits were dropped");
        if (r.error() != null) {
            err().print(r.error().traceback().isEmpty() ? r.error().name() + ": " + r.error().value() + "\n" : r.error().traceback());
        }
        if (r.timedOut()) return 124;
        if (r.exitCode() != null) return r.exitCode();
        return r.error() != null ? 1 : 0;
    }
}
