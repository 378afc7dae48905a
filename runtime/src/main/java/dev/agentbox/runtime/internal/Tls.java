package dev.agentbox.runtime.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads the server name (SNI) of a TLS ClientHello, for the egress proxy. Bounded: one record of at most 16 KiB. */
final class Tls {
    private Tls() {}

    /** The first TLS record if it is a handshake record (its 5-byte header included), else null. */
    static byte[] readClientHello(InputStream in) throws IOException {
        byte[] header = in.readNBytes(5);
        if (header.length < 5 || header[0] != 0x16) return null;
        int len = ((header[3] & 255) << 8) | (header[4] & 255);
        if (len > 16384) return null;
        byte[] body = in.readNBytes(len);
        if (body.length < len) return null;
        byte[] all = new byte[5 + len];
        System.arraycopy(header, 0, all, 0, 5);
        System.arraycopy(body, 0, all, 5, len);
        return all;
    }

    /** The host_name of the server_name extension of {@code record} (a ClientHello), or null if none or malformed. */
    static String serverName(byte[] record) {
        try {
            int p = 5;
            if (record[p] != 0x01) return null; // ClientHello
            p += 4 + 2 + 32; // handshake header, version, random
            p += 1 + (record[p] & 255); // session id
            p += 2 + u16(record, p); // cipher suites
            p += 1 + (record[p] & 255); // compression methods
            int end = p + 2 + u16(record, p);
            p += 2;
            while (p + 4 <= end) {
                int type = u16(record, p);
                int len = u16(record, p + 2);
                p += 4;
                if (type == 0) { // server_name: list length, then entries of type, length, name
                    int q = p + 2;
                    while (q + 3 <= p + len) {
                        int nameLen = u16(record, q + 1);
                        if (record[q] == 0) return new String(record, q + 3, nameLen, StandardCharsets.US_ASCII);
                        q += 3 + nameLen;
                    }
                    return null;
                }
                p += len;
            }
            return null;
        } catch (IndexOutOfBoundsException e) {
            return null;
        }
    }

    private static int u16(byte[] b, int p) {
        return ((b[p] & 255) << 8) | (b[p + 1] & 255);
    }
}
