package dev.agentbox.server.sandbox;

import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.server.controller.ObjectKey;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each sandbox's probes on their own schedule, as the kubelet's prober workers do: the startup probe until it
 * passes (the others wait for it) or fails failureThreshold times; then liveness and readiness every periodSeconds,
 * a result counting only after successThreshold/failureThreshold consecutive ones. Each probe is a virtual thread
 * that sleeps between runs: a sandbox without probes costs nothing, and nothing ticks. A change of the outcome
 * calls the listener (the Sandbox controller reconciles then).
 */
public final class ProbeRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProbeRunner.class);

    /** What the probes say about a sandbox now. {@code failed}: why it must be restarted (startup or liveness), or null. */
    public record State(boolean started, boolean ready, String failed) {}

    private final Map<ObjectKey, Worker> workers = new ConcurrentHashMap<>();
    private final Consumer<ObjectKey> onChange;

    public ProbeRunner(Consumer<ObjectKey> onChange) {
        this.onChange = onChange;
    }

    /** Starts probing this sandbox (once per running sandbox; a new one replaces the old). Returns the current state. */
    public State ensure(ObjectKey key, RunningSandbox sandbox, Probes.Set probes) {
        Worker w = workers.get(key);
        if (w != null && w.sandbox == sandbox) return w.state;
        if (w != null) w.stop();
        Worker n = new Worker(key, sandbox, probes);
        workers.put(key, n);
        n.start();
        return n.state;
    }

    public void stop(ObjectKey key) {
        Worker w = workers.remove(key);
        if (w != null) w.stop();
    }

    @Override
    public void close() {
        workers.values().forEach(Worker::stop);
        workers.clear();
    }

    private final class Worker {
        final ObjectKey key;
        final RunningSandbox sandbox;
        final Probes.Set probes;
        volatile State state;
        volatile boolean stopped;
        private final java.util.List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

        Worker(ObjectKey key, RunningSandbox sandbox, Probes.Set probes) {
            this.key = key;
            this.sandbox = sandbox;
            this.probes = probes;
            this.state = new State(probes.startup() == null, probes.readiness() == null, null);
        }

        void start() {
            if (probes.startup() != null) spawn("startup", () -> {
                if (loop(probes.startup(), true)) {
                    set(new State(true, state.ready(), state.failed()));
                    startSteady();
                }
            });
            else startSteady();
        }

        private void startSteady() {
            if (probes.liveness() != null) spawn("liveness", () -> loop(probes.liveness(), false));
            if (probes.readiness() != null) spawn("readiness", this::readiness);
        }

        private void spawn(String name, Runnable body) {
            threads.add(Thread.ofVirtual().name("probe-" + name + "-" + key.name()).start(body));
        }

        /**
         * Startup (untilSuccess) or liveness: failureThreshold consecutive failures mark the sandbox failed.
         * Returns true when the startup probe passed.
         */
        private boolean loop(Probes.Spec spec, boolean untilSuccess) {
            String which = untilSuccess ? "startup" : "liveness";
            if (!sleep(spec.initialDelay())) return false;
            int failures = 0;
            while (!stopped && sandbox.isAlive()) {
                if (Probes.run(sandbox, spec)) {
                    failures = 0;
                    if (untilSuccess) return true;
                } else if (++failures >= spec.failureThreshold()) {
                    log.info("sandbox {}: {} probe failed {} times in a row", key, which, failures);
                    set(new State(state.started(), false, "the " + which + " probe failed " + failures + " times in a row"));
                    return false;
                }
                if (!sleep(spec.period())) return false;
            }
            return false;
        }

        /** Ready after successThreshold consecutive passes, not ready after failureThreshold consecutive failures. */
        private void readiness() {
            Probes.Spec spec = probes.readiness();
            if (!sleep(spec.initialDelay())) return;
            int passes = 0, failures = 0;
            while (!stopped && sandbox.isAlive()) {
                if (Probes.run(sandbox, spec)) {
                    failures = 0;
                    if (++passes >= spec.successThreshold() && !state.ready()) set(new State(state.started(), true, state.failed()));
                } else {
                    passes = 0;
                    if (++failures >= spec.failureThreshold() && state.ready()) set(new State(state.started(), false, state.failed()));
                }
                // until it is first Ready, retry soon (as the kubelet's first probes do not wait a whole period)
                Duration wait = state.ready() ? spec.period() : min(spec.period(), Duration.ofMillis(250));
                if (!sleep(wait)) return;
            }
        }

        private Duration min(Duration a, Duration b) {
            return a.compareTo(b) < 0 ? a : b;
        }

        private void set(State s) {
            state = s;
            if (!stopped) onChange.accept(key);
        }

        private boolean sleep(Duration d) {
            try {
                Thread.sleep(d);
                return !stopped;
            } catch (InterruptedException e) {
                return false;
            }
        }

        void stop() {
            stopped = true;
            threads.forEach(Thread::interrupt);
        }
    }
}
