package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TCP connections into a sandbox over the agent's channel (port-forward, proxy, probes), on real gVisor. */
class StreamTest {
    @TempDir
    static Path dir;

    static GvisorRuntime runtime;
    static RunningSandbox sb;

    /** An HTTP server on 8000 and a TCP echo server on 9000, as the sandbox's main process. */
    static final String SERVERS = """
            import http.server, socketserver, threading
            class Echo(socketserver.StreamRequestHandler):
                def handle(self):
                    while True:
                        b = self.request.recv(65536)
                        if not b: break
                        self.request.sendall(b)
            class T(socketserver.ThreadingTCPServer):
                allow_reuse_address = True
            threading.Thread(target=T(('127.0.0.1', 9000), Echo).serve_forever, daemon=True).start()
            http.server.ThreadingHTTPServer(('0.0.0.0', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()
            """;

    @BeforeAll
    static void start() throws Exception {
        runtime = new GvisorRuntime(dir.resolve("runtime"));
        sb = runtime.start(new SandboxConfig("st-" + ProcessHandle.current().pid(), ImageStore.BUILTIN, List.of("python3", "-c", SERVERS),
                Map.of(), "/tmp", 256L << 20, 0, 64, 1000, 1000, false, List.of(), List.of(), null, 64L << 20, SandboxConfig.DEFAULT_CAPABILITIES, List.of()));
        sb.exec(ExecRequest.shell("echo served-from-the-sandbox > /tmp/hello.txt"));
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
            sb.connect(8000, Duration.ofSeconds(2)).close();
            return true;
        });
    }

    @AfterAll
    static void stop() {
        runtime.stopAll();
        runtime.close();
    }

    @Test
    void anHttpRequestReachesAServerListeningInsideTheSandbox() throws Exception {
        try (RunningSandbox.SandboxSocket s = sb.connect(8000, Duration.ofSeconds(5))) {
            s.output().write("GET /hello.txt HTTP/1.0\r\nHost: sandbox\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.output().flush();
            String answer = new String(s.input().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.0 200").contains("served-from-the-sandbox");
        }
    }

    @Test
    void aPortNobodyListensOnIsRefused() {
        assertThatThrownBy(() -> sb.connect(8999, Duration.ofSeconds(5))).isInstanceOf(RuntimeFailure.class)
                .extracting(e -> ((RuntimeFailure) e).kind()).isEqualTo(RuntimeFailure.Kind.NOT_FOUND);
    }

    @Test
    void megabytesGoBothWaysIntactThroughTheWindow() throws Exception {
        byte[] data = new byte[6 << 20];
        new Random(42).nextBytes(data);
        try (RunningSandbox.SandboxSocket s = sb.connect(9000, Duration.ofSeconds(5))) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int off = 0; off < data.length; off += 100_000) s.output().write(data, off, Math.min(100_000, data.length - off));
                    s.shutdownOutput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            InputStream in = s.input();
            byte[] buf = new byte[65536];
            for (int n; back.size() < data.length && (n = in.read(buf)) > 0; ) back.write(buf, 0, n);
            writer.join();
            assertThat(sha(back.toByteArray())).isEqualTo(sha(data));
        }
    }

    @Test
    void aConnectionNobodyReadsPausesOnlyItselfAndClosingEndsIt() throws Exception {
        RunningSandbox.SandboxSocket stalled = sb.connect(9000, Duration.ofSeconds(5));
        // 4 MB echoed back into a connection nobody reads: the agent stops at the window, nothing else waits
        Thread.ofVirtual().start(() -> {
            try {
                stalled.output().write(new byte[4 << 20]);
            } catch (Exception expected) {
                // closed below
            }
        });
        Thread.sleep(500);
        ExecResult r = sb.exec(ExecRequest.shell("echo still-serving"));
        assertThat(new String(r.stdout(), StandardCharsets.UTF_8)).isEqualTo("still-serving\n");
        assertThat(r.duration()).isLessThan(Duration.ofSeconds(1));
        stalled.close();
        assertThat(stalled.input().read()).isEqualTo(-1);
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
