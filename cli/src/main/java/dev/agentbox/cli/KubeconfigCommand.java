package dev.agentbox.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.client.AgentboxTls;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.server.AtomicFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(mixinStandardHelpOptions = true, name = "kubeconfig", sortOptions = false,
        description = {"Print (or write) a kubeconfig for kubectl and the Kubernetes client libraries.",
                "",
                "It holds:",
                "  * agentboxd's address (--server, else AGENTBOX_URL, else",
                "    $AGENTBOX_HOME/endpoint);",
                "  * its CA certificate as certificate-authority-data (--ca-file, else",
                "    AGENTBOX_CA_FILE, else $AGENTBOX_HOME/tls/ca.crt);",
                "  * a user with a bearer token (--token, else AGENTBOX_TOKEN, else the",
                "    admin token in $AGENTBOX_HOME/admin.token; a token made with",
                "    POST /api/v1/tokens limits kubectl to its namespaces);",
                "  * a context with the namespace (-n, else AGENTBOX_NAMESPACE, else",
                "    default), made the current context.",
                "kubectl sends a bearer token only over TLS, which agentboxd serves unless",
                "it was started with --insecure-http.",
                "",
                "The output holds the token: --write FILE writes it owner-only (0600),",
                "replacing FILE. To keep your other clusters, write a file of its own and",
                "list both: KUBECONFIG=~/.kube/config:FILE.",
                ""},
        footer = {"", "Examples:", "  agentbox kubeconfig --write ~/.kube/agentbox",
                "  kubectl --kubeconfig ~/.kube/agentbox get --raw /healthz",
                "  kubectl --kubeconfig ~/.kube/agentbox get --raw \\",
                "      /apis/extensions.agents.x-k8s.io/v1beta1/namespaces/default/sandboxtemplates",
                "  agentbox kubeconfig -n team-a --token \"$TEAM_A_TOKEN\" --context team-a \\",
                "      --write team-a.kubeconfig"})
final class KubeconfigCommand extends BaseCommand {
    static final String DEFAULT_CONTEXT = "agentbox";

    @Option(names = "--write", paramLabel = "FILE", description = "write the kubeconfig to FILE (mode 0600, replacing it) instead of printing it")
    Path write;

    @Option(names = "--context", paramLabel = "NAME", description = "name of the context, cluster and user (default: " + DEFAULT_CONTEXT + ")")
    String context = DEFAULT_CONTEXT;

    @Override
    int run() throws IOException {
        if (context == null || context.isBlank()) throw new InvalidException("--context", "must not be empty");
        SandboxClient.Builder b = clientBuilder();
        URI server = b.resolveEndpoint();
        String token = b.resolveToken();
        if (token == null || token.isBlank()) {
            throw new InvalidException("--token", "no token: give --token or AGENTBOX_TOKEN, or start agentboxd (`agentbox serve`) so that "
                    + "$AGENTBOX_HOME/admin.token exists");
        }
        String namespace = namespaceOption() != null ? namespaceOption()
                : System.getenv("AGENTBOX_NAMESPACE") != null && !System.getenv("AGENTBOX_NAMESPACE").isBlank() ? System.getenv("AGENTBOX_NAMESPACE").trim()
                : SandboxClient.DEFAULT_NAMESPACE;

        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("server", server.toString());
        if ("https".equals(server.getScheme())) {
            Path ca = b.resolveCaFile();
            if (ca == null) {
                throw new InvalidException("--ca-file", "no CA certificate for " + server + ": agentboxd writes it to STATE_DIR/" + AgentboxTls.CA_FILE
                        + " at its first start; start it (`agentbox serve`), set AGENTBOX_HOME to its state directory, or give --ca-file");
            }
            AgentboxTls.trusting(ca); // a readable PEM certificate, or a message that names the file
            cluster.put("certificate-authority-data", Base64.getEncoder().encodeToString(Files.readAllBytes(ca)));
        } else {
            err().println("warning: " + server + " is plain HTTP: kubectl sends no bearer token over it (agentboxd serves HTTPS unless started "
                    + "with --insecure-http)");
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("apiVersion", "v1");
        config.put("kind", "Config");
        config.put("clusters", List.of(named(context, "cluster", cluster)));
        config.put("users", List.of(named(context, "user", Map.of("token", token))));
        config.put("contexts", List.of(named(context, "context", orderedContext(context, namespace))));
        config.put("current-context", context);
        String yaml = toYaml(config);

        if (write == null) {
            out().print(yaml);
            return 0;
        }
        Path file = write.toAbsolutePath();
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        AtomicFiles.writePrivate(file, yaml);
        out().println("wrote " + file + " (context " + context + ", namespace " + namespace + ", server " + server + ")");
        out().println("try: kubectl --kubeconfig " + file + " get --raw /healthz");
        return 0;
    }

    /** {@code {name: NAME, KEY: VALUE}}, in that order, as kubectl writes its lists. */
    private static Map<String, Object> named(String name, String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put(key, value);
        return m;
    }

    private static Map<String, Object> orderedContext(String name, String namespace) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("cluster", name);
        c.put("user", name);
        c.put("namespace", namespace);
        return c;
    }

    private static String toYaml(Object value) {
        try {
            return Manifests.YAML.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the kubeconfig: " + e.getMessage(), e);
        }
    }
}
