package dev.agentbox.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.agentbox.runtime.internal.AgentChannel;
import dev.agentbox.runtime.internal.GvisorSandbox;
import dev.agentbox.runtime.internal.Wire;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * agentboxd's parser of the bytes that come from a sandbox (through its shim), fed hostile bytes directly:
 * the peer here plays a shim whose sandbox writes whatever it likes. Each must break only that channel,
 * with a reason, and never make agentboxd allocate what a header announces.
 */
class HostileFramesTest {
    @TempDir
    Path dir;

    ServerSocketChannel server;
    CompletableFuture<SocketChannel> peer = new CompletableFuture<>();

    @BeforeEach
    void listen() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("shim.sock")));
        Thread.ofVirtual().start(() -> {
            try {
                SocketChannel s = server.accept();
                readFrame(s); // the daemon's S_HELLO
                byte[] hello = new Wire.Out().u32(Wire.SHIM_PROTOCOL).str("test-shim").u32(42).u8(1).u32(0).u8(0).u32(0).u32(0)
                        .u32(0xffffffffL).str("").toBytes();
                writeAll(s, frame(Wire.S_HELLO_OK, 0, hello));
                peer.complete(s);
            } catch (IOException e) {
                peer.completeExceptionally(e);
            }
        });
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    static ByteBuffer frame(int type, int id, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.putInt(5 + payload.length).put((byte) type).putInt(id).put(payload).flip();
        return b;
    }

    /** A blocking SocketChannel may write only part of a buffer. */
    static void writeAll(SocketChannel s, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) s.write(b);
    }

    static void readFrame(SocketChannel s) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(9);
        while (h.hasRemaining()) if (s.read(h) < 0) throw new IOException("eof");
        ByteBuffer p = ByteBuffer.allocate(h.getInt(0) - 5);
        while (p.hasRemaining()) if (s.read(p) < 0) throw new IOException("eof");
    }

    AgentChannel connect() throws IOException {
        return AgentChannel.connect("hostile", dir.resolve("shim.sock"), Duration.ofSeconds(5));
    }

    static long heapUsed() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void aFakeHeaderAnnouncingHalfAGigabyteBreaksTheChannelWithoutAllocatingIt() throws Exception {
        AgentChannel channel = connect();
        long before = heapUsed();
        ByteBuffer header = ByteBuffer.allocate(9).putInt(0x1FFFFFFF).put((byte) Wire.R_OUT).putInt(1);
        header.flip();
        peer.get().write(header);
        await().atMost(Duration.ofSeconds(5)).until(() -> !channel.isOpen());
        assertThat(channel.closedReason()).contains("protocol violation").contains("frame length 536870911");
        assertThat(heapUsed() - before).as("heap growth").isLessThan(8L << 20);
    }

    @Test
    void garbageBytesBreakTheChannelWithAReason() throws Exception {
        AgentChannel channel = connect();
        byte[] garbage = new byte[64];
        new java.util.Random(7).nextBytes(garbage);
        garbage[0] = (byte) 0x7f; // a length far over the limit
        peer.get().write(ByteBuffer.wrap(garbage));
        await().atMost(Duration.ofSeconds(5)).until(() -> !channel.isOpen());
        assertThat(channel.closedReason()).contains("protocol violation");
    }

    @Test
    void aPayloadWhoseLengthsLieIsAViolationNotAnAllocation() throws Exception {
        AgentChannel channel = connect();
        // an EVENT whose string claims 2 GiB inside a 4-byte payload
        writeAll(peer.get(), frame(Wire.R_EVENT, 0, new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        await().atMost(Duration.ofSeconds(5)).until(() -> !channel.isOpen());
        assertThat(channel.closedReason()).contains("protocol violation").contains("payload too short");
    }

    @Test
    void moreOutputThanTheWindowFailsTheCommandAndTheChannel() throws Exception {
        AgentChannel channel = connect();
        SandboxConfig config = new SandboxConfig("hostile", ImageStore.BUILTIN, List.of(), Map.of(), null, 0, 0, 0, 1000, 1000, false,
                null);
        GvisorSandbox sandbox = new GvisorSandbox(config, channel, dir.resolve("log"), () -> {}, null);
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                // a consumer that takes its time: nothing is granted while it sleeps
                sandbox.exec(ExecRequest.of("true"), new RunningSandbox.OutputListener() {
                    boolean first = true;

                    @Override
                    public void onStdout(byte[] chunk) {
                        if (!first) return;
                        first = false;
                        try {
                            Thread.sleep(1000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }

                    @Override
                    public void onStderr(byte[] chunk) {}
                });
                result.complete(null);
            } catch (Throwable t) {
                result.complete(t);
            }
        });
        SocketChannel s = peer.get();
        ByteBuffer h = ByteBuffer.allocate(9);
        while (h.hasRemaining()) s.read(h);
        int id = h.getInt(5);
        ByteBuffer rest = ByteBuffer.allocate(h.getInt(0) - 5);
        while (rest.hasRemaining()) s.read(rest);
        byte[] chunk = new byte[64 * 1024];
        try {
            for (int i = 0; i < 12; i++) writeAll(s, frame(Wire.R_OUT, id, chunk)); // 768 KiB
        } catch (IOException e) {
            // agentboxd hung up once it was over the window: that is the point
        }
        Throwable t = result.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(t).isInstanceOf(RuntimeFailure.class).hasMessageContaining("past its window");
        assertThat(channel.isOpen()).isFalse();
        assertThatThrownBy(() -> sandbox.exec(ExecRequest.of("true"))).isInstanceOf(RuntimeFailure.class);
        assertThat(sandbox.failure()).contains("protocol violation");
    }
}
