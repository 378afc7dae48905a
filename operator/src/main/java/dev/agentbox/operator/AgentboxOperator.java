package dev.agentbox.operator;

import dev.agentbox.operator.reconcilers.ClusterEvents;
import dev.agentbox.operator.reconcilers.SandboxClaimReconciler;
import dev.agentbox.operator.reconcilers.SandboxReconciler;
import dev.agentbox.operator.reconcilers.SandboxTemplateReconciler;
import dev.agentbox.operator.reconcilers.SandboxWarmPoolReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Clock;
import java.util.Set;

/** Builds the Java Operator SDK operator with agentbox's four reconcilers. */
public final class AgentboxOperator {
    /** The Lease used for leader election (in the operator's namespace). */
    public static final String LEASE_NAME = "agentbox-operator-leader";

    private AgentboxOperator() {
    }

    /**
     * @param namespaces     the namespaces to watch; empty: all namespaces
     * @param leaseNamespace where the leader-election Lease lives, or null to run without leader election
     */
    public static Operator create(KubernetesClient client, Set<String> namespaces, String leaseNamespace, OperatorMetrics metrics, Clock clock) {
        return create(client, namespaces, leaseNamespace, true, metrics, clock);
    }

    /**
     * @param exitOnLostLease exit the JVM when leadership is lost (in production: yes, so the Pod restarts as a
     *                        standby and never reconciles without the Lease)
     */
    public static Operator create(KubernetesClient client, Set<String> namespaces, String leaseNamespace, boolean exitOnLostLease,
                                  OperatorMetrics metrics, Clock clock) {
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withMetrics(metrics)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withStopOnInformerErrorDuringStartup(true)
                    .withConcurrentReconciliationThreads(8);
            if (leaseNamespace != null) o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(LEASE_NAME, leaseNamespace,
                    LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                    LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, null, null, exitOnLostLease));
        });
        ClusterEvents events = new ClusterEvents(client, clock);
        register(operator, new SandboxReconciler(clock, events), namespaces);
        register(operator, new SandboxTemplateReconciler(), namespaces);
        register(operator, new SandboxWarmPoolReconciler(events), namespaces);
        register(operator, new SandboxClaimReconciler(clock, events), namespaces);
        return operator;
    }

    private static <P extends io.fabric8.kubernetes.api.model.HasMetadata> void register(Operator operator,
            io.javaoperatorsdk.operator.api.reconciler.Reconciler<P> reconciler, Set<String> namespaces) {
        operator.register(reconciler, o -> {
            if (!namespaces.isEmpty()) o.settingNamespaces(namespaces);
        });
    }
}
