package dev.agentbox.client;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to claim a sandbox.
 *
 * @param namespace     namespace of the claim; null: the client's
 * @param claimName     name of the SandboxClaim; null: the pool name plus a random suffix
 * @param env           environment variables for the sandbox (a claim with env is cold-started)
 * @param labels        labels of the claim
 * @param annotations   annotations of the claim
 * @param readyTimeout  how long to wait for the claim's Ready condition (default 60 s)
 * @param shutdownTime  when the daemon deletes the sandbox on its own; null: never
 * @param ttl           alternative to shutdownTime: now plus this, computed when the claim is created
 * @param shutdownPolicy Delete (default) or Retain: what happens to the claim at shutdownTime
 */
public record CreateOptions(String namespace, String claimName, Map<String, String> env, Map<String, String> labels,
                            Map<String, String> annotations, Duration readyTimeout, Instant shutdownTime, Duration ttl,
                            String shutdownPolicy) {

    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(60);

    public CreateOptions {
        env = env == null ? Map.of() : Map.copyOf(env);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        readyTimeout = readyTimeout == null ? DEFAULT_READY_TIMEOUT : readyTimeout;
        if (readyTimeout.isNegative() || readyTimeout.isZero()) throw new IllegalArgumentException("readyTimeout: must be positive");
        if (shutdownTime != null && ttl != null) throw new IllegalArgumentException("give shutdownTime or ttl, not both");
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) throw new IllegalArgumentException("ttl: must be positive");
        if (shutdownPolicy != null && !shutdownPolicy.equals("Delete") && !shutdownPolicy.equals("Retain")) {
            throw new IllegalArgumentException("shutdownPolicy: must be Delete or Retain, got " + shutdownPolicy);
        }
    }

    public static CreateOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The shutdown time to put on a claim created now, or null. */
    public Instant effectiveShutdownTime(Instant now) {
        return ttl != null ? now.plus(ttl) : shutdownTime;
    }

    public static final class Builder {
        private String namespace;
        private String claimName;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> labels = new LinkedHashMap<>();
        private final Map<String, String> annotations = new LinkedHashMap<>();
        private Duration readyTimeout;
        private Instant shutdownTime;
        private Duration ttl;
        private String shutdownPolicy;

        private Builder() {}

        public Builder namespace(String namespace) { this.namespace = namespace; return this; }
        public Builder claimName(String claimName) { this.claimName = claimName; return this; }
        public Builder env(String name, String value) { env.put(name, value); return this; }
        public Builder env(Map<String, String> vars) { env.putAll(vars); return this; }
        public Builder label(String key, String value) { labels.put(key, value); return this; }
        public Builder labels(Map<String, String> more) { labels.putAll(more); return this; }
        public Builder annotation(String key, String value) { annotations.put(key, value); return this; }
        /** Restore the new sandbox from this PodSnapshot (the {@code podsnapshot.gke.io/ps-name} annotation); needs a cold start. */
        public Builder restoreFrom(String podSnapshotName) { annotations.put(dev.agentbox.api.Names.PS_NAME_ANNOTATION, podSnapshotName); return this; }
        public Builder readyTimeout(Duration timeout) { this.readyTimeout = timeout; return this; }
        public Builder shutdownTime(Instant at) { this.shutdownTime = at; return this; }
        public Builder ttl(Duration ttl) { this.ttl = ttl; return this; }
        public Builder shutdownPolicy(String policy) { this.shutdownPolicy = policy; return this; }

        public CreateOptions build() {
            return new CreateOptions(namespace, claimName, env, labels, annotations, readyTimeout, shutdownTime, ttl, shutdownPolicy);
        }
    }
}
