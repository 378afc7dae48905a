package dev.agentbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Sandbox;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "claim", sortOptions = false,
        description = {"Claim a sandbox from a warm pool (creates a SandboxClaim).",
                "With --wait, waits until the claim is Ready and prints the claim's and the sandbox's names:",
                "  claim: python-pool-x7k2p", "  sandbox: python-pool-4hq8d",
                "While its sandbox waits for an image pull, --wait prints the claim's Ready reason and message",
                "on stderr (ContainerCreating with the pull's progress, ErrImagePull, ImagePullBackOff).",
                "Use the sandbox name with `agentbox exec` and `agentbox cp`; release it with",
                "`agentbox delete claim NAME`."},
        footer = {"", "Examples:", "  agentbox claim python-pool --wait", "  agentbox claim python-pool --name my-claim --ttl 30m"})
final class ClaimCommand extends BaseCommand {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Parameters(index = "0", paramLabel = "POOL", description = "the SandboxWarmPool to claim from")
    String pool;

    @Option(names = "--wait", description = "wait until the claim is Ready (see --timeout)")
    boolean await;

    @Option(names = "--name", paramLabel = "NAME", description = "the claim's name (default: POOL-xxxxx)")
    String name;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class, description = "how long --wait waits (default: 60s)")
    Duration timeout = Duration.ofSeconds(60);

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.class,
            description = "release the sandbox automatically after this long (sets spec.lifecycle.shutdownTime)")
    Duration ttl;

    @Override
    int run() {
        String claimName = name != null ? name : pool + "-" + suffix();
        if (await) {
            long start = System.nanoTime();
            CreateOptions.Builder b = CreateOptions.builder().claimName(claimName).readyTimeout(timeout);
            if (ttl != null) b.ttl(ttl);
            Sandbox sandbox;
            try (AutoCloseable progress = showImagePulls(claimName)) {
                sandbox = client().createSandbox(pool, b.build()); // not closed: the claim outlives this command
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
            out().println("claim: " + sandbox.claimName());
            out().println("sandbox: " + sandbox.name());
            err().println("Ready in " + ms + " ms");
            return 0;
        }
        ObjectNode claim = Manifests.JSON.createObjectNode();
        claim.put("apiVersion", ResourceType.SANDBOX_CLAIM.apiVersion());
        claim.put("kind", ResourceType.SANDBOX_CLAIM.kind());
        claim.putObject("metadata").put("name", claimName);
        ObjectNode spec = claim.putObject("spec");
        spec.putObject("warmPoolRef").put("name", pool);
        if (ttl != null) spec.putObject("lifecycle").put("shutdownTime", Instant.now().plus(ttl).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        var result = client().resources().create(Manifests.toResource(claim));
        result.warnings().forEach(w -> err().println("Warning: " + w));
        out().println("claim: " + claimName);
        out().println("sandbox: (pending; `agentbox get claim " + claimName + "` shows it once Ready)");
        return 0;
    }

    /** The Ready reasons of a start waiting for its image (the kubelet's): printed while --wait waits. */
    static final java.util.Set<String> PULL_REASONS = java.util.Set.of("ContainerCreating", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull");

    /**
     * Watches the claim while --wait waits and prints, on stderr, each new Ready message that says its sandbox waits for
     * an image (the pull's progress, the registry's error, the back-off). Best effort: a server that cannot watch
     * just shows nothing.
     */
    private AutoCloseable showImagePulls(String claimName) {
        String[] last = {null};
        try {
            var watch = client().resources().watch(ResourceType.SANDBOX_CLAIM, null, claimName, event -> {
                var ready = Manifests.JSON.valueToTree(event.object()).path("status").path("conditions");
                for (var c : ready) {
                    if (!"Ready".equals(c.path("type").asText()) || !PULL_REASONS.contains(c.path("reason").asText())) continue;
                    String line = c.path("reason").asText() + ": " + c.path("message").asText();
                    synchronized (last) {
                        if (line.equals(last[0])) continue;
                        last[0] = line;
                    }
                    err().println("claim " + claimName + ": " + line);
                    err().flush();
                }
            });
            return watch::close;
        } catch (RuntimeException e) {
            return () -> { };
        }
    }

    private static String suffix() {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }
}
