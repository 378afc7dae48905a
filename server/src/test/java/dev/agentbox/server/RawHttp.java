package dev.agentbox.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A deliberately permissive HTTP/1.1 client on a plain socket, for requests java.net.http refuses to send: any verb
 * (TRACE, lower-case, made-up), any request target (raw NUL, spaces, non-ASCII, unencoded {@code ..}), lying or
 * missing framing headers, duplicate headers. One connection per request ({@code Connection: close}). Bodies larger
 * than the socket buffer are written from another thread, so a server that answers before reading everything (a 413)
 * is heard. Streaming answers (a watch) are read for at most {@code streamMillis} and then the connection is closed.
 */
final class RawHttp {
    /** What came back. {@code status} is -1 when the connection closed before a status line, -2 on a read timeout. */
    record Answer(int status, String head, byte[] body, boolean truncated, boolean streamCut, long millis, String error) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** How the request is framed on the wire. */
    enum Framing { LENGTH, CHUNKED, NONE, LENGTH_TOO_SHORT, LENGTH_TOO_LONG, LENGTH_GARBAGE, LENGTH_AND_CHUNKED }

    static final int STATUS_NO_ANSWER = -1;
    static final int STATUS_TIMEOUT = -2;

    private RawHttp() {}

    /**
     * @param requestLine the request line without CRLF ("GET /x HTTP/1.1"), sent as ISO-8859-1 bytes (a target's
     *        non-ASCII characters are sent as UTF-8 first, so the bytes are what a client would put on the wire)
     * @param headers extra header lines ("Name: value") besides Host, Connection and the framing
     * @param captureLimit at most this many body bytes are kept (the rest is read and dropped)
     * @param streamMillis for an answer without a length (chunked, or until close), stop reading after this long
     * @param timeoutMillis no byte for this long: give up (status -2)
     */
    static Answer send(int port, String requestLine, List<String> headers, byte[] body, Framing framing, boolean headRequest,
                       int captureLimit, long streamMillis, int timeoutMillis) {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(timeoutMillis);
            s.setTcpNoDelay(true);
            StringBuilder head = new StringBuilder();
            head.append(requestLine).append("\r\n");
            List<String> all = new ArrayList<>(headers);
            if (all.stream().noneMatch(h -> h.regionMatches(true, 0, "Host:", 0, 5))) all.add(0, "Host: 127.0.0.1:" + port);
            if (all.stream().noneMatch(h -> h.regionMatches(true, 0, "Connection:", 0, 11))) all.add("Connection: close");
            byte[] payload = body == null ? new byte[0] : body;
            byte[] wire = payload;
            switch (framing) {
                case LENGTH -> all.add("Content-Length: " + payload.length);
                case CHUNKED -> all.add("Transfer-Encoding: chunked"); // encoded while it is written
                case NONE -> wire = new byte[0]; // no framing header: the server must read no body
                case LENGTH_TOO_SHORT -> all.add("Content-Length: " + Math.max(0, payload.length / 2));
                case LENGTH_TOO_LONG -> all.add("Content-Length: " + (payload.length + 1000));
                case LENGTH_GARBAGE -> all.add("Content-Length: " + (payload.length % 2 == 0 ? "-5" : "12abc"));
                case LENGTH_AND_CHUNKED -> {
                    all.add("Content-Length: " + payload.length);
                    all.add("Transfer-Encoding: chunked");
                }
            }
            for (String h : all) head.append(h).append("\r\n");
            head.append("\r\n");
            byte[] headBytes = latin1(head.toString());
            OutputStream out = s.getOutputStream();
            byte[] toWrite = wire;
            boolean chunk = framing == Framing.CHUNKED || framing == Framing.LENGTH_AND_CHUNKED;
            Thread writer = null;
            if (headBytes.length + toWrite.length <= 32 * 1024) {
                out.write(concat(headBytes, chunk ? chunked(toWrite) : toWrite));
                out.flush();
            } else {
                writer = Thread.ofPlatform().daemon().name("fuzz-writer").start(() -> {
                    try {
                        out.write(headBytes);
                        for (int off = 0; off < toWrite.length; off += 64 * 1024) {
                            int n = Math.min(64 * 1024, toWrite.length - off);
                            if (chunk) out.write(latin1(Integer.toHexString(n) + "\r\n"));
                            out.write(toWrite, off, n);
                            if (chunk) out.write(latin1("\r\n"));
                        }
                        if (chunk) out.write(latin1("0\r\n\r\n"));
                        out.flush();
                    } catch (IOException e) {
                        // the server answered and closed before reading it all (a 413): expected
                    }
                });
            }
            try {
                return read(s, headRequest, captureLimit, streamMillis, t0);
            } finally {
                s.close();
                if (writer != null) writer.join(5_000);
            }
        } catch (SocketTimeoutException e) {
            return new Answer(STATUS_TIMEOUT, "", new byte[0], false, false, millis(t0), e.toString());
        } catch (IOException e) {
            return new Answer(STATUS_NO_ANSWER, "", new byte[0], false, false, millis(t0), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(STATUS_NO_ANSWER, "", new byte[0], false, false, millis(t0), e.toString());
        }
    }

    private static Answer read(Socket socket, boolean headRequest, int captureLimit, long streamMillis, long t0) throws IOException {
        InputStream in = socket.getInputStream();
        String statusLine;
        try {
            statusLine = line(in);
        } catch (IOException e) {
            if (e instanceof SocketTimeoutException) throw e;
            return new Answer(STATUS_NO_ANSWER, "", new byte[0], false, false, millis(t0), e.toString());
        }
        if (statusLine == null || !statusLine.startsWith("HTTP/")) {
            return new Answer(STATUS_NO_ANSWER, statusLine == null ? "" : statusLine, new byte[0], false, false, millis(t0), "no status line");
        }
        int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
        while (status == 100) { // 100 Continue (an Expect header): skip it, the real answer follows
            for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) { /* its headers */ }
            statusLine = line(in);
            if (statusLine == null || !statusLine.startsWith("HTTP/")) {
                return new Answer(STATUS_NO_ANSWER, "", new byte[0], false, false, millis(t0), "no status line after 100 Continue");
            }
            status = Integer.parseInt(statusLine.split(" ", 3)[1]);
        }
        StringBuilder head = new StringBuilder(statusLine).append('\n');
        long length = -1;
        boolean chunked = false;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            head.append(h).append('\n');
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) length = Long.parseLong(h.substring(15).trim());
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
        }
        Capture body = new Capture(captureLimit);
        boolean cut = false;
        if (!headRequest && status != 204 && status != 304 && !(status >= 100 && status < 200)) {
            long deadline = System.nanoTime() + streamMillis * 1_000_000L;
            try {
                if (chunked || length < 0) socket.setSoTimeout((int) Math.max(1, Math.min(socket.getSoTimeout(), streamMillis))); // a silent stream ends the read window
                if (chunked) {
                    cut = !readChunked(in, body, deadline);
                } else if (length >= 0) {
                    copy(in, body, length, Long.MAX_VALUE);
                } else {
                    cut = !copy(in, body, Long.MAX_VALUE, deadline);
                }
            } catch (SocketTimeoutException e) {
                cut = true; // a stream that stayed silent: closing it is the client's choice
            } catch (IOException e) {
                return new Answer(status, head.toString(), body.bytes(), body.truncated, true, millis(t0), "body cut: " + e);
            }
        }
        return new Answer(status, head.toString(), body.bytes(), body.truncated, cut, millis(t0), null);
    }

    /** True when the chunked body ended (last chunk), false when the deadline passed first. */
    private static boolean readChunked(InputStream in, Capture body, long deadline) throws IOException {
        while (true) {
            if (System.nanoTime() - deadline > 0) return false;
            String size = line(in);
            if (size == null) throw new IOException("chunked body ended without a last chunk");
            int semi = size.indexOf(';');
            long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                for (String t = line(in); t != null && !t.isEmpty(); t = line(in)) { /* trailers */ }
                return true;
            }
            if (!copy(in, body, n, deadline)) return false;
            line(in);
        }
    }

    /** Copies n bytes (or to EOF when n is Long.MAX_VALUE); false if the deadline passed first. */
    private static boolean copy(InputStream in, Capture body, long n, long deadline) throws IOException {
        byte[] buf = new byte[16 * 1024];
        long left = n;
        while (left > 0) {
            if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline > 0) return false;
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                if (n == Long.MAX_VALUE) return true;
                throw new IOException("body ended after " + (n - left) + " of " + n + " bytes");
            }
            body.write(buf, r);
            left -= r;
        }
        return true;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c = in.read();
        if (c < 0) return null;
        for (; c >= 0 && c != '\n'; c = in.read()) {
            if (c != '\r') b.write(c);
            if (b.size() > 64 * 1024) throw new IOException("header line longer than 64 KiB");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    static byte[] chunked(byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 64);
        int step = 8 * 1024;
        for (int off = 0; off < payload.length; off += step) {
            int n = Math.min(step, payload.length - off);
            b.writeBytes(latin1(Integer.toHexString(n) + "\r\n"));
            b.write(payload, off, n);
            b.writeBytes(latin1("\r\n"));
        }
        b.writeBytes(latin1("0\r\n\r\n"));
        return b.toByteArray();
    }

    /** The request target as bytes on the wire: characters above 0x7f as UTF-8, the rest as they are. */
    static String wireTarget(String target) {
        return new String(target.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Keeps the first {@code limit} bytes of what is written, counts the rest. */
    private static final class Capture {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final int limit;
        boolean truncated;

        Capture(int limit) {
            this.limit = limit;
        }

        void write(byte[] buf, int n) {
            int room = limit - kept.size();
            if (room >= n) {
                kept.write(buf, 0, n);
            } else {
                if (room > 0) kept.write(buf, 0, room);
                truncated = true;
            }
        }

        byte[] bytes() {
            return kept.toByteArray();
        }
    }
}
