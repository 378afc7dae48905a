package dev.agentbox.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The object store: every resource as JSON in one SQLite file, with Kubernetes semantics
 * (uid, resourceVersion from one global revision counter, generation bumped on spec changes,
 * optimistic concurrency on resourceVersion, status written separately from spec).
 *
 * <p>Status belongs to agentboxd, as in Kubernetes: {@link #create} drops any status it is given and {@link #update}
 * keeps the stored one; only {@link #updateStatus}, which the HTTP API never calls, writes it. Server code that
 * creates an object with a status creates it first, then sets the status.
 *
 * <p>All writes go through one connection under one lock, so a write and the event it emits are
 * ordered; listeners are called after commit, in revision order, on the writer's thread.
 *
 * <p>The store keeps a bounded in-memory history of its recent changes ({@link #setHistoryLimits}; by default the last
 * {@value #DEFAULT_HISTORY_EVENTS} changes, at most {@value #DEFAULT_HISTORY_CHARS} characters of JSON and
 * {@value #DEFAULT_HISTORY_MINUTES} minutes), each with the object as it was before and after. It serves what
 * Kubernetes serves from etcd's history: a watch from a past revision ({@link #watch(String, long, Consumer)}) and a list
 * as of a past revision ({@link #list(Class, String, Predicate, long, Key, int)}: consistent pages, Exact lists). A
 * revision older than the history is refused with {@link ExpiredException} (410). The history starts empty at each start.
 */
public final class Store implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Store.class);
    private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    /** Changes kept for watches and lists from a past revision (see {@link #setHistoryLimits}). */
    public static final int DEFAULT_HISTORY_EVENTS = 2000;
    /** Characters of JSON (objects after and before each change) the history may hold. */
    public static final long DEFAULT_HISTORY_CHARS = 16L << 20;
    /** How long a change stays in the history at most. */
    public static final int DEFAULT_HISTORY_MINUTES = 5;

    private final Connection db;
    private final ObjectMapper mapper;
    private final List<Consumer<StoreEvent>> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private volatile WriteGuard guard = (namespace, object, create) -> { };
    private long revision;
    private final ArrayDeque<Change> history = new ArrayDeque<>();
    /** Every change after this revision is in {@link #history}. */
    private long historyStart;
    private long historyChars;
    private int historyMaxEvents = DEFAULT_HISTORY_EVENTS;
    private long historyMaxChars = DEFAULT_HISTORY_CHARS;
    private long historyMaxAgeNanos = TimeUnit.MINUTES.toNanos(DEFAULT_HISTORY_MINUTES);

    /** One change in the history: the stored JSON after it (for DELETED: as it was) and before it (null for ADDED). */
    private record Change(StoreEvent.Type type, String kind, Class<? extends HasMetadata> javaType, String namespace, String name,
                          long revision, String json, String previousJson, long nanos) {
        long chars() {
            return 64 + json.length() + (previousJson == null || previousJson == json ? 0 : previousJson.length());
        }
    }

    /** The key objects are ordered by in lists: namespace ("" for cluster-scoped kinds), then name. */
    public record Key(String namespace, String name) implements Comparable<Key> {
        public Key {
            java.util.Objects.requireNonNull(namespace, "namespace");
            java.util.Objects.requireNonNull(name, "name");
        }

        @Override
        public int compareTo(Key o) {
            int c = namespace.compareTo(o.namespace);
            return c != 0 ? c : name.compareTo(o.name);
        }
    }

    /**
     * One page of a list: the items (in {@link Key} order) as they were at {@code revision}; {@code last} is the key of the
     * last item when more items follow (the next page starts after it), else null.
     */
    public record Page<T>(List<T> items, long revision, Key last) {}

    /** The objects a watch starts with, the revision they are as of, and the handle that ends the watch. */
    public record Subscription<T>(List<T> items, long revision, AutoCloseable handle) {}

    /** A stored row: its JSON as stored and parsed. */
    private record Row(String json, ObjectNode tree) {}

    /**
     * What the store keeps in memory of every object, so that selecting objects by labels, owner or readiness costs
     * in proportion to the objects selected, not to every object of the kind: no row is read or parsed to be passed
     * over. {@code ready}: its status has the condition Ready=True. {@code resourceVersion}: as of the summary, for a
     * write or delete that must not act on a newer version (see {@link #delete(Class, String, String, String)}).
     */
    public record Summary(Key key, String resourceVersion, Map<String, String> labels, List<String> ownerUids, String creationTimestamp,
                          boolean ready) {
        static Summary of(String namespace, String name, JsonNode tree) {
            JsonNode meta = tree.path("metadata");
            List<String> owners = new ArrayList<>();
            for (JsonNode o : meta.path("ownerReferences")) owners.add(o.path("uid").asText());
            boolean ready = false;
            for (JsonNode c : tree.path("status").path("conditions")) {
                if ("Ready".equals(c.path("type").asText())) ready = "True".equals(c.path("status").asText());
            }
            return new Summary(new Key(namespace, name), meta.path("resourceVersion").asText(""), labelsOf(meta), List.copyOf(owners),
                    meta.path("creationTimestamp").asText(""), ready);
        }
    }

    /** Per store key, the {@link Summary} of every stored object in {@link Key} order; changed with each commit. */
    private final Map<String, java.util.TreeMap<Key, Summary>> index = new java.util.HashMap<>();

    /**
     * Checked under the store's write lock before an object is created or its metadata and spec replaced (not on
     * status writes), so a check and the write it allows are atomic: quotas cannot be overrun by concurrent requests.
     * Throwing refuses the write and leaves the store unchanged.
     */
    @FunctionalInterface
    public interface WriteGuard {
        void check(String namespace, HasMetadata object, boolean create);
    }

    public Store(Path file, ObjectMapper mapper) {
        this.mapper = mapper;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                // WAL + NORMAL: durable across a process crash (kill -9); only power loss may drop the last commits.
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS objects (
                          kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                          uid TEXT NOT NULL, revision INTEGER NOT NULL, json TEXT NOT NULL,
                          PRIMARY KEY (kind, namespace, name))""");
                s.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
                s.execute("INSERT OR IGNORE INTO meta VALUES ('revision', '0')");
                try (ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'revision'")) {
                    rs.next();
                    revision = Long.parseLong(rs.getString(1));
                }
                historyStart = revision;
                try (ResultSet rs = s.executeQuery("SELECT kind, namespace, name, json FROM objects")) {
                    while (rs.next()) indexPut(rs.getString(1), rs.getString(2), rs.getString(3), mapper.readTree(rs.getString(4)));
                }
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("cannot open the state database " + file + ": " + e.getMessage(), e);
        }
    }

    /** The store key of a resource class, e.g. {@code extensions.agents.x-k8s.io/sandboxclaims}. */
    public static String kindKey(Class<? extends HasMetadata> type) {
        return HasMetadata.getGroup(type) + "/" + HasMetadata.getPlural(type);
    }

    /** Installs the guard every create and update passes (see {@link WriteGuard}). */
    public void setGuard(WriteGuard guard) {
        this.guard = java.util.Objects.requireNonNull(guard, "guard");
    }

    /**
     * Bounds the history of changes that watches and lists from a past revision are served from: at most
     * {@code maxEvents} changes, {@code maxChars} characters of JSON and {@code maxAge}. Smaller bounds make clients
     * that fall behind re-list sooner (410 Expired); tests use a tiny history to provoke that.
     */
    public synchronized void setHistoryLimits(int maxEvents, long maxChars, java.time.Duration maxAge) {
        if (maxEvents < 0 || maxChars < 0 || maxAge.isNegative()) throw new IllegalArgumentException("history limits must not be negative");
        this.historyMaxEvents = maxEvents;
        this.historyMaxChars = maxChars;
        this.historyMaxAgeNanos = maxAge.toNanos();
        pruneHistory();
    }

    public synchronized long revision() {
        return revision;
    }

    /** The oldest revision a watch or list may start from: every change after it is still in the history. */
    public synchronized long oldestRevision() {
        pruneHistory();
        return historyStart;
    }

    /**
     * Creates the object; fills uid, resourceVersion, generation, creationTimestamp, and a name from generateName.
     * Any status is dropped (set it afterwards with {@link #updateStatus}).
     */
    public <T extends HasMetadata> T create(T object) {
        return create(object, false);
    }

    /**
     * As {@link #create(HasMetadata)}; with {@code dryRun}, everything is checked (name, existence, the write guard's
     * quotas) and the object is returned as it would be stored, without a resourceVersion, but nothing is written.
     */
    public <T extends HasMetadata> T create(T object, boolean dryRun) {
        ObjectNode node = mapper.valueToTree(object);
        node.remove("status");
        ObjectNode meta = node.with("metadata");
        String kind = kindKey(object.getClass());
        String ns = namespaceOf(object, text(meta, "namespace", "default"));
        if (ns.isEmpty()) meta.remove("namespace");
        else meta.put("namespace", ns);
        synchronized (this) {
            String name = text(meta, "name", "");
            if (name.isEmpty()) {
                String prefix = text(meta, "generateName", "");
                if (prefix.isEmpty()) throw new dev.agentbox.api.InvalidException("metadata.name", "required (or set metadata.generateName)");
                if (prefix.length() > 58) prefix = prefix.substring(0, 58); // as Kubernetes: the name stays a 63-character label
                do {
                    name = prefix + randomSuffix();
                } while (find(kind, ns, name) != null);
                meta.put("name", name);
            }
            if (find(kind, ns, name) != null) {
                throw new ConflictException(object.getKind() + " " + ns + "/" + name + " already exists; delete it first or use `agentbox apply` to update it", true);
            }
            guard.check(ns, object, true);
            long rev = revision + 1;
            String uid = UUID.randomUUID().toString();
            meta.put("uid", uid);
            meta.put("resourceVersion", Long.toString(rev));
            meta.put("generation", 1);
            meta.put("creationTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            meta.remove("deletionTimestamp");
            if (dryRun) {
                meta.remove("resourceVersion"); // as Kubernetes: a dry-run create has no resourceVersion
                return convert(node, object);
            }
            String json = write(kind, ns, name, uid, rev, node, true);
            T created = convert(node, object);
            emit(new StoreEvent(StoreEvent.Type.ADDED, kind, created, rev), object.getClass(), ns, name, json, null);
            return created;
        }
    }

    /** Replaces metadata and spec, keeping the stored status. A set resourceVersion must match. */
    public <T extends HasMetadata> T update(T object) {
        return replace(object, false, false);
    }

    /**
     * As {@link #update(HasMetadata)}; with {@code dryRun}, everything is checked (existence, resourceVersion, the write
     * guard's quotas) and the object is returned as it would be stored (with the stored resourceVersion), but nothing is
     * written.
     */
    public <T extends HasMetadata> T update(T object, boolean dryRun) {
        return replace(object, false, dryRun);
    }

    /** Replaces only the status, keeping the stored metadata and spec. A set resourceVersion must match. */
    public <T extends HasMetadata> T updateStatus(T object) {
        return replace(object, true, false);
    }

    private <T extends HasMetadata> T replace(T object, boolean statusOnly, boolean dryRun) {
        ObjectNode incoming = mapper.valueToTree(object);
        String kind = kindKey(object.getClass());
        String ns = namespaceOf(object, text(incoming.with("metadata"), "namespace", "default"));
        String name = text(incoming.with("metadata"), "name", "");
        synchronized (this) {
            Row row = findRow(kind, ns, name);
            if (row == null) throw new NotFoundException(object.getKind() + " " + ns + "/" + name + " not found");
            ObjectNode stored = row.tree();
            ObjectNode storedMeta = stored.with("metadata");
            String expected = incoming.with("metadata").path("resourceVersion").asText("");
            String actual = storedMeta.path("resourceVersion").asText();
            if (!expected.isEmpty() && !expected.equals(actual)) {
                throw new ConflictException(object.getKind() + " " + ns + "/" + name + " was modified (resourceVersion "
                        + expected + " is stale, now " + actual + "); read it again and retry", false);
            }
            if (!statusOnly) guard.check(ns, object, false);
            ObjectNode result;
            if (statusOnly) {
                result = stored.deepCopy();
                if (incoming.has("status")) result.set("status", incoming.get("status"));
                else result.remove("status");
            } else {
                result = incoming.deepCopy();
                ObjectNode meta = result.with("metadata");
                for (String kept : List.of("uid", "creationTimestamp", "namespace", "name", "generation", "deletionTimestamp")) {
                    if (storedMeta.has(kept)) meta.set(kept, storedMeta.get(kept));
                    else meta.remove(kept);
                }
                if (stored.has("status")) result.set("status", stored.get("status"));
                else result.remove("status");
                // as Kubernetes: an update without managedFields keeps the stored ones
                if (!meta.has("managedFields") && storedMeta.has("managedFields")) meta.set("managedFields", storedMeta.get("managedFields"));
                if (!stored.path("spec").equals(result.path("spec"))) {
                    meta.put("generation", storedMeta.path("generation").asLong(1) + 1);
                }
            }
            if (result.equals(stored)) return convert(stored, object); // no-op writes do not wake anyone
            if (dryRun) {
                result.with("metadata").put("resourceVersion", actual);
                return convert(result, object);
            }
            long rev = revision + 1;
            result.with("metadata").put("resourceVersion", Long.toString(rev));
            String json = write(kind, ns, name, storedMeta.path("uid").asText(), rev, result, false);
            T updated = convert(result, object);
            emit(new StoreEvent(StoreEvent.Type.MODIFIED, kind, updated, rev, stored), object.getClass(), ns, name, json, row.json());
            return updated;
        }
    }

    public <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name) {
        ObjectNode node;
        synchronized (this) {
            node = find(kindKey(type), namespace, name);
        }
        return Optional.ofNullable(node).map(n -> treeToValue(n, type));
    }

    /**
     * Objects of a kind in a namespace (null: all namespaces) whose labels match the selector (null: all), in {@link Key}
     * order. With a selector only the matching rows are read; the JSON is parsed outside the store's lock.
     */
    public <T extends HasMetadata> List<T> list(Class<T> type, String namespace, Predicate<Map<String, String>> labels) {
        List<String> rows = new ArrayList<>();
        synchronized (this) {
            if (labels == null) {
                String sql = namespace == null
                        ? "SELECT json FROM objects WHERE kind = ? ORDER BY namespace, name"
                        : "SELECT json FROM objects WHERE kind = ? AND namespace = ? ORDER BY name";
                try (PreparedStatement ps = db.prepareStatement(sql)) {
                    ps.setString(1, kindKey(type));
                    if (namespace != null) ps.setString(2, namespace);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) rows.add(rs.getString(1));
                    }
                } catch (SQLException e) {
                    throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
                }
            } else {
                for (Summary s : summaries(type, namespace, s -> labels.test(s.labels()))) rows.add(findJson(kindKey(type), s.key().namespace(), s.key().name()));
            }
        }
        List<T> out = new ArrayList<>(rows.size());
        for (String json : rows) {
            if (json == null) continue;
            try {
                out.add(treeToValue((ObjectNode) mapper.readTree(json), type));
            } catch (java.io.IOException e) {
                throw new SandboxFailedException("stored object is not JSON: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * The {@link Summary} of each object of a kind in a namespace (null: all namespaces) that passes {@code filter}, in
     * {@link Key} order, from memory: nothing is read from the database or parsed.
     */
    public synchronized List<Summary> summaries(Class<? extends HasMetadata> type, String namespace, Predicate<Summary> filter) {
        List<Summary> out = new ArrayList<>();
        for (Summary s : scope(kindKey(type), namespace)) if (filter == null || filter.test(s)) out.add(s);
        return out;
    }

    /** The summaries of a store key in a namespace (null: all), in {@link Key} order; a view, under the lock. */
    private java.util.Collection<Summary> scope(String kind, String namespace) {
        java.util.TreeMap<Key, Summary> all = index.get(kind);
        if (all == null) return List.of();
        return namespace == null ? all.values() : all.subMap(new Key(namespace, ""), true, new Key(namespace + "\0", ""), false).values();
    }

    /**
     * One page of the objects of a kind in a namespace (null: all namespaces) that pass {@code filter} (it gets each
     * object's stored JSON, which it must not change), in {@link Key} order, as they were at {@code atRevision} (0: now).
     * A past revision is served from the history of changes: the objects changed since are taken as they were then, so
     * the pages of one list are consistent however the objects change in between. {@code after}: only keys after it
     * (null: from the start); {@code limit}: at most this many items (0: all).
     *
     * @throws ExpiredException when {@code atRevision} is older than the history
     * @throws IllegalArgumentException when {@code atRevision} is newer than the store
     */
    public <T extends HasMetadata> Page<T> list(Class<T> type, String namespace, Predicate<ObjectNode> filter, long atRevision, Key after, int limit) {
        String kind = kindKey(type);
        List<T> out = new ArrayList<>();
        synchronized (this) {
            long rev = atRevision > 0 ? atRevision : revision;
            if (rev > revision) throw new IllegalArgumentException("resourceVersion " + rev + " is newer than the store (" + revision + ")");
            pruneHistory();
            if (rev < revision && rev < historyStart) throw new ExpiredException(rev, historyStart);
            // the objects changed after rev, as they were at rev (null: they did not exist then)
            java.util.TreeMap<Key, String> past = new java.util.TreeMap<>();
            if (rev < revision) {
                for (Change c : history) {
                    if (c.revision() <= rev || !c.kind().equals(kind) || (namespace != null && !namespace.equals(c.namespace()))) continue;
                    Key k = new Key(c.namespace(), c.name());
                    if ((after == null || k.compareTo(after) > 0) && !past.containsKey(k)) past.put(k, c.previousJson());
                }
            }
            StringBuilder sql = new StringBuilder("SELECT namespace, name, json FROM objects WHERE kind = ?");
            if (namespace != null) sql.append(" AND namespace = ?");
            if (after != null) sql.append(" AND (namespace > ? OR (namespace = ? AND name > ?))");
            sql.append(" ORDER BY namespace, name");
            try (PreparedStatement ps = db.prepareStatement(sql.toString())) {
                int i = 1;
                ps.setString(i++, kind);
                if (namespace != null) ps.setString(i++, namespace);
                if (after != null) {
                    ps.setString(i++, after.namespace());
                    ps.setString(i++, after.namespace());
                    ps.setString(i, after.name());
                }
                java.util.Iterator<Map.Entry<Key, String>> pending = past.entrySet().iterator();
                Map.Entry<Key, String> next = pending.hasNext() ? pending.next() : null;
                boolean more = false;
                try (ResultSet rs = ps.executeQuery()) {
                    while (!more && rs.next()) {
                        Key k = new Key(rs.getString(1), rs.getString(2));
                        // objects that existed at rev but are gone now come in their place in the order
                        while (!more && next != null && next.getKey().compareTo(k) < 0) {
                            if (next.getValue() != null) more = offer(out, type, next.getValue(), filter, limit);
                            next = pending.hasNext() ? pending.next() : null;
                        }
                        if (more) break;
                        String json = rs.getString(3);
                        if (next != null && next.getKey().equals(k)) {
                            json = next.getValue();
                            next = pending.hasNext() ? pending.next() : null;
                        }
                        if (json != null) more = offer(out, type, json, filter, limit);
                    }
                }
                while (!more && next != null) {
                    if (next.getValue() != null) more = offer(out, type, next.getValue(), filter, limit);
                    next = pending.hasNext() ? pending.next() : null;
                }
                return new Page<>(out, rev, more ? keyOf(out.get(out.size() - 1)) : null);
            } catch (SQLException e) {
                throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
            }
        }
    }

    /** Adds the object if it passes the filter; true when the page was already full (the object is one more). */
    private <T extends HasMetadata> boolean offer(List<T> out, Class<T> type, String json, Predicate<ObjectNode> filter, int limit) {
        ObjectNode tree;
        try {
            tree = (ObjectNode) mapper.readTree(json);
        } catch (java.io.IOException e) {
            throw new SandboxFailedException("stored object is not JSON: " + e.getMessage(), e);
        }
        if (filter != null && !filter.test(tree)) return false;
        if (limit > 0 && out.size() >= limit) return true;
        out.add(treeToValue(tree, type));
        return false;
    }

    private static Key keyOf(HasMetadata o) {
        String ns = o.getMetadata().getNamespace();
        return new Key(ns == null ? "" : ns, o.getMetadata().getName());
    }

    /**
     * The objects of a kind in a namespace (null: all) that pass {@code filter}, and a listener registered for every
     * change after them, atomically: no change falls between the list and the watch.
     */
    public synchronized <T extends HasMetadata> Subscription<T> listAndWatch(Class<T> type, String namespace, Predicate<ObjectNode> filter,
                                                                              Consumer<StoreEvent> listener) {
        List<T> items = list(type, namespace, filter, 0, null, 0).items();
        Consumer<StoreEvent> scoped = scoped(kindKey(type), namespace, listener);
        listeners.add(scoped);
        return new Subscription<>(items, revision, () -> listeners.remove(scoped));
    }

    /**
     * Replays to the listener every change after {@code since} still in the history of the store key {@code kind} (null:
     * every kind) in {@code namespace} (null: every namespace), in revision order, then registers it for every such
     * change to come, atomically. The listener never sees another kind or namespace: a tenant's watch is fed from here.
     *
     * @throws ExpiredException when {@code since} is older than the history
     */
    public synchronized AutoCloseable watch(String kind, String namespace, long since, Consumer<StoreEvent> listener) {
        pruneHistory();
        if (since < historyStart) throw new ExpiredException(since, historyStart);
        for (Change c : history) {
            if (c.revision() > since && (kind == null || kind.equals(c.kind())) && (namespace == null || namespace.equals(c.namespace()))) {
                listener.accept(replay(c));
            }
        }
        Consumer<StoreEvent> scoped = scoped(kind, namespace, listener);
        listeners.add(scoped);
        return () -> listeners.remove(scoped);
    }

    /** The listener, for the events of one store key (null: all) in one namespace (null: all; "" for cluster-scoped kinds). */
    private static Consumer<StoreEvent> scoped(String kind, String namespace, Consumer<StoreEvent> listener) {
        return e -> {
            if (kind != null && !kind.equals(e.kind())) return;
            if (namespace != null) {
                String ns = e.object().getMetadata().getNamespace();
                if (!namespace.equals(ns == null ? "" : ns)) return;
            }
            listener.accept(e);
        };
    }

    private StoreEvent replay(Change c) {
        try {
            ObjectNode tree = (ObjectNode) mapper.readTree(c.json());
            JsonNode previous = c.previousJson() == null ? null : c.previousJson() == c.json() ? tree : mapper.readTree(c.previousJson());
            return new StoreEvent(c.type(), c.kind(), treeToValue(tree, c.javaType()), c.revision(), previous);
        } catch (java.io.IOException e) {
            throw new SandboxFailedException("stored change is not JSON: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> labelsOf(JsonNode meta) {
        JsonNode labels = meta.path("labels");
        if (!labels.isObject() || labels.isEmpty()) return Map.of();
        Map<String, String> out = new java.util.HashMap<>();
        labels.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return Map.copyOf(out);
    }

    public <T extends HasMetadata> List<T> list(Class<T> type, String namespace) {
        return list(type, namespace, null);
    }

    /** How many objects of a kind a namespace holds (null: all namespaces), from the in-memory summaries. */
    public synchronized long count(Class<? extends HasMetadata> type, String namespace) {
        return scope(kindKey(type), namespace).size();
    }

    /** Objects of a kind (in a namespace; null: all) that have ownerReferences: what the garbage collector looks at. */
    public <T extends HasMetadata> List<T> listOwned(Class<T> type, String namespace) {
        List<T> out = new ArrayList<>();
        String sql = "SELECT json FROM objects WHERE kind = ? AND instr(json, '\"ownerReferences\"') > 0"
                + (namespace == null ? "" : " AND namespace = ?") + " ORDER BY namespace, name";
        synchronized (this) {
            try (PreparedStatement ps = db.prepareStatement(sql)) {
                ps.setString(1, kindKey(type));
                if (namespace != null) ps.setString(2, namespace);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        T o = treeToValue((ObjectNode) mapper.readTree(rs.getString(1)), type);
                        if (!o.getMetadata().getOwnerReferences().isEmpty()) out.add(o);
                    }
                }
            } catch (SQLException | java.io.IOException e) {
                throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** Deletes the object; returns it as it was, or empty if it did not exist. */
    public <T extends HasMetadata> Optional<T> delete(Class<T> type, String namespace, String name) {
        return delete(type, namespace, name, null);
    }

    /**
     * Deletes the object only if its resourceVersion is still {@code resourceVersion} (null: any), as a Kubernetes
     * delete precondition: a decision taken on what was read is not applied to an object changed since. Returns it as
     * it was, or empty if it did not exist or was changed.
     */
    public <T extends HasMetadata> Optional<T> delete(Class<T> type, String namespace, String name, String resourceVersion) {
        synchronized (this) {
            Row row = findRow(kindKey(type), namespace, name);
            if (row == null) return Optional.empty();
            if (resourceVersion != null && !resourceVersion.equals(row.tree().path("metadata").path("resourceVersion").asText())) return Optional.empty();
            return Optional.of(delete(type, namespace, name, row, false));
        }
    }

    /**
     * Deletes the object, with Kubernetes' delete preconditions: a set {@code uid} or {@code resourceVersion} must match
     * the stored one (a ConflictException otherwise). With {@code dryRun} nothing is deleted. Returns the object as it was,
     * or empty if it did not exist.
     */
    public <T extends HasMetadata> Optional<T> delete(Class<T> type, String namespace, String name, String uid, String resourceVersion,
                                                      boolean dryRun) {
        synchronized (this) {
            Row row = findRow(kindKey(type), namespace, name);
            if (row == null) return Optional.empty();
            JsonNode meta = row.tree().path("metadata");
            if (uid != null && !uid.isEmpty() && !uid.equals(meta.path("uid").asText())) {
                throw new ConflictException("Precondition failed: UID in precondition: " + uid + ", UID in object meta: "
                        + meta.path("uid").asText(), false);
            }
            if (resourceVersion != null && !resourceVersion.isEmpty() && !resourceVersion.equals(meta.path("resourceVersion").asText())) {
                throw new ConflictException("Precondition failed: ResourceVersion in precondition: " + resourceVersion
                        + ", ResourceVersion in object meta: " + meta.path("resourceVersion").asText(), false);
            }
            return Optional.of(delete(type, namespace, name, row, dryRun));
        }
    }

    private <T extends HasMetadata> T delete(Class<T> type, String namespace, String name, Row row, boolean dryRun) {
        String kind = kindKey(type);
        ObjectNode stored = row.tree();
        synchronized (this) {
            if (dryRun) return treeToValue(stored, type);
            long rev = revision + 1;
            try (PreparedStatement ps = db.prepareStatement("DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?")) {
                ps.setString(1, kind);
                ps.setString(2, namespace);
                ps.setString(3, name);
                ps.executeUpdate();
                setRevision(rev);
                db.commit();
            } catch (SQLException e) {
                rollback();
                throw new SandboxFailedException("state database write failed: " + e.getMessage(), e);
            }
            revision = rev;
            indexRemove(kind, namespace, name);
            T deleted = treeToValue(stored, type);
            emit(new StoreEvent(StoreEvent.Type.DELETED, kind, deleted, rev, stored), type, namespace, name, row.json(), row.json());
            return deleted;
        }
    }

    /**
     * Changes the status of every object of a kind in one transaction, on the stored JSON (no typed objects:
     * at start-up, with many objects, binding each PodSpec costs more than the rest of the start). {@code change}
     * gets each object's tree and returns true when it changed its {@code status}; metadata and spec must stay.
     * Returns how many objects changed.
     */
    public synchronized int updateStatusTrees(Class<? extends HasMetadata> type, java.util.function.Predicate<ObjectNode> change) {
        String kind = kindKey(type);
        List<ObjectNode> changed = new ArrayList<>();
        List<String> before = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT json FROM objects WHERE kind = ? ORDER BY namespace, name")) {
            ps.setString(1, kind);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String json = rs.getString(1);
                    ObjectNode tree = (ObjectNode) mapper.readTree(json);
                    if (change.test(tree)) {
                        changed.add(tree);
                        before.add(json);
                    }
                }
            }
        } catch (SQLException | java.io.IOException e) {
            throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
        }
        if (changed.isEmpty()) return 0;
        long first = revision;
        List<String> after = new ArrayList<>();
        try {
            if (db.getAutoCommit()) db.setAutoCommit(false);
            try (PreparedStatement ps = db.prepareStatement("UPDATE objects SET revision = ?, json = ? WHERE kind = ? AND namespace = ? AND name = ?")) {
                long rev = revision;
                for (ObjectNode tree : changed) {
                    rev++;
                    ObjectNode meta = tree.with("metadata");
                    meta.put("resourceVersion", Long.toString(rev));
                    String json = mapper.writeValueAsString(tree);
                    after.add(json);
                    ps.setLong(1, rev);
                    ps.setString(2, json);
                    ps.setString(3, kind);
                    ps.setString(4, meta.path("namespace").asText(""));
                    ps.setString(5, meta.path("name").asText());
                    ps.addBatch();
                }
                ps.executeBatch();
                setRevision(rev);
                db.commit();
                revision = rev;
            }
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            rollback();
            throw new SandboxFailedException("state database write failed: " + e.getMessage(), e);
        }
        for (ObjectNode tree : changed) indexPut(kind, tree.path("metadata").path("namespace").asText(""), tree.path("metadata").path("name").asText(), tree);
        for (int i = 0; i < changed.size(); i++) {
            ObjectNode tree = changed.get(i);
            JsonNode meta = tree.path("metadata");
            long rev = first + 1 + i;
            // no typed object here: emit makes one (and the previous tree) only when someone listens; binding each
            // PodSpec is what this method avoids
            emit(new StoreEvent(StoreEvent.Type.MODIFIED, kind, null, rev), type, meta.path("namespace").asText(""), meta.path("name").asText(),
                    after.get(i), before.get(i));
        }
        return changed.size();
    }

    /** Registers a listener for every change after this call; close the handle to stop. */
    public AutoCloseable watch(Consumer<StoreEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing the state database: {}", e.getMessage());
        }
    }

    /** Records the change in the history, then tells the listeners. Called under the lock, after the commit. */
    private void emit(StoreEvent event, Class<? extends HasMetadata> type, String ns, String name, String json, String previousJson) {
        Change c = new Change(event.type(), event.kind(), type, ns, name, event.revision(), json, previousJson, System.nanoTime());
        history.addLast(c);
        historyChars += c.chars();
        pruneHistory();
        if (listeners.isEmpty()) return;
        if (event.object() == null) event = replay(c);
        for (Consumer<StoreEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                log.warn("store listener failed on {} {}: {}", event.type(), event.kind(), e.toString());
            }
        }
    }

    /** Drops the changes past the history's limits (oldest first); {@link #historyStart} follows. Under the lock. */
    private void pruneHistory() {
        long now = System.nanoTime();
        while (!history.isEmpty() && (history.size() > historyMaxEvents || historyChars > historyMaxChars
                || now - history.peekFirst().nanos() > historyMaxAgeNanos)) {
            Change c = history.removeFirst();
            historyChars -= c.chars();
            historyStart = c.revision();
        }
        if (history.isEmpty()) historyStart = revision;
    }

    private ObjectNode find(String kind, String ns, String name) {
        Row row = findRow(kind, ns, name);
        return row == null ? null : row.tree();
    }

    private Row findRow(String kind, String ns, String name) {
        String json = findJson(kind, ns, name);
        if (json == null) return null;
        try {
            return new Row(json, (ObjectNode) mapper.readTree(json));
        } catch (java.io.IOException e) {
            throw new SandboxFailedException("stored object is not JSON: " + e.getMessage(), e);
        }
    }

    /** The stored JSON of one object, or null. Under the lock. */
    private String findJson(String kind, String ns, String name) {
        try (PreparedStatement ps = db.prepareStatement("SELECT json FROM objects WHERE kind = ? AND namespace = ? AND name = ?")) {
            ps.setString(1, kind);
            ps.setString(2, ns);
            ps.setString(3, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
        }
    }

    private void indexPut(String kind, String ns, String name, JsonNode tree) {
        index.computeIfAbsent(kind, k -> new java.util.TreeMap<>()).put(new Key(ns, name), Summary.of(ns, name, tree));
    }

    private void indexRemove(String kind, String ns, String name) {
        java.util.TreeMap<Key, Summary> all = index.get(kind);
        if (all != null) all.remove(new Key(ns, name));
    }

    /** Writes the row and the revision in one transaction; returns the JSON written. */
    private String write(String kind, String ns, String name, String uid, long rev, JsonNode json, boolean insert) {
        String sql = insert
                ? "INSERT INTO objects (uid, revision, json, kind, namespace, name) VALUES (?, ?, ?, ?, ?, ?)"
                : "UPDATE objects SET uid = ?, revision = ?, json = ? WHERE kind = ? AND namespace = ? AND name = ?";
        try {
            if (db.getAutoCommit()) db.setAutoCommit(false);
            String text = mapper.writeValueAsString(json);
            try (PreparedStatement ps = db.prepareStatement(sql)) {
                ps.setString(1, uid);
                ps.setLong(2, rev);
                ps.setString(3, text);
                ps.setString(4, kind);
                ps.setString(5, ns);
                ps.setString(6, name);
                ps.executeUpdate();
            }
            setRevision(rev);
            db.commit();
            revision = rev;
            indexPut(kind, ns, name, json);
            return text;
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            rollback();
            throw new SandboxFailedException("state database write failed: " + e.getMessage(), e);
        }
    }

    private void setRevision(long rev) throws SQLException {
        if (db.getAutoCommit()) db.setAutoCommit(false);
        try (PreparedStatement ps = db.prepareStatement("UPDATE meta SET value = ? WHERE key = 'revision'")) {
            ps.setString(1, Long.toString(rev));
            ps.executeUpdate();
        }
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (SQLException e) {
            log.warn("rollback failed: {}", e.getMessage());
        }
    }

    private String randomSuffix() {
        StringBuilder b = new StringBuilder(5);
        for (int i = 0; i < 5; i++) b.append(NAME_CHARS.charAt(random.nextInt(NAME_CHARS.length())));
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private <T extends HasMetadata> T convert(ObjectNode node, T like) {
        return (T) treeToValue(node, like.getClass());
    }

    private <T> T treeToValue(ObjectNode node, Class<T> type) {
        try {
            return mapper.treeToValue(node, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SandboxFailedException("stored object does not decode as " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Cluster-scoped kinds (not {@code Namespaced}, e.g. PodSnapshotStorageConfig) are kept under namespace "". */
    private static String namespaceOf(HasMetadata object, String ns) {
        return object instanceof io.fabric8.kubernetes.api.model.Namespaced ? ns : "";
    }

    private static String text(ObjectNode node, String field, String fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? fallback : v.asText();
    }
}
