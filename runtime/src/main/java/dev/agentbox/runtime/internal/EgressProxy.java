package dev.agentbox.runtime.internal;

import dev.agentbox.runtime.Egress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The egress proxy of one sandbox with a domain allow-list ({@link Egress#domains}): HTTP CONNECT (TLS, whose ClientHello
 * must carry the CONNECT host as SNI) and plain HTTP with an absolute URI (whose Host header must be the URI's host), only
 * to allowed names on ports 80 and 443, only to addresses the sandbox's rules would allow (never the host's loopback, the
 * metadata address or a reserved range its rules do not name). Listens on the sandbox's gateway address, port
 * {@link #PORT}; table inet agentbox lets only that sandbox's veth reach it. Bounded: {@link #MAX_CONNECTIONS} at once,
 * {@link #MAX_HEAD} bytes of request head, timeouts on every read and connect. Virtual threads, blocking socket I/O
 * (which does not pin a carrier).
 */
public final class EgressProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EgressProxy.class);
    public static final int PORT = 3128;
    static final int MAX_CONNECTIONS = 64;
    static final int MAX_HEAD = 8192;
    static final int HEAD_TIMEOUT_MS = 10_000;
    static final int CONNECT_TIMEOUT_MS = 5_000;
    static final int IDLE_TIMEOUT_MS = 300_000;

    private final String id;
    private final Egress egress;
    private final Function<String, List<InetAddress>> resolver;
    private final ServerSocket server;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);

    /** @param resolver name to addresses (the system resolver, or a test's table, see {@code GvisorRuntime.Options}) */
    public EgressProxy(String id, String gateway, Egress egress, Function<String, List<InetAddress>> resolver) throws IOException {
        this.id = id;
        this.egress = egress;
        this.resolver = resolver;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(gateway), PORT), 64);
        Thread.ofVirtual().name("egress-proxy-" + id).start(this::acceptLoop);
    }

    /** Whether {@code host} matches a pattern: {@code pypi.org} itself, {@code *.example.com} any name under example.com. */
    public static boolean allowed(List<String> domains, String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        for (String d : domains) {
            if (d.startsWith("*.") ? h.endsWith(d.substring(1)) && h.length() > d.length() - 1 : h.equals(d)) return true;
        }
        return false;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) log.debug("sandbox {}: proxy accept: {}", id, e.toString());
                continue;
            }
            if (!slots.tryAcquire()) {
                quietClose(c); // past the bound: refused
                continue;
            }
            Thread.ofVirtual().start(() -> {
                try (c) {
                    handle(c);
                } catch (IOException e) {
                    log.debug("sandbox {}: proxy: {}", id, e.toString());
                } finally {
                    slots.release();
                }
            });
        }
    }

    private void handle(Socket client) throws IOException {
        client.setSoTimeout(HEAD_TIMEOUT_MS);
        InputStream in = client.getInputStream();
        OutputStream out = client.getOutputStream();
        byte[] head = readHead(in);
        if (head == null) {
            refuse(out, 431, "the request head is larger than " + MAX_HEAD + " bytes");
            return;
        }
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n");
        String[] request = lines[0].split(" ");
        if (request.length != 3) {
            refuse(out, 400, "not an HTTP request line");
            return;
        }
        boolean connect = request[0].equals("CONNECT");
        String authority;
        String rest = "";
        if (connect) {
            authority = request[1];
        } else if (request[1].startsWith("http://")) {
            String u = request[1].substring(7);
            int slash = u.indexOf('/');
            authority = slash < 0 ? u : u.substring(0, slash);
            rest = slash < 0 ? "/" : u.substring(slash);
        } else {
            refuse(out, 400, "use CONNECT for https, or an absolute http:// URI");
            return;
        }
        int colon = authority.lastIndexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        int port;
        try {
            port = colon < 0 ? 80 : Integer.parseInt(authority.substring(colon + 1));
        } catch (NumberFormatException e) {
            refuse(out, 400, "bad port in " + authority);
            return;
        }
        if (port != 80 && port != 443) {
            refuse(out, 403, "port " + port + " is not allowed through the proxy (80 and 443 only)");
            return;
        }
        if (!host.matches("[A-Za-z0-9.-]{1,253}") || host.matches("[0-9.]+") || !allowed(egress.domains(), host)) {
            refuse(out, 403, host + " is not in the template's agentbox.dev/egress-domains");
            return;
        }
        long bodyLength = 0;
        if (!connect) {
            if (header(lines, "transfer-encoding") != null) {
                refuse(out, 411, "chunked request bodies are not supported; send a Content-Length (or use https)");
                return;
            }
            try {
                String cl = header(lines, "content-length");
                bodyLength = cl == null ? 0 : Long.parseLong(cl);
            } catch (NumberFormatException e) {
                refuse(out, 400, "bad Content-Length");
                return;
            }
            String hostHeader = header(lines, "host");
            String hh = hostHeader == null ? null : hostHeader.replaceFirst(":\\d+$", "");
            if (hh == null || !hh.equalsIgnoreCase(host)) {
                refuse(out, 403, "the Host header (" + hostHeader + ") is not the URI's host " + host);
                return;
            }
        }
        InetAddress target = pick(host);
        if (target == null) {
            refuse(out, 403, host + " resolves to no address the sandbox may reach");
            return;
        }
        try (Socket upstream = new Socket()) {
            upstream.connect(new InetSocketAddress(target, port), CONNECT_TIMEOUT_MS);
            if (connect) {
                out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                byte[] hello = Tls.readClientHello(in);
                String sni = hello == null ? null : Tls.serverName(hello);
                if (sni == null || !sni.equalsIgnoreCase(host)) {
                    log.info("sandbox {}: proxy refused CONNECT {}: TLS server name {}", id, host, sni);
                    return; // closes both: the SNI is not the name that was allowed
                }
                upstream.getOutputStream().write(hello);
                relay(client, upstream);
            } else {
                // one request per connection (Connection: close, then only its body): a second request on a kept-alive
                // connection could name another Host on the same upstream (a CDN serves many names)
                StringBuilder forwarded = new StringBuilder(request[0] + " " + rest + " " + request[2] + "\r\n");
                for (int i = 1; i < lines.length; i++) {
                    String h = lines[i].toLowerCase(Locale.ROOT);
                    if (h.startsWith("connection:") || h.startsWith("proxy-connection:") || h.startsWith("keep-alive:")) continue;
                    forwarded.append(lines[i]).append("\r\n");
                }
                forwarded.append("Connection: close\r\n\r\n");
                upstream.getOutputStream().write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
                client.setSoTimeout(IDLE_TIMEOUT_MS);
                upstream.setSoTimeout(IDLE_TIMEOUT_MS);
                byte[] buf = new byte[16384];
                for (long left = bodyLength; left > 0; ) { // exactly the body, nothing after it
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) return;
                    upstream.getOutputStream().write(buf, 0, n);
                    left -= n;
                }
                upstream.getInputStream().transferTo(out);
            }
        } catch (IOException e) {
            log.debug("sandbox {}: proxy to {}:{}: {}", id, host, port, e.toString());
        }
    }

    /** The first resolved IPv4 address the sandbox's rules would allow (ports aside), or null. */
    private InetAddress pick(String host) {
        List<InetAddress> addresses;
        try {
            addresses = resolver.apply(host);
        } catch (RuntimeException e) {
            return null;
        }
        for (InetAddress a : addresses) {
            if (a.getAddress().length != 4) continue;
            String cidr = a.getHostAddress() + "/32";
            if (EgressRules.NEVER.stream().anyMatch(r -> EgressRules.inside(cidr, r))) continue;
            boolean reserved = EgressRules.RESERVED.stream().anyMatch(r -> EgressRules.inside(cidr, r));
            boolean named = egress.rules().stream().anyMatch(r -> EgressRules.inside(cidr, r.cidr())
                    && EgressRules.RESERVED.stream().anyMatch(range -> EgressRules.inside(r.cidr(), range)));
            if (!reserved || named) return a;
        }
        return null;
    }

    private static void relay(Socket client, Socket upstream) throws IOException {
        client.setSoTimeout(IDLE_TIMEOUT_MS);
        upstream.setSoTimeout(IDLE_TIMEOUT_MS);
        Thread back = Thread.ofVirtual().start(() -> copy(upstream, client));
        copy(client, upstream);
        try {
            back.join(IDLE_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void copy(Socket from, Socket to) {
        byte[] buf = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
            to.shutdownOutput();
        } catch (IOException e) {
            quietClose(from);
            quietClose(to);
        }
    }

    /** The request head up to the blank line, or null past {@link #MAX_HEAD} bytes. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (b.size() < MAX_HEAD) {
            int c = in.read();
            if (c < 0) throw new IOException("closed before the end of the request head");
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) return b.toByteArray();
        }
        return null;
    }

    private static String header(String[] lines, String name) {
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0 && lines[i].substring(0, c).trim().equalsIgnoreCase(name)) return lines[i].substring(c + 1).trim();
        }
        return null;
    }

    private static void refuse(OutputStream out, int code, String why) throws IOException {
        byte[] body = ("agentbox egress proxy: " + why + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + code + " Refused\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static void quietClose(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            log.debug("sandbox {}: closing its proxy: {}", id, e.toString());
        }
    }

    /** The environment that points a sandbox's HTTP clients at its proxy. */
    public static Map<String, String> environment(String gateway) {
        String url = "http://" + gateway + ":" + PORT;
        return Map.of("HTTP_PROXY", url, "HTTPS_PROXY", url, "http_proxy", url, "https_proxy", url, "NO_PROXY", "localhost,127.0.0.1",
                "no_proxy", "localhost,127.0.0.1");
    }
}
