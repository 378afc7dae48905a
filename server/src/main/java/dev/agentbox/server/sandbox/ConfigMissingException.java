package dev.agentbox.server.sandbox;

/**
 * A ConfigMap, Secret or key a pod needs (a volume or an env var that is not optional) does not exist in the sandbox's
 * namespace. As the kubelet's CreateContainerConfigError: the sandbox is not started and its Ready condition says
 * which object is missing; it starts once the object exists. The message names the object and the field, never a value.
 */
public final class ConfigMissingException extends RuntimeException {
    /** The Ready reason, as the kubelet's container waiting reason. */
    public static final String REASON = "CreateContainerConfigError";

    public ConfigMissingException(String message) {
        super(message);
    }
}
