package dev.agentbox.cli;

import dev.agentbox.client.SandboxClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand: global options (merged with the root's), output streams, and a client built on demand. */
abstract class BaseCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions local = new GlobalOptions();

    @Spec
    CommandSpec spec;

    private SandboxClient client;

    Main root() {
        return (Main) spec.root().userObject();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    String server() {
        return local.server != null ? local.server : root().global.server;
    }

    String token() {
        return local.token != null ? local.token : root().global.token;
    }

    java.nio.file.Path caFile() {
        return local.caFile != null ? local.caFile : root().global.caFile;
    }

    /** A client builder with the command line's server, CA file, token and namespace (the rest from the environment). */
    SandboxClient.Builder clientBuilder() {
        SandboxClient.Builder b = SandboxClient.builder();
        if (server() != null) b.endpoint(server());
        if (caFile() != null) b.caFile(caFile());
        if (token() != null) b.token(token());
        if (namespaceOption() != null) b.namespace(namespaceOption());
        return b;
    }

    /** The namespace given on the command line, or null. */
    String namespaceOption() {
        return local.namespace != null ? local.namespace : root().global.namespace;
    }

    SandboxClient client() {
        if (client == null) client = clientBuilder().build();
        return client;
    }

    @Override
    public final Integer call() throws Exception {
        try {
            return run();
        } finally {
            if (client != null) client.close();
            out().flush();
            err().flush();
        }
    }

    abstract int run() throws Exception;
}
