package dev.agentbox.runtime.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encoding of the agent protocol's payloads (big endian; bytes and strings are u32 length + data). */
public final class Wire {
    public static final int T_HELLO = 1, T_EXEC = 2, T_MAIN = 3, T_SIGNAL = 4, T_QUIESCE = 5, T_RESUME = 6;
    public static final int T_WRITE = 10, T_READ = 11, T_LIST = 12, T_STAT = 13, T_DELETE = 14, T_MKDIR = 15;
    public static final int R_HELLO = 100, R_OUT = 101, R_ERR = 102, R_EXIT = 103, R_OK = 104, R_FAIL = 105, R_EVENT = 106;

    private Wire() {}

    /** Builds a payload. */
    public static final class Out {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        public Out u8(int v) {
            buf.write(v);
            return this;
        }

        public Out u32(long v) {
            buf.write((int) (v >>> 24));
            buf.write((int) (v >>> 16));
            buf.write((int) (v >>> 8));
            buf.write((int) v);
            return this;
        }

        public Out u64(long v) {
            return u32(v >>> 32).u32(v & 0xffffffffL);
        }

        public Out bytes(byte[] b) {
            u32(b.length);
            buf.writeBytes(b);
            return this;
        }

        public Out str(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        public Out strs(List<String> list) {
            u32(list.size());
            list.forEach(this::str);
            return this;
        }

        public byte[] toBytes() {
            return buf.toByteArray();
        }
    }

    /** Reads a payload. */
    public static final class In {
        private final ByteBuffer b;

        public In(byte[] payload) {
            b = ByteBuffer.wrap(payload);
        }

        public int u8() {
            return b.get() & 0xff;
        }

        public int i32() {
            return b.getInt();
        }

        public long u32() {
            return b.getInt() & 0xffffffffL;
        }

        public long u64() {
            return b.getLong();
        }

        public byte[] bytes() {
            byte[] r = new byte[(int) u32()];
            b.get(r);
            return r;
        }

        public String str() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }
    }
}
