package dev.agentbox.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's entry point (the container image's main class). Environment:
 * {@code WATCH_NAMESPACES} (comma-separated; empty: all), {@code POD_NAMESPACE} (leader-election Lease namespace;
 * set from the downward API), {@code LEADER_ELECTION} (default true), {@code HTTP_PORT} (default 8080: {@code /metrics},
 * {@code /healthz}, {@code /readyz}).
 */
public final class OperatorMain {
    private static final Logger log = LoggerFactory.getLogger(OperatorMain.class);

    private OperatorMain() {
    }

    public static void main(String[] args) throws IOException {
        String watch = System.getenv().getOrDefault("WATCH_NAMESPACES", "");
        Set<String> namespaces = Arrays.stream(watch.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        boolean leaderElection = !"false".equalsIgnoreCase(System.getenv().getOrDefault("LEADER_ELECTION", "true"));
        String podNamespace = System.getenv().getOrDefault("POD_NAMESPACE", "agentbox-system");
        int port = Integer.parseInt(System.getenv().getOrDefault("HTTP_PORT", "8080"));

        KubernetesClient client = new KubernetesClientBuilder().build();
        OperatorMetrics metrics = new OperatorMetrics();
        Operator operator = AgentboxOperator.create(client, namespaces, leaderElection ? podNamespace : null, metrics, Clock.systemUTC());
        HttpServer http = HttpServer.create(new InetSocketAddress(port), 0);
        http.createContext("/metrics", ex -> reply(ex, 200, metrics.render()));
        http.createContext("/healthz", ex -> reply(ex, 200, "ok\n"));
        http.createContext("/readyz", ex -> {
            // a standby replica (not the leader) is ready too: it only waits for the Lease
            boolean ok = operator.getRuntimeInfo().isStarted();
            reply(ex, ok ? 200 : 503, ok ? "ok\n" : "not ready\n");
        });
        http.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        http.start();
        operator.installShutdownHook(Duration.ofSeconds(10));
        operator.start();
        log.info("agentbox operator started (namespaces: {}, leader election: {}, http :{})",
                namespaces.isEmpty() ? "all" : namespaces, leaderElection ? "Lease " + podNamespace + "/" + AgentboxOperator.LEASE_NAME : "off", port);
    }

    private static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
