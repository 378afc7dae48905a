package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.RunningSandbox;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An init container's output (stdout and stderr interleaved, as the kubelet's log): a file of at most maxBytes. */
public final class InitLog implements RunningSandbox.OutputListener, AutoCloseable {
    private static final int TAIL = 2048;
    private final OutputStream out;
    private final long max;
    private long written;

    public InitLog(Path file, long maxBytes) throws IOException {
        this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        this.max = maxBytes;
    }

    @Override
    public void onStdout(byte[] chunk) {
        write(chunk);
    }

    @Override
    public void onStderr(byte[] chunk) {
        write(chunk);
    }

    private void write(byte[] chunk) {
        int n = (int) Math.min(chunk.length, Math.max(0, max - written));
        if (n == 0) return;
        try {
            out.write(chunk, 0, n);
            written += n;
        } catch (IOException e) {
            written = max; // a full disk: stop writing, the container goes on
        }
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (IOException ignored) {
            // as above
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** The last couple of KiB of a log, for an error message; "" when there is none. */
    public static String tail(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - TAIL);
            byte[] b = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
