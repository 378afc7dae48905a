package dev.agentbox.server;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;

/** agentboxd's Prometheus metrics, in a registry of its own (several daemons can live in one JVM in tests). */
public final class Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram claimStartup = Histogram.builder()
            .name("agentbox_claim_startup_seconds")
            .help("Time from SandboxClaim creation to Ready, by path (warm: bound a pool member; cold: started a sandbox)")
            .labelNames("path")
            .classicUpperBounds(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10)
            .register(registry);
    private final Histogram exec = Histogram.builder()
            .name("agentbox_exec_duration_seconds")
            .help("Time to run one command in a sandbox, as seen by the daemon")
            .classicUpperBounds(0.002, 0.005, 0.008, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30)
            .register(registry);
    private final Gauge sandboxes = Gauge.builder()
            .name("agentbox_sandboxes")
            .help("Sandbox objects by state (Ready, Starting, Suspended, Failed, Expired)")
            .labelNames("state")
            .register(registry);

    public void claimStarted(boolean warm, Duration elapsed) {
        claimStartup.labelValues(warm ? "warm" : "cold").observe(elapsed.toNanos() / 1e9);
    }

    public void execFinished(Duration elapsed) {
        exec.observe(elapsed.toNanos() / 1e9);
    }

    public void sandboxesInState(String state, int count) {
        sandboxes.labelValues(state).set(count);
    }

    private volatile Runnable beforeScrape = () -> {};

    /** Runs before each scrape: gauges that are cheap to compute when asked and costly to keep up to date. */
    public void beforeScrape(Runnable action) {
        this.beforeScrape = action;
    }

    public byte[] scrape() {
        beforeScrape.run();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new PrometheusTextFormatWriter(false).write(out, registry.scrape());
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
