package dev.agentbox.server.http;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * A sandbox's main-process log as its shim writes it: {@code <id>.log}, renamed to {@code <id>.log.1} (replacing the
 * older one) when a write would take it past its size cap, then started anew. The two files are read as one stream,
 * through open channels (a rotation while reading never mixes files up), in chunks of {@link #CHUNK} bytes: memory
 * holds one chunk, whatever the size of the log. Never holds a file's content beyond that.
 */
final class LogFiles {
    static final int CHUNK = 64 * 1024;
    /** Attempts at opening the two files with no rotation in between, before settling for what was opened. */
    private static final int OPEN_ATTEMPTS = 10;

    private LogFiles() {}

    /** Where the shim keeps the previous file of {@code current}. */
    static Path rotated(Path current) {
        return current.resolveSibling(current.getFileName() + ".1");
    }

    /**
     * Opens the rotated file and the current one (either may be absent: a sandbox that has written nothing yet has
     * neither). Retried while a rotation falls between the opens, so the pair is what the shim had at one moment.
     */
    static Snapshot open(Path current) throws IOException {
        Path old = rotated(current);
        Snapshot last = null;
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            if (last != null) last.close();
            Object curKey = key(current);
            Object oldKey = key(old);
            FileChannel cur = openOrNull(current);
            FileChannel o = null;
            try {
                o = openOrNull(old);
                last = new Snapshot(current, o, cur, curKey);
            } catch (IOException | RuntimeException e) {
                if (cur != null) cur.close();
                if (o != null) o.close();
                throw e;
            }
            if (Objects.equals(curKey, key(current)) && Objects.equals(oldKey, key(old))
                    && (cur == null) == (curKey == null) && (o == null) == (oldKey == null)) {
                return last;
            }
        }
        return last; // a log rotating this fast (a tiny cap, a flood of output) may show a seam; it is still bounded
    }

    /** The identity of the file at {@code path} (device and inode), or null when there is none. */
    static Object key(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static FileChannel openOrNull(Path path) throws IOException {
        try {
            return FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The rotated file then the current one, as they were when opened: one stream of {@link #size()} bytes. */
    static final class Snapshot implements Closeable {
        private final Path current;
        private final FileChannel old;
        private final long oldSize;
        private FileChannel cur;
        private final long curSize;
        private final Object curKey;

        private Snapshot(Path current, FileChannel old, FileChannel cur, Object curKey) throws IOException {
            this.current = current;
            this.old = old;
            this.cur = cur;
            this.curKey = curKey;
            this.oldSize = old == null ? 0 : old.size(); // the rotated file no longer grows
            this.curSize = cur == null ? 0 : cur.size(); // what is written later is for a follower
        }

        long size() {
            return oldSize + curSize;
        }

        /**
         * Where the last {@code lines} lines begin, as {@code tail -n}: a final newline ends the last line; a last line
         * without one counts as a line. 0 lines: the end. Fewer lines than asked: the start. Reads backwards in chunks.
         */
        long tailStart(long lines) throws IOException {
            long end = size();
            if (lines <= 0) return end;
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            long found = 0;
            long pos = end;
            while (pos > 0) {
                int n = (int) Math.min(CHUNK, pos);
                long from = pos - n;
                buf.clear().limit(n);
                readFully(from, buf);
                byte[] a = buf.array();
                for (int i = n - 1; i >= 0; i--) {
                    if (a[i] != '\n') continue;
                    long at = from + i;
                    if (at == end - 1) continue; // the newline that ends the last line
                    if (++found == lines) return at + 1;
                }
                pos = from;
            }
            return 0;
        }

        /** Writes {@code length} bytes from {@code from} of the stream to {@code out}, a chunk at a time. */
        void copy(long from, long length, OutputStream out) throws IOException {
            if (from < 0 || length < 0 || from + length > size()) throw new IllegalArgumentException("range outside the log");
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, length)));
            long pos = from;
            long left = length;
            while (left > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), left));
                readFully(pos, buf);
                out.write(buf.array(), 0, buf.position());
                pos += buf.position();
                left -= buf.position();
            }
        }

        /** Fills {@code buf} from stream offset {@code pos}; the range must lie within {@link #size()}. */
        private void readFully(long pos, ByteBuffer buf) throws IOException {
            while (buf.hasRemaining()) {
                boolean inOld = pos < oldSize;
                FileChannel ch = inOld ? old : cur;
                long at = inOld ? pos : pos - oldSize;
                long segmentLeft = (inOld ? oldSize : curSize) - at;
                int limit = buf.limit();
                buf.limit((int) Math.min(limit, buf.position() + segmentLeft));
                int n = ch.read(buf, at);
                buf.limit(limit);
                if (n < 0) throw new IOException("the log file " + (inOld ? rotated(current) : current) + " shrank while it was read");
                pos += n;
            }
        }

        /** A follower that goes on where this snapshot's current file ends; it takes that file over. */
        Follower follow() {
            Follower f = new Follower(current, cur, curKey, curSize);
            cur = null;
            return f;
        }

        @Override
        public void close() throws IOException {
            try {
                if (old != null) old.close();
            } finally {
                if (cur != null) cur.close();
            }
        }
    }

    /**
     * Reads what the shim appends to the current file, and follows it when it is rotated or replaced (a new file at
     * the path: the rest of the old one first, then the new one from its start) or truncated (from the start again).
     */
    static final class Follower implements Closeable {
        private final Path path;
        private FileChannel ch;
        private Object key;
        private long pos;
        private final ByteBuffer buf = ByteBuffer.allocate(CHUNK);

        Follower(Path path, FileChannel ch, Object key, long pos) {
            this.path = path;
            this.ch = ch;
            this.key = ch == null ? null : key;
            this.pos = pos;
        }

        /**
         * Copies to {@code out} what was written since the last call, at most {@code max} bytes, and returns how many
         * it copied. Each call reads at most what the files held when it began, so it returns even while the process
         * writes without pause.
         */
        long poll(OutputStream out, long max) throws IOException {
            long copied = drain(out, max);
            if (copied >= max) return copied;
            Object now = key(path);
            if (now != null && !now.equals(key)) {
                copied += drain(out, max - copied); // what the shim wrote before it renamed the file
                reopen();
                copied += drain(out, max - copied);
            } else if (ch != null && ch.size() < pos) {
                pos = 0; // truncated in place
                copied += drain(out, max - copied);
            }
            return copied;
        }

        private long drain(OutputStream out, long max) throws IOException {
            if (ch == null || max <= 0) return 0;
            long end = ch.size();
            long copied = 0;
            while (pos < end && copied < max) {
                buf.clear().limit((int) Math.min(CHUNK, Math.min(end - pos, max - copied)));
                int n = ch.read(buf, pos);
                if (n <= 0) break;
                out.write(buf.array(), 0, n);
                pos += n;
                copied += n;
            }
            return copied;
        }

        /** Opens the file now at the path, checking that no rotation fell between finding it and opening it. */
        private void reopen() throws IOException {
            if (ch != null) ch.close();
            ch = null;
            key = null;
            pos = 0;
            for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
                Object before = key(path);
                if (before == null) return; // between a rename and the new file: the next poll finds it
                FileChannel c = openOrNull(path);
                if (c != null && before.equals(key(path))) {
                    ch = c;
                    key = before;
                    return;
                }
                if (c != null) c.close();
            }
        }

        @Override
        public void close() throws IOException {
            if (ch != null) ch.close();
            ch = null;
        }
    }
}
