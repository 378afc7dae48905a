package dev.agentbox.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reconciliation counters per kind, rendered in the Prometheus text format at {@code /metrics}
 * ({@code agentbox_operator_reconciliations_total}, {@code agentbox_operator_reconciliation_failures_total}).
 */
public final class OperatorMetrics implements Metrics {
    private final Map<String, LongAdder> reconciliations = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> events = new ConcurrentHashMap<>();

    @Override
    public void reconcileCustomResource(HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
        reconciliations.computeIfAbsent(resource.getKind(), k -> new LongAdder()).increment();
    }

    @Override
    public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
        failures.computeIfAbsent(resource.getKind(), k -> new LongAdder()).increment();
    }

    @Override
    public void receivedEvent(io.javaoperatorsdk.operator.processing.event.Event event, Map<String, Object> metadata) {
        Object kind = metadata == null ? null : metadata.get("resource.kind");
        events.computeIfAbsent(kind == null ? "unknown" : kind.toString(), k -> new LongAdder()).increment();
    }

    public long reconciliations(String kind) {
        LongAdder a = reconciliations.get(kind);
        return a == null ? 0 : a.sum();
    }

    /** The counters in the Prometheus text exposition format. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        family(sb, "agentbox_operator_reconciliations_total", "Reconciliations started, by kind.", reconciliations);
        family(sb, "agentbox_operator_reconciliation_failures_total", "Reconciliations that threw, by kind.", failures);
        family(sb, "agentbox_operator_events_total", "Events received, by kind.", events);
        return sb.toString();
    }

    private static void family(StringBuilder sb, String name, String help, Map<String, LongAdder> values) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n");
        new TreeMap<>(values).forEach((kind, v) -> sb.append(name).append("{kind=\"").append(kind.replace("\"", "")).append("\"} ").append(v.sum()).append('\n'));
    }
}
