package dev.agentbox.server.sandbox;

import dev.agentbox.api.FieldError;
import dev.agentbox.runtime.ExecRequest;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.runtime.RuntimeFailure;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A container's probes as the kubelet runs them: exec, httpGet and tcpSocket, with initialDelaySeconds,
 * periodSeconds, timeoutSeconds, successThreshold and failureThreshold (Kubernetes' defaults: 0, 10, 1, 1, 3).
 * httpGet and tcpSocket connect inside the sandbox's own network stack (127.0.0.1:port), over the agent's
 * channel: the sandbox has no network to the outside, and needs none for its probes.
 */
public final class Probes {
    private Probes() {}

    public enum Type { EXEC, HTTP, TCP }

    /** One probe, resolved against the container (named ports). */
    public record Spec(Type type, List<String> command, String path, int port, List<HTTPHeader> headers, Duration initialDelay,
                       Duration period, Duration timeout, int successThreshold, int failureThreshold) {}

    /** The container's probes (null where it has none). */
    public record Set(Spec startup, Spec liveness, Spec readiness) {
        public boolean any() {
            return startup != null || liveness != null || readiness != null;
        }
    }

    public static Set of(Container c) {
        return new Set(spec(c, c.getStartupProbe()), spec(c, c.getLivenessProbe()), spec(c, c.getReadinessProbe()));
    }

    /** What cannot be honoured, with the field named (used by PodSpecCheck). */
    static void check(Container c, String path, List<FieldError> errors) {
        check(c, c.getStartupProbe(), path + ".startupProbe", errors, true);
        check(c, c.getLivenessProbe(), path + ".livenessProbe", errors, true);
        check(c, c.getReadinessProbe(), path + ".readinessProbe", errors, false);
    }

    private static void check(Container c, Probe p, String path, List<FieldError> errors, boolean successMustBeOne) {
        if (p == null) return;
        int handlers = (p.getExec() != null ? 1 : 0) + (p.getHttpGet() != null ? 1 : 0) + (p.getTcpSocket() != null ? 1 : 0) + (p.getGrpc() != null ? 1 : 0);
        if (handlers != 1) errors.add(new FieldError(path, "must have exactly one of exec, httpGet, tcpSocket"));
        if (p.getGrpc() != null) errors.add(new FieldError(path + ".grpc", "grpc probes are not supported by agentboxd; use exec, httpGet or tcpSocket"));
        if (p.getExec() != null && (p.getExec().getCommand() == null || p.getExec().getCommand().isEmpty())) {
            errors.add(new FieldError(path + ".exec.command", "required"));
        }
        if (p.getHttpGet() != null) {
            if (p.getHttpGet().getScheme() != null && !"HTTP".equals(p.getHttpGet().getScheme())) {
                errors.add(new FieldError(path + ".httpGet.scheme", "only HTTP is supported by agentboxd (the probe runs inside the sandbox's loopback)"));
            }
            if (p.getHttpGet().getHost() != null && !p.getHttpGet().getHost().isBlank() && !isLoopback(p.getHttpGet().getHost())) {
                errors.add(new FieldError(path + ".httpGet.host", "agentboxd probes the sandbox's own loopback; leave host unset"));
            }
            portError(c, p.getHttpGet().getPort(), path + ".httpGet.port", errors);
        }
        if (p.getTcpSocket() != null) portError(c, p.getTcpSocket().getPort(), path + ".tcpSocket.port", errors);
        for (var f : Map.of("initialDelaySeconds", nz(p.getInitialDelaySeconds(), 0), "periodSeconds", nz(p.getPeriodSeconds(), 10),
                "timeoutSeconds", nz(p.getTimeoutSeconds(), 1), "successThreshold", nz(p.getSuccessThreshold(), 1),
                "failureThreshold", nz(p.getFailureThreshold(), 3)).entrySet()) {
            int min = f.getKey().equals("initialDelaySeconds") ? 0 : 1;
            if (f.getValue() < min) errors.add(new FieldError(path + "." + f.getKey(), "must be at least " + min + ", got " + f.getValue()));
        }
        if (successMustBeOne && nz(p.getSuccessThreshold(), 1) != 1) {
            errors.add(new FieldError(path + ".successThreshold", "must be 1 for liveness and startup probes (as Kubernetes requires)"));
        }
    }

    private static boolean isLoopback(String host) {
        return List.of("127.0.0.1", "localhost", "::1").contains(host);
    }

    private static void portError(Container c, IntOrString port, String path, List<FieldError> errors) {
        if (port == null) {
            errors.add(new FieldError(path, "required"));
        } else if (resolvePort(c, port) < 1) {
            errors.add(new FieldError(path, port.getStrVal() != null ? "no container port named " + port.getStrVal() : "must be 1..65535"));
        }
    }

    private static int resolvePort(Container c, IntOrString port) {
        if (port.getIntVal() != null) return port.getIntVal() >= 1 && port.getIntVal() <= 65535 ? port.getIntVal() : -1;
        if (port.getStrVal() != null && port.getStrVal().matches("\\d+")) return resolvePort(c, new IntOrString(Integer.parseInt(port.getStrVal())));
        for (var cp : c.getPorts() == null ? List.<io.fabric8.kubernetes.api.model.ContainerPort>of() : c.getPorts()) {
            if (port.getStrVal().equals(cp.getName()) && cp.getContainerPort() != null) return cp.getContainerPort();
        }
        return -1;
    }

    private static int nz(Integer v, int dflt) {
        return v == null ? dflt : v;
    }

    private static Spec spec(Container c, Probe p) {
        if (p == null) return null;
        Duration initial = Duration.ofSeconds(nz(p.getInitialDelaySeconds(), 0));
        Duration period = Duration.ofSeconds(nz(p.getPeriodSeconds(), 10));
        Duration timeout = Duration.ofSeconds(nz(p.getTimeoutSeconds(), 1));
        int success = nz(p.getSuccessThreshold(), 1), failure = nz(p.getFailureThreshold(), 3);
        if (p.getExec() != null) return new Spec(Type.EXEC, List.copyOf(p.getExec().getCommand()), null, 0, List.of(), initial, period, timeout, success, failure);
        if (p.getHttpGet() != null) {
            String path = p.getHttpGet().getPath() == null || p.getHttpGet().getPath().isBlank() ? "/" : p.getHttpGet().getPath();
            List<HTTPHeader> headers = p.getHttpGet().getHttpHeaders() == null ? List.of() : List.copyOf(p.getHttpGet().getHttpHeaders());
            return new Spec(Type.HTTP, List.of(), path, resolvePort(c, p.getHttpGet().getPort()), headers, initial, period, timeout, success, failure);
        }
        return new Spec(Type.TCP, List.of(), null, resolvePort(c, p.getTcpSocket().getPort()), List.of(), initial, period, timeout, success, failure);
    }

    /** Runs a probe once; true when it passes within its timeout. */
    public static boolean run(RunningSandbox sandbox, Spec s) {
        try {
            return switch (s.type()) {
                case EXEC -> sandbox.exec(new ExecRequest(s.command(), null, null, null, s.timeout(), 4096)).exitCode() == 0;
                case TCP -> {
                    sandbox.connect(s.port(), s.timeout()).close();
                    yield true;
                }
                case HTTP -> http(sandbox, s);
            };
        } catch (RuntimeFailure | IOException e) {
            return false;
        }
    }

    /** An HTTP/1.1 GET as the kubelet sends it; 200-399 passes (the kubelet does not follow redirects off-host). */
    private static boolean http(RunningSandbox sandbox, Spec s) throws RuntimeFailure, IOException {
        try (RunningSandbox.SandboxSocket socket = sandbox.connect(s.port(), s.timeout())) {
            // the timeout covers the answer too: closing the connection ends a read that waits for a silent server
            Thread timer = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(s.timeout());
                    socket.close();
                } catch (InterruptedException e) {
                    // answered in time
                }
            });
            try {
                return answer(socket, s);
            } finally {
                timer.interrupt();
            }
        }
    }

    private static boolean answer(RunningSandbox.SandboxSocket socket, Spec s) throws IOException {
        try {
            StringBuilder req = new StringBuilder("GET ").append(s.path()).append(" HTTP/1.1\r\n");
            boolean host = false;
            for (HTTPHeader h : s.headers()) {
                req.append(h.getName()).append(": ").append(h.getValue()).append("\r\n");
                if (h.getName().equalsIgnoreCase("Host")) host = true;
            }
            if (!host) req.append("Host: localhost:").append(s.port()).append("\r\n");
            req.append("User-Agent: kube-probe/agentbox\r\nAccept: */*\r\nConnection: close\r\n\r\n");
            socket.output().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            socket.output().flush();
            String status = statusLine(socket.input(), System.nanoTime() + s.timeout().toNanos());
            String[] parts = status.split(" ");
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) return false;
            int code = Integer.parseInt(parts[1]);
            return code >= 200 && code < 400;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String statusLine(InputStream in, long deadline) throws IOException {
        List<Byte> line = new ArrayList<>();
        while (line.size() < 1024 && System.nanoTime() < deadline) {
            int b = in.read();
            if (b < 0 || b == '\n') break;
            if (b != '\r') line.add((byte) b);
        }
        byte[] bytes = new byte[line.size()];
        for (int i = 0; i < bytes.length; i++) bytes[i] = line.get(i);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
