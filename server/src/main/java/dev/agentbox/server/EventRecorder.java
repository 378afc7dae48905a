package dev.agentbox.server;

import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events about agentboxd's objects, as client-go's event recorder does for Kubernetes controllers:
 * {@code involvedObject} (apiVersion, kind, namespace, name, uid, resourceVersion), {@code source.component} and
 * {@code reportingComponent} "agentboxd", {@code firstTimestamp}/{@code lastTimestamp}, and {@code count}. An event
 * identical to one recorded before (same involved object, type, reason and message) while that one is still stored
 * updates it ({@code count}+1, {@code lastTimestamp}) instead of adding another. Events live in the store like every other
 * kind (group "", {@code /api/v1/namespaces/{ns}/events}).
 *
 * <p>Never in a controller's way: {@link #record} only puts the event on a bounded queue (an event that does not fit
 * is dropped, as client-go drops on a full broadcaster) and one thread writes them; a failed write is logged and
 * forgotten. As client-go's spam filter, an involved object gets at most {@value #SPAM_BURST} events in a burst, then one
 * more every 5 minutes. Events older than the TTL (one hour, as Kubernetes keeps them) are deleted by a periodic
 * sweep, and a namespace holds at most {@link #DEFAULT_MAX_PER_NAMESPACE}: past it the oldest go first, so an event
 * storm cannot fill the store.
 */
public final class EventRecorder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);

    public static final String COMPONENT = "agentboxd";
    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";

    static final Duration DEFAULT_TTL = Duration.ofHours(1);
    static final int DEFAULT_MAX_PER_NAMESPACE = 1000;
    static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(1);
    static final int QUEUE_LENGTH = 1000;
    /** Identical events remembered for aggregation (client-go's LRU size). */
    static final int CACHE_ENTRIES = 4096;
    static final int SPAM_BURST = 25;
    static final Duration SPAM_REFILL = Duration.ofMinutes(5);
    private static final int MAX_MESSAGE = 1024;

    private static final EventRecorder DISABLED = new EventRecorder();

    private final Store store;
    private final Clock clock;
    private final String instance;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE_LENGTH);
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private volatile boolean closing;

    // owned by the writer thread
    private final Map<String, String> recent = lru(CACHE_ENTRIES);
    private final Map<String, Bucket> buckets = lru(CACHE_ENTRIES);
    private Instant lastSweep;
    private Instant lastUsedName = Instant.EPOCH;

    // package-private knobs for tests
    volatile Duration ttl = DEFAULT_TTL;
    volatile int maxPerNamespace = DEFAULT_MAX_PER_NAMESPACE;
    volatile Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;

    private record Pending(ObjectReference involved, String namespace, String type, String reason, String action, String message, Instant at) {}

    private EventRecorder() {
        this.store = null;
        this.clock = Clock.systemUTC();
        this.instance = COMPONENT;
        this.writer = null;
    }

    public EventRecorder(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.instance = COMPONENT + "-" + hostName();
        this.lastSweep = clock.instant();
        this.writer = Thread.ofPlatform().daemon().name("event-recorder").start(this::run);
    }

    /** A recorder that records nothing (controllers built without one, in tests). */
    public static EventRecorder disabled() {
        return DISABLED;
    }

    public void normal(HasMetadata involved, String reason, String action, String message) {
        record(involved, NORMAL, reason, action, message);
    }

    public void warning(HasMetadata involved, String reason, String action, String message) {
        record(involved, WARNING, reason, action, message);
    }

    /**
     * Queues an event about {@code involved} ({@code type} Normal or Warning; {@code action} what was being done, as
     * events.k8s.io's, may be null). Returns at once and never throws.
     */
    public void record(HasMetadata involved, String type, String reason, String action, String message) {
        if (writer == null || closing || involved == null || involved.getMetadata() == null) return;
        try {
            ObjectMeta m = involved.getMetadata();
            ObjectReference ref = new ObjectReferenceBuilder().withApiVersion(involved.getApiVersion()).withKind(involved.getKind())
                    .withNamespace(m.getNamespace()).withName(m.getName()).withUid(m.getUid()).withResourceVersion(m.getResourceVersion()).build();
            // cluster-scoped objects' events go to "default", as client-go puts them
            String ns = m.getNamespace() == null || m.getNamespace().isEmpty() ? "default" : m.getNamespace();
            String msg = message == null ? "" : message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
            queued.incrementAndGet();
            if (!queue.offer(new Pending(ref, ns, type, reason, action, msg, clock.instant()))) {
                handled.incrementAndGet();
                if (dropped.getAndIncrement() == 0) log.warn("event queue full ({} events); dropping events until it drains", QUEUE_LENGTH);
            }
        } catch (RuntimeException e) {
            log.debug("event {} not recorded: {}", reason, e.toString());
        }
    }

    /** Events that did not fit in the queue since start. */
    long dropped() {
        return dropped.get();
    }

    /** True when every event recorded so far has been written (or dropped); tests wait on it. */
    boolean drained() {
        return handled.get() == queued.get();
    }

    private void run() {
        while (true) {
            Pending p;
            try {
                p = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (!closing) continue;
                p = null;
            }
            if (p == null && closing) return;
            try {
                if (p != null) write(p);
                if (lastSweep == null || !clock.instant().isBefore(lastSweep.plus(sweepInterval))) {
                    lastSweep = clock.instant();
                    sweep();
                }
            } catch (RuntimeException e) {
                // the store is closing, or a write failed: an event is never worth more than a log line
                log.debug("event write failed: {}", e.toString());
            } finally {
                if (p != null) handled.incrementAndGet();
            }
            if (p != null && dropped.get() > 0 && queue.isEmpty()) {
                log.warn("{} event(s) were dropped while the event queue was full", dropped.getAndSet(0));
            }
        }
    }

    private void write(Pending p) {
        ObjectReference ref = p.involved();
        String spamKey = ref.getKind() + "/" + p.namespace() + "/" + ref.getName() + "/" + ref.getUid();
        if (!buckets.computeIfAbsent(spamKey, k -> new Bucket(p.at())).take(p.at())) return;
        String key = spamKey + "|" + p.type() + "|" + p.reason() + "|" + p.message();
        String timestamp = p.at().truncatedTo(ChronoUnit.SECONDS).toString();
        String known = recent.get(key);
        if (known != null) {
            Event stored = store.get(Event.class, p.namespace(), known).orElse(null);
            if (stored != null) {
                stored.setCount(stored.getCount() == null ? 2 : stored.getCount() + 1);
                stored.setLastTimestamp(timestamp);
                stored.getMetadata().setResourceVersion(null);
                store.update(stored);
                return;
            }
        }
        makeRoom(p.namespace());
        if (ref.getResourceVersion() == null) ref.setResourceVersion(currentResourceVersion(ref));
        Event e = new Event();
        e.setMetadata(new ObjectMeta());
        e.getMetadata().setNamespace(p.namespace());
        e.getMetadata().setName(eventName(ref.getName(), p.at()));
        e.setInvolvedObject(ref);
        e.setType(p.type());
        e.setReason(p.reason());
        e.setAction(p.action());
        e.setMessage(p.message());
        e.setSource(new EventSource(COMPONENT, null));
        e.setReportingComponent(COMPONENT);
        e.setReportingInstance(instance);
        e.setFirstTimestamp(timestamp);
        e.setLastTimestamp(timestamp);
        e.setCount(1);
        Event created = store.create(e);
        recent.put(key, created.getMetadata().getName());
    }

    /**
     * The involved object's resourceVersion now: controllers clear it on the objects they write (a write without a
     * precondition), so an event recorded after such a write names the version that write made.
     */
    private String currentResourceVersion(ObjectReference ref) {
        var kind = dev.agentbox.api.ResourceKinds.byApiVersionAndKind(ref.getApiVersion(), ref.getKind()).orElse(null);
        if (kind == null || ref.getName() == null) return null;
        String ns = kind.namespaced() ? ref.getNamespace() : "";
        return store.get(kind.type(), ns, ref.getName())
                .filter(o -> ref.getUid() == null || ref.getUid().equals(o.getMetadata().getUid()))
                .map(o -> o.getMetadata().getResourceVersion()).orElse(null);
    }

    /** As Kubernetes names them: the involved object's name and the time in hexadecimal nanoseconds, unique here. */
    private String eventName(String objectName, Instant at) {
        Instant t = at.isAfter(lastUsedName) ? at : lastUsedName.plusNanos(1);
        lastUsedName = t;
        String prefix = objectName.length() > 236 ? objectName.substring(0, 236) : objectName;
        return prefix + "." + Long.toHexString(t.getEpochSecond() * 1_000_000_000L + t.getNano());
    }

    /** A namespace at its cap loses its oldest events (a tenth of the cap at once, so a storm does not delete one per write). */
    private void makeRoom(String ns) {
        int max = maxPerNamespace;
        long count = store.count(Event.class, ns);
        if (count < max) return;
        List<Event> events = store.list(Event.class, ns);
        events.sort(Comparator.comparing(EventRecorder::lastSeen).thenComparing(ev -> revision(ev)));
        long remove = count - max + Math.max(1, max / 10);
        for (int i = 0; i < remove && i < events.size(); i++) {
            store.delete(Event.class, ns, events.get(i).getMetadata().getName());
        }
        log.info("namespace {} reached {} events; deleted the {} oldest", ns, max, Math.min(remove, events.size()));
    }

    /** Deletes the events last seen before the TTL. */
    private void sweep() {
        Instant cutoff = clock.instant().minus(ttl);
        int deleted = 0;
        for (Event e : store.list(Event.class, null)) {
            if (lastSeen(e).isBefore(cutoff)) {
                store.delete(Event.class, e.getMetadata().getNamespace(), e.getMetadata().getName(), e.getMetadata().getResourceVersion());
                deleted++;
            }
        }
        if (deleted > 0) log.debug("deleted {} event(s) older than {}", deleted, ttl);
    }

    private static Instant lastSeen(Event e) {
        for (String t : new String[] {e.getLastTimestamp(), e.getFirstTimestamp(), e.getMetadata().getCreationTimestamp()}) {
            if (t == null || t.isEmpty()) continue;
            try {
                return Instant.parse(t);
            } catch (DateTimeParseException ignored) {
                // the next one
            }
        }
        return Instant.EPOCH;
    }

    private static long revision(Event e) {
        try {
            return Long.parseLong(e.getMetadata().getResourceVersion());
        } catch (RuntimeException ex) {
            return 0;
        }
    }

    /** client-go's spam filter: a token bucket per involved object. */
    private static final class Bucket {
        private double tokens = SPAM_BURST;
        private Instant at;

        Bucket(Instant now) {
            this.at = now;
        }

        boolean take(Instant now) {
            long elapsed = Math.max(0, Duration.between(at, now).toMillis());
            tokens = Math.min(SPAM_BURST, tokens + (double) elapsed / SPAM_REFILL.toMillis());
            at = now;
            if (tokens < 1) return false;
            tokens -= 1;
            return true;
        }
    }

    private static <K, V> Map<K, V> lru(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    /** The host's name without a name lookup (InetAddress.getLocalHost can wait seconds on DNS). */
    private static String hostName() {
        try {
            String h = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) return h;
        } catch (java.io.IOException | RuntimeException ignored) {
            // not Linux
        }
        String h = System.getenv("HOSTNAME");
        return h == null || h.isBlank() ? "localhost" : h;
    }

    /** Writes what is queued (for up to 2 s), then stops; events recorded after this are ignored. */
    @Override
    public void close() {
        if (writer == null || closing) return;
        closing = true;
        try {
            writer.join(2_000);
            if (writer.isAlive()) {
                writer.interrupt();
                writer.join(1_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
