package dev.agentbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.client.ApplyResult;
import dev.agentbox.client.CommandRequest;
import dev.agentbox.client.CommandResult;
import dev.agentbox.client.CreateOptions;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.Sandbox;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.client.Watch;
import dev.agentbox.client.WatchEvent;
import dev.agentbox.client.Watcher;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "quickstart", sortOptions = false,
        description = {"See agentbox work end to end, in one command, with nothing left behind:",
                "starts an embedded agentboxd (temporary state directory, free port), applies",
                "examples/python-runtime-template.yaml and examples/warm-pool.yaml, claims a sandbox from the pool,",
                "runs a Python snippet that computes the 56th prime number inside the gVisor sandbox, prints the answer",
                "with the claim and exec timings and the kernel the sandbox sees, then deletes everything."})
final class QuickstartCommand implements Callable<Integer> {
    static final String TEMPLATE_FILE = "examples/python-runtime-template.yaml";
    static final String POOL_FILE = "examples/warm-pool.yaml";
    static final String PRIME_SNIPPET = String.join("\n",
            "def nth_prime(n):",
            "    count, k = 0, 1",
            "    while count < n:",
            "        k += 1",
            "        if all(k % d for d in range(2, int(k ** 0.5) + 1)):",
            "            count += 1",
            "    return k",
            "print(nth_prime(56))");

    @Spec
    CommandSpec spec;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class, description = "how long to wait for the warm pool and the claim (default: 2m)")
    Duration timeout = Duration.ofMinutes(2);

    @Option(names = "--repo", paramLabel = "DIR", description = "the repository root holding examples/ (default: found from $AGENTBOX_REPO, the current directory or the jar)")
    Path repo;

    private PrintWriter out;

    private void step(String line) {
        out.println(line);
        out.flush();
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path root = repo != null ? repo : findRepo();
        Path templateFile = root.resolve(TEMPLATE_FILE);
        Path poolFile = root.resolve(POOL_FILE);
        List<ObjectNode> manifests = new ArrayList<>();
        manifests.addAll(Manifests.parse(Files.readString(templateFile), TEMPLATE_FILE));
        manifests.addAll(Manifests.parse(Files.readString(poolFile), POOL_FILE));
        String pool = manifests.stream().filter(m -> "SandboxWarmPool".equals(m.path("kind").asText()))
                .map(m -> m.path("metadata").path("name").asText()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(POOL_FILE + " holds no SandboxWarmPool"));

        Path stateDir = Files.createTempDirectory("agentbox-quickstart-");
        long t0 = System.nanoTime();
        step("starting agentboxd (state in " + stateDir + ") ...");
        Agentboxd daemon = null;
        SandboxClient client = null;
        Sandbox sandbox = null;
        try {
            daemon = Agentboxd.start(new AgentboxdConfig(stateDir, "127.0.0.1", 0).withStopSandboxesOnExit(true));
            step("agentboxd listening on " + daemon.endpoint() + " (" + ms(t0) + ")");
            client = SandboxClient.builder().endpoint(daemon.endpoint()).caFile(daemon.caFile()).token(daemon.adminToken()).stateDir(stateDir).build();
            for (ObjectNode m : manifests) {
                ApplyResult r = client.resources().apply(Manifests.toResource(m));
                r.warnings().forEach(w -> step("Warning: " + w));
                step(ResourceType.of(r.object()).qualifiedSingular() + "/" + r.object().getMetadata().getName()
                        + (r.action() == ApplyResult.Action.CREATED ? " created" : " configured"));
            }
            awaitPool(client, pool);
            step("claiming a sandbox from warm pool " + pool + " ...");
            long claimStart = System.nanoTime();
            sandbox = client.createSandbox(pool, CreateOptions.builder().readyTimeout(timeout).build());
            String claimTime = ms(claimStart);
            step("claim " + sandbox.claimName() + " -> sandbox " + sandbox.name() + " Ready in " + claimTime);

            step("running Python in the sandbox: the 56th prime number ...");
            long execStart = System.nanoTime();
            CommandResult prime = sandbox.commands().run(CommandRequest.of("python3", "-c", PRIME_SNIPPET).withTimeout(Duration.ofSeconds(60)));
            String execTime = ms(execStart);
            if (!prime.succeeded()) {
                throw new IllegalStateException("the Python snippet failed (exit " + prime.exitCode() + (prime.timedOut() ? ", timed out" : "") + "): "
                        + prime.stderr().strip());
            }
            CommandResult uname = sandbox.commands().run(List.of("uname", "-r"));
            step("");
            step("The 56th prime number is " + prime.stdout().strip());
            step("  computed inside gVisor sandbox " + sandbox.name() + " (kernel " + uname.stdout().strip()
                    + " as the sandbox sees it; the host runs " + System.getProperty("os.version") + ")");
            step("  claim -> Ready: " + claimTime + "; exec round trip: " + execTime + " (python3 ran " + prime.duration().toMillis() + " ms)");
            step("");
            return 0;
        } finally {
            step("cleaning up ...");
            if (sandbox != null) quietly(sandbox::close);
            if (client != null) {
                SandboxClient c = client;
                for (ObjectNode m : manifests.reversed()) {
                    quietly(() -> c.resources().delete(ResourceType.of(Manifests.toResource(m)), m.path("metadata").path("name").asText()));
                }
                quietly(c::close);
            }
            if (daemon != null) quietly(daemon::close);
            quietly(() -> deleteTree(stateDir));
            step("done (" + ms(t0) + " in all)");
        }
    }

    /** Waits on a watch until the pool has a ready member, printing its progress. */
    private void awaitPool(SandboxClient client, String pool) throws InterruptedException {
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        String last = "";
        try (Watch w = client.resources().watch(ResourceType.SANDBOX_WARM_POOL, null, pool, new Watcher() {
            @Override
            public void onEvent(WatchEvent event) {
                events.add(event);
            }

            @Override
            public void onClose(Throwable error) {
                events.add(error == null ? "closed" : error);
            }
        })) {
            while (true) {
                long left = deadline - System.nanoTime();
                Object e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
                if (e == null) throw new dev.agentbox.api.SandboxTimeoutException("warm pool " + pool + " has no ready sandbox after "
                        + timeout.toSeconds() + "s (" + (last.isEmpty() ? "no status yet" : last) + "); is runsc installed? see `agentbox serve` logs");
                if (!(e instanceof WatchEvent event)) throw new IllegalStateException("the watch on warm pool " + pool + " ended: " + e);
                var node = Manifests.tree(event.object());
                int ready = node.path("status").path("readyReplicas").asInt(0);
                int want = node.path("spec").path("replicas").asInt(0);
                String now = ready + "/" + want + " ready";
                if (!now.equals(last)) {
                    step("warm pool " + pool + ": " + now + " (" + ms(start) + ")");
                    last = now;
                }
                if (ready > 0) return;
            }
        }
    }

    static Path findRepo() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("AGENTBOX_REPO");
        if (env != null && !env.isBlank()) candidates.add(Path.of(env));
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) candidates.add(p);
        try {
            Path jar = Path.of(QuickstartCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar.getParent(); p != null; p = p.getParent()) candidates.add(p);
        } catch (Exception e) {
            // no code source: rely on the other candidates
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c.resolve(TEMPLATE_FILE)) && Files.isRegularFile(c.resolve(POOL_FILE))) return c;
        }
        throw new IllegalArgumentException("cannot find " + TEMPLATE_FILE + " and " + POOL_FILE
                + "; run from the agentbox repository (or pass --repo DIR)");
    }

    private static String ms(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + " ms";
    }

    private interface Action {
        void run() throws Exception;
    }

    private void quietly(Action a) {
        try {
            a.run();
        } catch (Exception e) {
            step("  (cleanup: " + Main.message(e) + ")");
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
