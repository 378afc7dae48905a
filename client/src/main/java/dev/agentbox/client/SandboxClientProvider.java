package dev.agentbox.client;

import java.util.Map;

/**
 * A pluggable backend (for example Kubernetes), found with {@link java.util.ServiceLoader} and chosen
 * by the {@code AGENTBOX_BACKEND} environment variable in {@link SandboxClient#fromEnvironment()}.
 * The built-in backend, {@code local}, talks to agentboxd over HTTP.
 */
public interface SandboxClientProvider {
    /** The backend's name, e.g. {@code kubernetes}. */
    String name();

    /** Builds a client configured from the environment variables. */
    SandboxClient fromEnvironment(Map<String, String> env);
}
