package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.runtime.ImagePuller;
import dev.agentbox.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.OutputStream;

/**
 * {@code POST /api/v1/images} with {@code {"name": REF, "pull": true, "policy": "Always"}}: pulls REF from its registry
 * and answers with NDJSON as it goes: {@code {"progress": "..."}} lines, then one {@code {"result": {name, pulled, imageId}}}
 * or {@code {"error": {reason, message}}} line (the status is already sent by then, as for a streamed exec).
 */
final class ImagePullHandler {
    private final ImagePuller puller;
    private final ObjectMapper mapper;

    ImagePullHandler(ImagePuller puller, ObjectMapper mapper) {
        this.puller = puller;
        this.mapper = mapper;
    }

    /** {@code policy} was checked by the caller; the request's thread waits for the pull, within its deadline. */
    void pull(HttpExchange ex, String name, ImagePuller.Policy policy) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        Object lock = new Object();
        ObjectNode last = mapper.createObjectNode();
        try {
            ImagePuller.Result r = puller.pull(name, policy, line -> {
                synchronized (lock) {
                    try {
                        write(out, mapper.createObjectNode().put("progress", line));
                        out.flush();
                    } catch (IOException e) {
                        // the client went away; the pull goes on, another caller may be waiting for it
                    }
                }
            });
            last.putObject("result").put("name", r.name()).put("pulled", r.pulled()).put("imageId", r.imageId());
        } catch (RuntimeFailure e) {
            last.putObject("error").put("reason", e.kind().name()).put("message", e.getMessage());
        }
        try {
            synchronized (lock) {
                write(out, last);
            }
        } finally {
            ex.close();
        }
    }

    private void write(OutputStream out, ObjectNode line) throws IOException {
        out.write(mapper.writeValueAsBytes(line));
        out.write('\n');
    }
}
