package dev.agentbox.client.kubernetes;

import dev.agentbox.api.Conditions;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.SandboxTimeoutException;
import dev.agentbox.api.agents.v1beta1.PodMetadata;
import dev.agentbox.api.extensions.v1beta1.ClaimEnvVar;
import dev.agentbox.api.extensions.v1beta1.ClaimLifecycle;
import dev.agentbox.api.extensions.v1beta1.ClaimShutdownPolicy;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import dev.agentbox.api.extensions.v1beta1.SandboxClaimSpec;
import dev.agentbox.api.extensions.v1beta1.SandboxWarmPoolRef;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.ImageClient;
import dev.agentbox.client.ResourceClient;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes backend of the SDK: a claim is a SandboxClaim on the cluster (reconciled by the agentbox operator or
 * upstream agent-sandbox), awaited on a watch; commands and files go through {@code pods/exec}. Pick it with
 * {@code AGENTBOX_BACKEND=kubernetes}; the cluster comes from {@code KUBECONFIG} (or the in-cluster service account).
 */
public final class KubernetesSandboxClient implements SandboxClient {
    private static final Logger log = LoggerFactory.getLogger(KubernetesSandboxClient.class);
    /** Ready=False reasons after which a claim never becomes Ready. */
    static final Set<String> TERMINAL_REASONS = Set.of("PodFailed", "PodSucceeded", "PodTerminated", "SandboxExpired", "ClaimExpired", "ReconcilerError");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KubernetesClient client;
    private final String namespace;
    private final boolean closeClient;

    /**
     * @param closeClient whether {@link #close()} closes the fabric8 client too
     */
    public KubernetesSandboxClient(KubernetesClient client, String namespace, boolean closeClient) {
        this.client = client;
        this.namespace = namespace;
        this.closeClient = closeClient;
    }

    public KubernetesClient kubernetesClient() {
        return client;
    }

    @Override
    public String namespace() {
        return namespace;
    }

    static SandboxClaim claimFor(String warmPool, String ns, String name, CreateOptions o, Instant now) {
        SandboxClaim claim = new SandboxClaim();
        claim.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns)
                .withLabels(o.labels().isEmpty() ? null : new LinkedHashMap<>(o.labels()))
                .withAnnotations(o.annotations().isEmpty() ? null : new LinkedHashMap<>(o.annotations())).build());
        SandboxClaimSpec spec = new SandboxClaimSpec(new SandboxWarmPoolRef(warmPool));
        Instant shutdown = o.effectiveShutdownTime(now);
        if (shutdown != null || o.shutdownPolicy() != null) {
            spec.setLifecycle(new ClaimLifecycle(shutdown == null ? null : shutdown.truncatedTo(ChronoUnit.SECONDS).toString(), null,
                    o.shutdownPolicy() == null ? null : ClaimShutdownPolicy.fromValue(o.shutdownPolicy())));
        }
        if (!o.env().isEmpty()) {
            List<ClaimEnvVar> env = new ArrayList<>();
            o.env().forEach((k, v) -> env.add(new ClaimEnvVar(k, v)));
            spec.setEnv(env);
        }
        // a pinned restore (CreateOptions.restoreFrom) must reach the Pod: GKE reads podsnapshot.gke.io/ps-name there
        String pinned = o.annotations().get(dev.agentbox.api.Names.PS_NAME_ANNOTATION);
        if (pinned != null) spec.setAdditionalPodMetadata(new PodMetadata(null, new LinkedHashMap<>(Map.of(dev.agentbox.api.Names.PS_NAME_ANNOTATION, pinned))));
        claim.setSpec(spec);
        return claim;
    }

    static String generateName(String pool) {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder sb = new StringBuilder(pool.length() > 50 ? pool.substring(0, 50) : pool).append('-');
        for (int i = 0; i < 5; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }

    @Override
    public Sandbox createSandbox(String warmPool, CreateOptions options) {
        if (warmPool == null || warmPool.isBlank()) throw new InvalidException("spec.warmPoolRef.name", "required: the warm pool to claim from");
        String ns = options.namespace() == null ? namespace : options.namespace();
        String claimName = options.claimName() == null ? generateName(warmPool) : options.claimName();
        SandboxClaim claim = claimFor(warmPool, ns, claimName, options, Instant.now());
        try {
            client.resource(claim).create();
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "create SandboxClaim " + ns + "/" + claimName);
        }
        try {
            String sandbox = awaitReady(ns, claimName, options);
            return new KubernetesSandbox(client, ns, sandbox, claimName, true);
        } catch (RuntimeException e) {
            try {
                client.resources(SandboxClaim.class).inNamespace(ns).withName(claimName).delete();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Waits on a watch (fabric8 waitUntilCondition: list, then watch) until Ready=True with a bound sandbox, or a terminal reason. */
    private String awaitReady(String ns, String claimName, CreateOptions options) {
        AtomicReference<SandboxClaim> last = new AtomicReference<>();
        SandboxClaim done;
        try {
            done = client.resources(SandboxClaim.class).inNamespace(ns).withName(claimName).waitUntilCondition(c -> {
                if (c == null) return true; // deleted
                last.set(c);
                Condition ready = Conditions.get(c, Conditions.READY).orElse(null);
                if (ready == null) return false;
                if (Conditions.TRUE.equals(ready.getStatus())) return sandboxNameOf(c) != null;
                return Conditions.FALSE.equals(ready.getStatus()) && TERMINAL_REASONS.contains(ready.getReason());
            }, options.readyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (KubernetesClientTimeoutException e) {
            SandboxClaim l = last.get();
            String state = l == null ? "the claim was never seen" : Conditions.get(l, Conditions.READY).map(KubernetesSandboxClient::describe).orElse("no Ready condition yet");
            throw new SandboxTimeoutException("SandboxClaim " + ns + "/" + claimName + " did not become Ready within " + options.readyTimeout().toSeconds()
                    + " s (" + state + "); the claim was deleted. Check `kubectl get sandboxwarmpools,sandboxes -n " + ns
                    + "` and the operator's log, or wait longer (CreateOptions.readyTimeout)", e);
        } catch (KubernetesClientException e) {
            throw Errors.map(e, "watch SandboxClaim " + ns + "/" + claimName);
        }
        if (done == null) throw new SandboxFailedException("SandboxClaim " + ns + "/" + claimName + " was deleted while waiting for it to become Ready");
        Condition ready = Conditions.get(done, Conditions.READY).orElseThrow();
        if (!Conditions.TRUE.equals(ready.getStatus())) {
            throw new SandboxFailedException("SandboxClaim " + ns + "/" + claimName + " failed: " + describe(ready));
        }
        log.debug("claim {}/{} Ready with sandbox {}", ns, claimName, sandboxNameOf(done));
        return sandboxNameOf(done);
    }

    static String sandboxNameOf(SandboxClaim c) {
        String n = c.getStatus() == null || c.getStatus().getSandbox() == null ? null : c.getStatus().getSandbox().getName();
        if ((n == null || n.isEmpty()) && c.getMetadata().getAnnotations() != null) n = c.getMetadata().getAnnotations().get(dev.agentbox.api.Names.ASSIGNED_SANDBOX_NAME_ANNOTATION);
        return n == null || n.isEmpty() ? null : n;
    }

    private static String describe(Condition c) {
        return "Ready=" + c.getStatus() + (c.getReason() == null ? "" : ", reason " + c.getReason()) + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }

    @Override
    public Sandbox attach(String sandboxName) {
        if (sandboxName == null || sandboxName.isBlank()) throw new InvalidException("sandbox", "name required");
        return new KubernetesSandbox(client, namespace, sandboxName, null, false);
    }

    @Override
    public Sandbox attachClaim(String claimName) {
        SandboxClaim c = resources().get(SandboxClaim.class, claimName);
        String s = sandboxNameOf(c);
        if (s == null) throw new ConflictException("SandboxClaim " + namespace + "/" + claimName + " is not bound to a sandbox yet; wait until it is Ready", false);
        return new KubernetesSandbox(client, namespace, s, claimName, false);
    }

    @Override
    public ResourceClient resources() {
        return new KubernetesResourceClient(client, namespace);
    }

    /** On a cluster, sandbox images are container images named in the SandboxTemplate; there is no image store to manage. */
    @Override
    public ImageClient images() {
        return new ImageClient() {
            @Override
            public List<String> list() {
                return List.of();
            }

            @Override
            public void importImage(String name, Path source) {
                throw new InvalidException("image", "the Kubernetes backend has no image store: push the image to a registry and name it in the SandboxTemplate's podTemplate");
            }
        };
    }

    @Override
    public void close() {
        if (closeClient) client.close();
    }

}
