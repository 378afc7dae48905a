package dev.agentbox.cli;

import picocli.CommandLine.Option;

/** Options every command accepts, before or after the subcommand's name. */
final class GlobalOptions {
    @Option(names = "--server", paramLabel = "URL", description = "agentboxd address, e.g. https://127.0.0.1:7878 (default: AGENTBOX_URL, else $AGENTBOX_HOME/endpoint)")
    String server;

    @Option(names = "--ca-file", paramLabel = "FILE", description = "CA certificate agentboxd's HTTPS certificate must chain to (default: AGENTBOX_CA_FILE, else $AGENTBOX_HOME/tls/ca.crt)")
    java.nio.file.Path caFile;

    @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token (default: AGENTBOX_TOKEN, else $AGENTBOX_HOME/admin.token)")
    String token;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "namespace (default: AGENTBOX_NAMESPACE, else default)")
    String namespace;
}
