package dev.agentbox.server.http;

import dev.agentbox.runtime.RunningSandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * One HTTP request forwarded to a server inside a sandbox over a {@link RunningSandbox.SandboxSocket}, and its answer
 * streamed back; runs on a virtual thread of its own. The request goes out as HTTP/1.1 with {@code Connection: close}
 * (one stream per request; a stream costs one frame round trip), its body streamed as it arrives (the
 * {@code Content-Length} it came with, else chunked). The answer is parsed by Jetty's {@link HttpParser} (at most 64 KiB
 * of headers) and its body written to the client chunk by chunk: at most one 64 KiB buffer per direction is held, and
 * the sandbox's side is flow-controlled (the agent sends no more than the window the daemon has taken), so a client
 * that reads slowly slows the server inside and nothing piles up in agentboxd.
 * <p>
 * Hop-by-hop headers ({@code Connection} and what it names, {@code Keep-Alive}, {@code TE}, {@code Trailer},
 * {@code Transfer-Encoding}, {@code Upgrade}, {@code Proxy-*}), {@code Host} and {@code Expect} are not passed on, in
 * either direction, nor agentboxd's {@code Authorization} header. A request with {@code Connection: Upgrade} (a
 * WebSocket) goes out with its {@code Upgrade} header; if the server answers 101, the 101 goes back and the connection
 * becomes a raw byte tunnel ({@link SandboxTunnel}).
 */
final class SandboxHttpProxy {
    /**
     * @param stripAuthorization drop the request's {@code Authorization} header (it is agentboxd's token)
     * @param forwardedPrefix the path prefix the proxy removed, sent as {@code X-Forwarded-Prefix} with
     *        {@code X-Forwarded-For/Host/Proto}; null: add no {@code X-Forwarded-*} header (the router, as upstream's)
     * @param authorization the token the request came with, to end the stream if it is revoked; null: never
     */
    record Options(boolean stripAuthorization, String forwardedPrefix, String authorization) {}

    static final int BUFFER = 64 * 1024;
    static final int MAX_RESPONSE_HEADER = 64 * 1024;

    /** Hop-by-hop headers (RFC 9110 7.6.1) and those this proxy writes itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host", "content-length", "expect");
    private static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade");

    private final PortsHandler ports;
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final RunningSandbox sandbox;
    private final PortsHandler.Target target;
    private final String pathToForward;
    private final Options options;

    SandboxHttpProxy(PortsHandler ports, Request request, Response response, Callback callback, RunningSandbox sandbox,
                     PortsHandler.Target target, String rawPath, Options options) {
        this.ports = ports;
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.sandbox = sandbox;
        this.target = target;
        this.pathToForward = rawPath.isEmpty() ? "/" : rawPath;
        this.options = options;
    }

    /**
     * Forwards the request and answers it. Throws {@link PortsHandler.BadGateway} when the server inside could not be
     * reached or gave no usable answer before anything was sent back (the caller answers 502); a failure after the
     * answer began cuts the client's connection (the callback fails), so a cut answer never looks complete.
     */
    void run() {
        boolean upgrade = isUpgrade(request);
        RunningSandbox.SandboxSocket socket = ports.connect(sandbox, target);
        Object stream = ports.open(options.authorization(), socket::close);
        boolean tunnelled = false;
        try {
            long length = request.getLength();
            boolean chunked = length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
            try {
                socket.output().write(head(upgrade, length, chunked));
            } catch (IOException e) {
                throw new PortsHandler.BadGateway("cannot send the request to " + target.describe() + ": " + e.getMessage());
            }
            Thread body = null;
            if (length > 0 || chunked) body = Thread.ofVirtual().name("agentboxd-proxy-body").start(() -> copyBody(socket, chunked));
            tunnelled = answer(socket, upgrade, stream);
            if (body != null && !tunnelled) body.interrupt();
        } finally {
            if (!tunnelled) {
                socket.close();
                ports.closed(stream);
            }
        }
    }

    private static boolean isUpgrade(Request request) {
        if (!request.getHeaders().contains(HttpHeader.UPGRADE)) return false;
        for (String v : request.getHeaders().getCSV(HttpHeader.CONNECTION, false)) if (v.equalsIgnoreCase("upgrade")) return true;
        return false;
    }

    /** Header names listed in Connection (hop-by-hop by declaration), lower case. */
    private static Set<String> connectionTokens(HttpFields fields) {
        Set<String> out = new HashSet<>();
        for (String v : fields.getCSV(HttpHeader.CONNECTION, false)) out.add(v.trim().toLowerCase(Locale.ROOT));
        return out;
    }

    private byte[] head(boolean upgrade, long length, boolean chunked) {
        StringBuilder h = new StringBuilder(512);
        String query = request.getHttpURI().getQuery();
        h.append(request.getMethod()).append(' ').append(pathToForward);
        if (query != null) h.append('?').append(query);
        h.append(" HTTP/1.1\r\n");
        h.append("Host: localhost:").append(target.port()).append("\r\n");
        HttpFields fields = request.getHeaders();
        Set<String> listed = connectionTokens(fields);
        String forwardedFor = null;
        for (HttpField f : fields) {
            String name = f.getLowerCaseName();
            if (NOT_FORWARDED.contains(name) || listed.contains(name)) continue;
            if (name.equals("authorization") && options.stripAuthorization()) continue;
            if (options.forwardedPrefix() != null && name.startsWith("x-forwarded-")) {
                if (name.equals("x-forwarded-for")) forwardedFor = f.getValue();
                continue;
            }
            h.append(f.getName()).append(": ").append(f.getValue()).append("\r\n");
        }
        if (options.forwardedPrefix() != null) {
            String client = Request.getRemoteAddr(request);
            h.append("X-Forwarded-For: ").append(forwardedFor == null ? client : forwardedFor + ", " + client).append("\r\n");
            String host = fields.get(HttpHeader.HOST);
            if (host != null) h.append("X-Forwarded-Host: ").append(host).append("\r\n");
            h.append("X-Forwarded-Proto: ").append(request.isSecure() ? "https" : "http").append("\r\n");
            h.append("X-Forwarded-Prefix: ").append(options.forwardedPrefix()).append("\r\n");
        }
        if (upgrade) {
            h.append("Connection: Upgrade\r\n");
            h.append("Upgrade: ").append(fields.get(HttpHeader.UPGRADE)).append("\r\n");
        } else {
            h.append("Connection: close\r\n");
        }
        if (length >= 0 && (length > 0 || fields.contains(HttpHeader.CONTENT_LENGTH))) h.append("Content-Length: ").append(length).append("\r\n");
        else if (chunked) h.append("Transfer-Encoding: chunked\r\n");
        h.append("\r\n");
        return h.toString().getBytes(StandardCharsets.ISO_8859_1); // header bytes as they came (Jetty reads them as ISO-8859-1)
    }

    /** The request body, streamed into the sandbox as it arrives (re-chunked when it came chunked). */
    private void copyBody(RunningSandbox.SandboxSocket socket, boolean chunked) {
        try (InputStream in = Content.Source.asInputStream(request)) {
            OutputStream out = socket.output();
            byte[] buf = new byte[BUFFER + 16];
            int off = chunked ? 10 : 0; // room for the chunk-size line
            for (int n; (n = in.read(buf, off, BUFFER)) >= 0; ) {
                if (n == 0) continue;
                if (chunked) {
                    byte[] size = (Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    int start = off - size.length;
                    System.arraycopy(size, 0, buf, start, size.length);
                    buf[off + n] = '\r';
                    buf[off + n + 1] = '\n';
                    out.write(buf, start, size.length + n + 2);
                } else {
                    out.write(buf, 0, n);
                }
            }
            if (chunked) out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (InterruptedIOException e) {
            // the answer is complete: the rest of the body is not wanted
        } catch (IOException | RuntimeException e) {
            socket.close(); // the client's body broke off: so does the request inside (the answer side then ends too)
        }
    }

    /** Parses the answer from the sandbox and streams it back; true if the connection became a tunnel (101). */
    private boolean answer(RunningSandbox.SandboxSocket socket, boolean upgrade, Object stream) {
        Reader r = new Reader();
        HttpParser parser = new HttpParser(r, MAX_RESPONSE_HEADER, HttpCompliance.RFC9110);
        boolean head = HttpMethod.HEAD.is(request.getMethod());
        parser.setHeadResponse(head);
        byte[] array = new byte[BUFFER];
        ByteBuffer buf = ByteBuffer.wrap(array, 0, 0);
        InputStream in = socket.input();
        boolean committed = false;
        try {
            while (true) {
                if (!buf.hasRemaining() && !parser.isAtEOF()) {
                    int n = in.read(array, 0, array.length);
                    if (n < 0) {
                        parser.atEOF();
                        buf = BufferUtil.EMPTY_BUFFER;
                    } else {
                        buf = ByteBuffer.wrap(array, 0, n);
                    }
                }
                parser.parseNext(buf);
                if (r.failure != null) {
                    throw new PortsHandler.BadGateway(target.describe() + " sent a malformed HTTP answer: " + r.failure);
                }
                if (r.headersDone && !committed) {
                    if (r.status >= 100 && r.status < 200 && r.status != 101) { // 100 Continue, 103 Early Hints: not passed on
                        r.reset();
                        parser.reset();
                        continue;
                    }
                    if (r.status == 101) {
                        if (!upgrade) throw new PortsHandler.BadGateway(target.describe() + " answered 101 Switching Protocols to a request that asked for no upgrade");
                        tunnel(socket, r, buf, stream);
                        return true;
                    }
                    commit(r, parser.isChunking());
                    committed = true;
                }
                if (r.content != null) {
                    ByteBuffer chunk = r.content;
                    r.content = null;
                    try (Blocker.Callback b = Blocker.callback()) {
                        response.write(false, chunk, b);
                        b.block();
                    }
                }
                if (r.complete) {
                    response.write(true, BufferUtil.EMPTY_BUFFER, callback);
                    return false;
                }
                if (r.earlyEof || (parser.isAtEOF() && !buf.hasRemaining())) { // the end came before the answer was complete
                    String what = committed ? "closed the connection in the middle of its answer" : "closed the connection without an answer";
                    throw new PortsHandler.BadGateway(target.describe() + " " + what);
                }
            }
        } catch (PortsHandler.BadGateway e) {
            if (!committed) throw e;
            callback.failed(e);
            return false;
        } catch (IOException e) {
            // the client went away (a write failed), or the sandbox's side broke (a read failed)
            if (!committed && !response.isCommitted()) throw new PortsHandler.BadGateway("the connection to " + target.describe() + " broke: " + e.getMessage());
            callback.failed(e);
            return false;
        }
    }

    private void commit(Reader r, boolean chunking) {
        response.setStatus(r.status);
        HttpFields.Mutable out = response.getHeaders();
        Set<String> listed = new HashSet<>();
        for (HttpField f : r.fields) if (f.getHeader() == HttpHeader.CONNECTION) for (String v : f.getValues()) listed.add(v.trim().toLowerCase(Locale.ROOT));
        for (HttpField f : r.fields) {
            String name = f.getLowerCaseName();
            if (NOT_RETURNED.contains(name) || listed.contains(name)) continue;
            if (name.equals("content-length") && chunking) continue;
            if (name.equals("date") || name.equals("server")) out.put(f.getName(), f.getValue());
            else out.add(f.getName(), f.getValue());
        }
    }

    /** Sends the 101 with the server's headers and turns the client's connection into a byte tunnel into the sandbox. */
    private void tunnel(RunningSandbox.SandboxSocket socket, Reader r, ByteBuffer rest, Object stream) {
        response.setStatus(101);
        HttpFields.Mutable out = response.getHeaders();
        for (HttpField f : r.fields) {
            String name = f.getLowerCaseName();
            if (name.equals("content-length") || name.equals("transfer-encoding") || name.equals("keep-alive")) continue;
            out.add(f.getName(), f.getValue());
        }
        byte[] early = new byte[rest.remaining()]; // what the server sent after its 101 (the first WebSocket frames)
        rest.get(early);
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        SandboxTunnel tunnel = new SandboxTunnel(endPoint, request.getConnectionMetaData().getConnector().getExecutor(), socket, early,
                () -> ports.closed(stream));
        request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, tunnel);
        callback.succeeded(); // Jetty writes the 101, then hands the connection's endpoint to the tunnel
    }

    /** What the parser saw of the answer. */
    private static final class Reader implements HttpParser.ResponseHandler {
        int status;
        final List<HttpField> fields = new ArrayList<>();
        boolean headersDone;
        ByteBuffer content;
        boolean complete;
        boolean earlyEof;
        String failure;

        void reset() {
            status = 0;
            fields.clear();
            headersDone = false;
            content = null;
            complete = false;
        }

        @Override
        public void startResponse(HttpVersion version, int status, String reason) {
            this.status = status;
        }

        @Override
        public void parsedHeader(HttpField field) {
            fields.add(field);
        }

        @Override
        public boolean headerComplete() {
            headersDone = true;
            return true; // the loop commits the headers before any content
        }

        @Override
        public boolean content(ByteBuffer chunk) {
            content = chunk; // a slice of the read buffer: written out before the parser goes on
            return true;
        }

        @Override
        public boolean contentComplete() {
            return false;
        }

        @Override
        public boolean messageComplete() {
            complete = true;
            return true;
        }

        @Override
        public void earlyEOF() {
            earlyEof = true;
        }

        @Override
        public void badMessage(HttpException failure) {
            this.failure = failure.getReason() == null ? String.valueOf(failure) : failure.getReason();
        }
    }
}
