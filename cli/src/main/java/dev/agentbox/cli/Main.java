package dev.agentbox.cli;

import dev.agentbox.api.AgentboxException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code agentbox} command. */
@Command(name = "agentbox", mixinStandardHelpOptions = true, version = "agentbox 0.1.0",
        description = {
                "Run untrusted, AI-generated code in gVisor sandboxes (Kubernetes Agent Sandbox API).",
                "",
                "Start the daemon with `agentbox serve`, or try everything at once with `agentbox quickstart`.",
                "The server and token come from --server/--token, else AGENTBOX_URL/AGENTBOX_TOKEN, else the files",
                "`endpoint` and `admin.token` in $AGENTBOX_HOME (default ~/.agentbox). agentboxd serves HTTPS with a CA",
                "of its own: the commands trust $AGENTBOX_HOME/tls/ca.crt (or --ca-file / AGENTBOX_CA_FILE) and nothing else.",
                "For kubectl: `agentbox kubeconfig --write FILE`."},
        subcommands = {ServeCommand.class, QuickstartCommand.class, KubeconfigCommand.class, ApplyCommand.class, GetCommand.class, DeleteCommand.class,
                ClaimCommand.class, ExecCommand.class, RunCommand.class, LogsCommand.class, CpCommand.class, PortForwardCommand.class, ImageCommand.class, McpCommand.class, SnapshotCommands.Snap.class, SnapshotCommands.Suspend.class,
                SnapshotCommands.Resume.class, SnapshotCommands.Fork.class, CommandLine.HelpCommand.class},
        sortOptions = false)
public final class Main implements Runnable {
    @Mixin
    GlobalOptions global = new GlobalOptions();

    @Spec
    CommandSpec spec;

    InputStream stdin = System.in;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        // the daemon's INFO lines belong to `serve`; elsewhere (quickstart's embedded daemon) only warnings
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", java.util.Arrays.asList(args).contains("serve") ? "info" : "warn");
        }
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = execute(args, out, err, System.in);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * After the {@code fork} subcommand, {@code -n N} means the count (as the issue and kubectl-like tools
     * write it), not the global namespace option: rewritten to {@code --count N}. Only when {@code fork} is
     * the subcommand itself (the first word that is not a global option or its value), never inside the
     * arguments of another command such as {@code exec box -- echo fork -n 3}.
     */
    static String[] forkCount(String[] args) {
        java.util.Set<String> globalsWithValue = java.util.Set.of("--server", "--ca-file", "--token", "-n", "--namespace");
        int i = 0;
        while (i < args.length && args[i].startsWith("-")) i += globalsWithValue.contains(args[i]) ? 2 : 1;
        if (i >= args.length || !args[i].equals("fork")) return args;
        String[] out = args.clone();
        for (int j = i + 1; j < out.length; j++) {
            if (out[j].equals("--")) break;
            if (out[j].equals("-n")) out[j] = "--count";
            else if (out[j].startsWith("-n") && out[j].length() > 2 && Character.isDigit(out[j].charAt(2))) out[j] = "--count=" + out[j].substring(2);
        }
        return out;
    }

    /** Runs the command line with the given streams and returns the exit code (used by main and by tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, InputStream in) {
        args = forkCount(args);
        Main main = new Main();
        main.stdin = in;
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + message(e));
            commandLine.getErr().flush();
            return 1;
        });
        cl.setParameterExceptionHandler((e, args1) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("error: " + e.getMessage() + " (see `" + c.getCommandSpec().qualifiedName() + " --help`)");
            c.getErr().flush();
            return 1;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** One line that says what went wrong, without a stack trace. */
    static String message(Throwable e) {
        if (e instanceof AgentboxException) return e.getMessage();
        if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) return message(u.getCause());
        if (e instanceof java.nio.file.NoSuchFileException n) return "no such file: " + n.getFile();
        if (e instanceof java.nio.file.AccessDeniedException a) return "permission denied: " + a.getFile();
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.toString() : m;
    }
}
