package dev.agentbox.runtime.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encoding of the agent protocol's payloads (big endian; bytes and strings are u32 length + data). */
public final class Wire {
    public static final int T_HELLO = 1, T_EXEC = 2, T_MAIN = 3, T_SIGNAL = 4, T_QUIESCE = 5, T_RESUME = 6, T_CREDIT = 7;
    public static final int T_WRITE = 10, T_READ = 11, T_LIST = 12, T_STAT = 13, T_DELETE = 14, T_MKDIR = 15;
    public static final int T_CONNECT = 16, T_DATA = 17, T_SHUTDOWN = 18;
    public static final int R_HELLO = 100, R_OUT = 101, R_ERR = 102, R_EXIT = 103, R_OK = 104, R_FAIL = 105, R_EVENT = 106, R_DATA = 107, R_CREDIT = 108;
    /** Between agentboxd and the sandbox's shim (see agentbox-shim.c). */
    public static final int S_HELLO = 200, S_HELLO_OK = 201, S_EXITED = 202, S_BROKEN = 206, S_OOM = 207;
    /** The agent protocol version this runtime speaks (the agent's HELLO answer). */
    public static final String AGENT_VERSION = "agentbox-init/2";
    /** The shim protocol version this runtime speaks. */
    public static final int SHIM_PROTOCOL = 1;
    /** Output a request may have in flight before the host grants more (the agent's WINDOW). */
    public static final int WINDOW = 256 * 1024;

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

    /** A payload that does not parse: the sender broke the protocol. */
    public static final class Malformed extends RuntimeException {
        public Malformed(String message) {
            super(message);
        }
    }

    /** Reads a payload; every length is checked against what is there before anything is allocated. */
    public static final class In {
        private final ByteBuffer b;

        public In(byte[] payload) {
            b = ByteBuffer.wrap(payload);
        }

        private void need(long n) {
            if (n < 0 || n > b.remaining()) throw new Malformed("payload too short: need " + n + " bytes, " + b.remaining() + " left");
        }

        public boolean hasMore() {
            return b.hasRemaining();
        }

        public int u8() {
            need(1);
            return b.get() & 0xff;
        }

        public int i32() {
            need(4);
            return b.getInt();
        }

        public long u32() {
            need(4);
            return b.getInt() & 0xffffffffL;
        }

        public long u64() {
            need(8);
            return b.getLong();
        }

        public byte[] bytes() {
            long n = u32();
            need(n);
            byte[] r = new byte[(int) n];
            b.get(r);
            return r;
        }

        public String str() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }
    }
}
