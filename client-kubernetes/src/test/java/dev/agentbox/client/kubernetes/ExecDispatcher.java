package dev.agentbox.client.kubernetes;

import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CRUD mock API server plus a {@code pods/exec} endpoint that speaks the real channel protocol
 * (v4.channel.k8s.io: channel 1 stdout, 2 stderr, 3 the exit status as a metav1.Status) over a WebSocket. Behind it,
 * a local {@code /bin/sh} stands in for the Pod's container: each Pod gets its own working directory, so relative
 * paths are per sandbox. This is the stand-in for a container runtime, not gVisor; isolation is not tested here.
 */
final class ExecDispatcher extends KubernetesMixedDispatcher {
    private static final Pattern EXEC = Pattern.compile("^/api/v1/namespaces/([^/]+)/pods/([^/]+)/exec\\?(.*)$");
    private static final Pattern LOG = Pattern.compile("^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log(?:\\?(.*))?$");
    private final Path root;
    private final Map<String, Path> podDirs = new ConcurrentHashMap<>();
    final List<List<String>> commands = java.util.Collections.synchronizedList(new ArrayList<>());
    /** The query strings of the pods/log requests. */
    final List<String> logQueries = java.util.Collections.synchronizedList(new ArrayList<>());

    ExecDispatcher(Path root) {
        super(new HashMap<>());
        this.root = root;
    }

    /** The directory standing in for a Pod's filesystem. */
    Path podDir(String ns, String pod) {
        return podDirs.computeIfAbsent(ns + "/" + pod, k -> {
            try {
                return Files.createDirectories(root.resolve(ns).resolve(pod));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The file standing in for a Pod's log (its container's stdout and stderr), served by pods/log. */
    Path podLog(String ns, String pod) {
        return podDir(ns, pod).resolveSibling(pod + ".log");
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        Matcher log = LOG.matcher(request.getPath());
        if (log.matches() && "GET".equals(request.getMethod())) return log(log.group(1), log.group(2), log.group(3) == null ? "" : log.group(3));
        Matcher m = EXEC.matcher(request.getPath());
        if (!m.matches()) return super.dispatch(request);
        List<String> argv = new ArrayList<>();
        for (String kv : m.group(3).split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals("command")) argv.add(URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        commands.add(List.copyOf(argv));
        Path dir = podDir(m.group(1), m.group(2));
        return new MockResponse().setResponseCode(101).setHeader("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
                .withWebSocketUpgrade(new WebSocketListener() {
                    @Override
                    public void onOpen(WebSocket ws, io.fabric8.mockwebserver.http.Response response) {
                        Thread.ofVirtual().start(() -> run(ws, argv, dir));
                    }
                });
    }

    /** pods/log with tailLines; a follow ends with the file (the stand-in container writes no more). */
    private MockResponse log(String ns, String pod, String query) {
        logQueries.add(query);
        String text;
        try {
            Path file = podLog(ns, pod);
            text = Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String kv : query.split("&")) {
            if (!kv.startsWith("tailLines=")) continue;
            List<String> lines = text.lines().toList();
            int n = Integer.parseInt(kv.substring("tailLines=".length()));
            text = lines.subList(Math.max(0, lines.size() - n), lines.size()).stream().map(l -> l + "\n").reduce("", String::concat);
        }
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody(text);
    }

    private static void run(WebSocket ws, List<String> argv, Path dir) {
        try {
            Process p = new ProcessBuilder(argv).directory(dir.toFile()).start();
            p.getOutputStream().close();
            Thread err = Thread.ofVirtual().start(() -> pump(p.getErrorStream(), ws, (byte) 2));
            pump(p.getInputStream(), ws, (byte) 1);
            err.join();
            int code = p.waitFor();
            String status = code == 0 ? "{\"metadata\":{},\"status\":\"Success\"}"
                    : "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: " + code
                    + "\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"" + code + "\"}]}}";
            send(ws, (byte) 3, status.getBytes(StandardCharsets.UTF_8), status.length());
        } catch (Exception e) {
            String status = "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"" + e.getMessage().replace("\"", "'") + "\",\"reason\":\"InternalError\"}";
            send(ws, (byte) 3, status.getBytes(StandardCharsets.UTF_8), status.length());
        } finally {
            ws.close(1000, "done");
        }
    }

    private static void pump(InputStream in, WebSocket ws, byte channel) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) send(ws, channel, buf, n);
        } catch (IOException e) {
            // process ended
        }
    }

    private static synchronized void send(WebSocket ws, byte channel, byte[] data, int len) {
        byte[] frame = new byte[len + 1];
        frame[0] = channel;
        System.arraycopy(data, 0, frame, 1, len);
        ws.send(frame);
    }
}
