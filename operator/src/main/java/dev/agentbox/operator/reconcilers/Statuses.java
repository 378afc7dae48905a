package dev.agentbox.operator.reconcilers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;

/** Writing status and tolerating objects that vanished meanwhile. */
final class Statuses {
    private Statuses() {
    }

    /**
     * Replaces the status stanza: a PUT on the status subresource; with the resourceVersion cleared, fabric8 fetches the
     * latest one first (a conflict in between throws, and the Java Operator SDK retries the reconcile). A JSON merge
     * patch is not used: the mock API server appends to the conditions list instead of replacing it.
     */
    static <T extends HasMetadata> void patch(KubernetesClient client, T resource) {
        try {
            resource.getMetadata().setResourceVersion(null);
            client.resource(resource).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) throw e;
        }
    }

    static boolean isConflict(KubernetesClientException e) {
        return e.getCode() == HttpURLConnection.HTTP_CONFLICT;
    }

    static boolean isNotFound(KubernetesClientException e) {
        return e.getCode() == HttpURLConnection.HTTP_NOT_FOUND;
    }
}
