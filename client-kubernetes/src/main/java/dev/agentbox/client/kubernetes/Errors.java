package dev.agentbox.client.kubernetes;

import dev.agentbox.api.AgentboxException;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.ForbiddenException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.client.ServerUnavailableException;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Maps the API server's errors to the SDK's typed exceptions. */
final class Errors {
    private Errors() {
    }

    static AgentboxException map(KubernetesClientException e, String what) {
        String msg = what + ": " + (e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage());
        return switch (e.getCode()) {
            case 404 -> new NotFoundException(msg);
            case 409 -> new ConflictException(msg, e.getStatus() != null && "AlreadyExists".equals(e.getStatus().getReason()));
            case 400, 422 -> new InvalidException(msg);
            case 401, 403 -> new ForbiddenException(msg + " (check the RBAC of your kubeconfig's user: it needs the verbs in docs/kubernetes.md)", e);
            default -> new ServerUnavailableException(msg + " (is the cluster reachable? KUBECONFIG and the current context decide which)", e);
        };
    }
}
