package dev.agentbox.operator.reconcilers;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events on the cluster about the operator's objects, with the reasons agentboxd uses
 * ({@link dev.agentbox.api.EventReasons}), as upstream's controllers do ({@code kubectl describe sandboxclaim} shows them).
 * A reconciler never waits for one: events are written by one background thread from a bounded queue, and one that does
 * not fit, or whose write fails (the API server refusing, RBAC without events/create), is dropped with a log line.
 * The API server expires them (its --event-ttl, one hour by default).
 */
public final class ClusterEvents {
    private static final Logger log = LoggerFactory.getLogger(ClusterEvents.class);
    public static final String COMPONENT = "agentbox-operator";
    private static final int QUEUE_LENGTH = 1000;
    private static final int MAX_MESSAGE = 1024;

    private final KubernetesClient client;
    private final Clock clock;
    private final String instance;
    private final AtomicLong lastNanos = new AtomicLong();
    private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE_LENGTH),
            r -> Thread.ofPlatform().daemon().name("operator-events").unstarted(r), new ThreadPoolExecutor.DiscardPolicy());

    public ClusterEvents(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
        String host = System.getenv("HOSTNAME");
        this.instance = COMPONENT + "-" + (host == null || host.isBlank() ? "local" : host);
    }

    public void normal(HasMetadata involved, String reason, String action, String message) {
        record(involved, "Normal", reason, action, message);
    }

    public void warning(HasMetadata involved, String reason, String action, String message) {
        record(involved, "Warning", reason, action, message);
    }

    private void record(HasMetadata involved, String type, String reason, String action, String message) {
        if (involved == null || involved.getMetadata() == null || involved.getMetadata().getNamespace() == null) return;
        var m = involved.getMetadata();
        Instant at = clock.instant();
        String ts = at.truncatedTo(ChronoUnit.SECONDS).toString();
        // unique per operator even for two events in one nanosecond, as Kubernetes names them: <object>.<hex time>
        long nanos = lastNanos.updateAndGet(prev -> Math.max(prev + 1, at.getEpochSecond() * 1_000_000_000L + at.getNano()));
        String prefix = m.getName().length() > 236 ? m.getName().substring(0, 236) : m.getName();
        String msg = message == null ? "" : message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
        var event = new EventBuilder()
                .withNewMetadata().withNamespace(m.getNamespace()).withName(prefix + "." + Long.toHexString(nanos)).endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(involved.getApiVersion()).withKind(involved.getKind())
                        .withNamespace(m.getNamespace()).withName(m.getName()).withUid(m.getUid()).withResourceVersion(m.getResourceVersion()).build())
                .withType(type).withReason(reason).withAction(action).withMessage(msg)
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT).withReportingInstance(instance)
                .withFirstTimestamp(ts).withLastTimestamp(ts).withCount(1)
                .build();
        writer.execute(() -> {
            try {
                client.v1().events().inNamespace(m.getNamespace()).resource(event).create();
            } catch (RuntimeException e) {
                log.debug("event {} about {}/{} not recorded: {}", reason, m.getNamespace(), m.getName(), e.toString());
            }
        });
    }
}
