package dev.agentbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Test helper: GETs from agentboxd with the headers kubectl and client-go send (Accept), keeping the answer's headers. */
final class KubeHttp {
    /** What kubectl 1.32 (client-go) sends to /api and /apis. */
    static final String ACCEPT_DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
            + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    /** What kubectl get sends for a list or an object. */
    static final String ACCEPT_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    record Answer(int status, HttpResponse<byte[]> response) {
        String body() {
            return new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return Daemon.JSON.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + body(), e);
            }
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    private final HttpClient http;
    private final String endpoint;

    /** A client of {@code daemon} that trusts its CA, as kubectl does with a generated kubeconfig. */
    KubeHttp(Daemon daemon) {
        this.endpoint = daemon.agentboxd.endpoint().toString();
        HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER);
        if (daemon.agentboxd.caFile() != null) b.sslContext(dev.agentbox.client.AgentboxTls.trusting(daemon.agentboxd.caFile()));
        this.http = b.build();
    }

    Answer get(String path, String token, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path)).timeout(Duration.ofSeconds(60)).GET();
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (accept != null) b.header("Accept", accept);
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
