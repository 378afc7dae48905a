package dev.agentbox.cli;

import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "serve", sortOptions = false,
        description = {"Run agentboxd, the local daemon, in the foreground.",
                "It listens on 127.0.0.1, keeps its state (SQLite, tokens, images) in the state directory, writes the admin",
                "token to STATE_DIR/admin.token (mode 0600) and its address to STATE_DIR/endpoint, where the other",
                "commands and the SDK find them.",
                "",
                "It serves HTTPS with a certificate authority of its own, created at first",
                "start in STATE_DIR/tls/ (ca.crt, ca.key; files 0600) and kept across",
                "restarts. The serving certificate (server.crt) names 127.0.0.1, ::1,",
                "localhost and --host; it is issued again at start when it expires within",
                "30 days or --host changes. The other commands and the SDK trust",
                "STATE_DIR/tls/ca.crt; for kubectl, see `agentbox kubeconfig`.",
                "--insecure-http (or tls.enabled: false in the config file) serves plain",
                "HTTP instead: tokens then cross the port in clear text and kubectl sends",
                "none, so a warning is logged.",
                "",
                "Sandboxes outlive agentboxd: when it stops (Ctrl-C, SIGTERM), crashes or is upgraded, every sandbox keeps",
                "running with its processes, memory and files, and the next agentboxd on the same state directory",
                "re-attaches to each of them (an exec that was running when agentboxd stopped fails for its caller).",
                "Use --stop-sandboxes-on-exit (or stopSandboxesOnExit: true in the config file) to stop them all instead.",
                "If you run agentboxd under systemd, use KillMode=process so that stopping the unit leaves them running."},
        footer = {"", "Examples:", "  agentbox serve", "  agentbox serve --port 9000 --state-dir /var/lib/agentbox",
                "  agentbox serve --config /etc/agentbox/config.yaml", "  agentbox serve --stop-sandboxes-on-exit",
                "  agentbox serve --insecure-http        # plain HTTP, e.g. behind a proxy that terminates TLS"})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTPS port (default: 7878; 0 picks a free one)")
    int port = AgentboxdConfig.DEFAULT_PORT;

    @Option(names = "--host", paramLabel = "ADDR", description = "address to bind (default: 127.0.0.1)")
    String host = "127.0.0.1";

    @Option(names = "--state-dir", paramLabel = "DIR", description = "state directory (default: $AGENTBOX_HOME, else ~/.agentbox)")
    Path stateDir;

    @Option(names = "--config", paramLabel = "FILE", description = {"agentboxd's configuration file (quotas, ...; see docs/configuration.md)",
            "(default: STATE_DIR/config.yaml when it exists, else built-in defaults)"})
    Path configFile;

    @Option(names = "--stop-sandboxes-on-exit", description = {"stop every sandbox when agentboxd stops (default: they keep running and",
            "the next agentboxd re-attaches to them)"})
    boolean stopSandboxesOnExit;

    @Option(names = "--insecure-http", description = {"serve plain HTTP instead of HTTPS (tokens in clear text; a warning is",
            "logged; default: HTTPS, or the config file's tls.enabled)"})
    boolean insecureHttp;

    @Option(names = "--router-listen", paramLabel = "ADDR:PORT", description = {"also listen here for upstream agent-sandbox's sandbox-router protocol",
            "(X-Sandbox-ID / X-Sandbox-Namespace / X-Sandbox-Port headers), e.g. 127.0.0.1:8080; loopback only; off by default.",
            "It reaches the servers inside sandboxes: see docs/security.md"})
    String routerListen;

    @Option(names = "--router-no-auth", description = {"RISK: the router listener asks for no bearer token (as upstream's router): every local",
            "process and any web page that reaches the port reaches every sandbox's servers"})
    boolean routerNoAuth;

    @Override
    public Integer call() throws InterruptedException {
        AgentboxdConfig config = new AgentboxdConfig(stateDir != null ? stateDir : AgentboxdConfig.defaultStateDir(), host, port, configFile,
                stopSandboxesOnExit ? Boolean.TRUE : null, insecureHttp ? Boolean.FALSE : null);
        if (routerNoAuth && routerListen == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--router-no-auth needs --router-listen ADDR:PORT");
        }
        if (routerListen != null) {
            try {
                config = config.withRouter(AgentboxdConfig.RouterListener.parse(routerListen, !routerNoAuth));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--router-listen: " + e.getMessage());
            }
        }
        Agentboxd daemon = Agentboxd.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "agentboxd-shutdown"));
        var out = spec.commandLine().getOut();
        out.println("agentboxd listening on " + daemon.endpoint());
        out.println("state directory: " + config.stateDir() + " (admin token in " + config.stateDir().resolve("admin.token") + ")");
        if (daemon.caFile() != null) out.println("CA certificate: " + daemon.caFile() + " (for kubectl: agentbox kubeconfig --write FILE)");
        else out.println("WARNING: plain HTTP: tokens cross the port in clear text");
        if (daemon.routerEndpoint() != null) {
            out.println("router listener on " + daemon.routerEndpoint() + (routerNoAuth ? " WITHOUT authentication (--router-no-auth)" : " (bearer token required)"));
        }
        out.println("try: agentbox get sandboxtemplates");
        out.flush();
        daemon.awaitTermination();
        return 0;
    }
}
