package dev.agentbox.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Requests with a Content-Type (PATCH and its media types) and a User-Agent, against a {@link Daemon}. */
public final class Requests {
    private Requests() {}

    public static Daemon.Response send(Daemon d, String method, String path, String contentType, String body) {
        return send(d, method, path, contentType, body, d.token, null);
    }

    public static Daemon.Response send(Daemon d, String method, String path, String contentType, String body, String token, String userAgent) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.agentboxd.endpoint() + path)).timeout(Duration.ofMinutes(1));
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (contentType != null) b.header("Content-Type", contentType);
        if (userAgent != null) b.header("User-Agent", userAgent);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = d.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Daemon.Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Daemon.Response mergePatch(Daemon d, String path, String patch) {
        return send(d, "PATCH", path, "application/merge-patch+json", patch);
    }

    public static Daemon.Response jsonPatch(Daemon d, String path, String patch) {
        return send(d, "PATCH", path, "application/json-patch+json", patch);
    }

    public static Daemon.Response apply(Daemon d, String path, String manager, boolean force, String config) {
        return send(d, "PATCH", path + (path.contains("?") ? "&" : "?") + "fieldManager=" + manager + (force ? "&force=true" : ""),
                "application/apply-patch+yaml", config);
    }
}
