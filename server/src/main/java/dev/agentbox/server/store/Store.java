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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
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
 */
public final class Store implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Store.class);
    private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";

    private final Connection db;
    private final ObjectMapper mapper;
    private final List<Consumer<StoreEvent>> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private volatile WriteGuard guard = (namespace, object, create) -> { };
    private long revision;

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

    public synchronized long revision() {
        return revision;
    }

    /**
     * Creates the object; fills uid, resourceVersion, generation, creationTimestamp, and a name from generateName.
     * Any status is dropped (set it afterwards with {@link #updateStatus}).
     */
    public <T extends HasMetadata> T create(T object) {
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
            write(kind, ns, name, uid, rev, node, true);
            T created = convert(node, object);
            emit(new StoreEvent(StoreEvent.Type.ADDED, kind, created, rev));
            return created;
        }
    }

    /** Replaces metadata and spec, keeping the stored status. A set resourceVersion must match. */
    public <T extends HasMetadata> T update(T object) {
        return replace(object, false);
    }

    /** Replaces only the status, keeping the stored metadata and spec. A set resourceVersion must match. */
    public <T extends HasMetadata> T updateStatus(T object) {
        return replace(object, true);
    }

    private <T extends HasMetadata> T replace(T object, boolean statusOnly) {
        ObjectNode incoming = mapper.valueToTree(object);
        String kind = kindKey(object.getClass());
        String ns = namespaceOf(object, text(incoming.with("metadata"), "namespace", "default"));
        String name = text(incoming.with("metadata"), "name", "");
        synchronized (this) {
            ObjectNode stored = find(kind, ns, name);
            if (stored == null) throw new NotFoundException(object.getKind() + " " + ns + "/" + name + " not found");
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
                if (!stored.path("spec").equals(result.path("spec"))) {
                    meta.put("generation", storedMeta.path("generation").asLong(1) + 1);
                }
            }
            if (result.equals(stored)) return convert(stored, object); // no-op writes do not wake anyone
            long rev = revision + 1;
            result.with("metadata").put("resourceVersion", Long.toString(rev));
            write(kind, ns, name, storedMeta.path("uid").asText(), rev, result, false);
            T updated = convert(result, object);
            emit(new StoreEvent(StoreEvent.Type.MODIFIED, kind, updated, rev));
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

    /** Objects of a kind in a namespace (null: all namespaces) whose labels match the selector. */
    public <T extends HasMetadata> List<T> list(Class<T> type, String namespace, Predicate<Map<String, String>> labels) {
        List<T> out = new ArrayList<>();
        String sql = namespace == null
                ? "SELECT json FROM objects WHERE kind = ? ORDER BY namespace, name"
                : "SELECT json FROM objects WHERE kind = ? AND namespace = ? ORDER BY name";
        synchronized (this) {
            try (PreparedStatement ps = db.prepareStatement(sql)) {
                ps.setString(1, kindKey(type));
                if (namespace != null) ps.setString(2, namespace);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ObjectNode tree = (ObjectNode) mapper.readTree(rs.getString(1));
                        // match labels on the JSON tree: binding a typed object (a whole PodSpec) costs far more
                        if (labels == null || labels.test(labelsOf(tree))) out.add(treeToValue(tree, type));
                    }
                }
            } catch (SQLException | java.io.IOException e) {
                throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static Map<String, String> labelsOf(ObjectNode tree) {
        com.fasterxml.jackson.databind.JsonNode labels = tree.path("metadata").path("labels");
        if (!labels.isObject() || labels.isEmpty()) return Map.of();
        Map<String, String> out = new java.util.HashMap<>();
        labels.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    public <T extends HasMetadata> List<T> list(Class<T> type, String namespace) {
        return list(type, namespace, null);
    }

    /** How many objects of a kind a namespace holds (null: all namespaces). */
    public synchronized long count(Class<? extends HasMetadata> type, String namespace) {
        String sql = namespace == null
                ? "SELECT COUNT(*) FROM objects WHERE kind = ?"
                : "SELECT COUNT(*) FROM objects WHERE kind = ? AND namespace = ?";
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            ps.setString(1, kindKey(type));
            if (namespace != null) ps.setString(2, namespace);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
        }
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
        String kind = kindKey(type);
        synchronized (this) {
            ObjectNode stored = find(kind, namespace, name);
            if (stored == null) return Optional.empty();
            if (resourceVersion != null && !resourceVersion.equals(stored.path("metadata").path("resourceVersion").asText())) return Optional.empty();
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
            T deleted = treeToValue(stored, type);
            emit(new StoreEvent(StoreEvent.Type.DELETED, kind, deleted, rev));
            return Optional.of(deleted);
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
        try (PreparedStatement ps = db.prepareStatement("SELECT json FROM objects WHERE kind = ? ORDER BY namespace, name")) {
            ps.setString(1, kind);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode tree = (ObjectNode) mapper.readTree(rs.getString(1));
                    if (change.test(tree)) changed.add(tree);
                }
            }
        } catch (SQLException | java.io.IOException e) {
            throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
        }
        if (changed.isEmpty()) return 0;
        List<StoreEvent> events = new ArrayList<>();
        try {
            if (db.getAutoCommit()) db.setAutoCommit(false);
            try (PreparedStatement ps = db.prepareStatement("UPDATE objects SET revision = ?, json = ? WHERE kind = ? AND namespace = ? AND name = ?")) {
                for (ObjectNode tree : changed) {
                    long rev = ++revision;
                    ObjectNode meta = tree.with("metadata");
                    meta.put("resourceVersion", Long.toString(rev));
                    ps.setLong(1, rev);
                    ps.setString(2, mapper.writeValueAsString(tree));
                    ps.setString(3, kind);
                    ps.setString(4, meta.path("namespace").asText(""));
                    ps.setString(5, meta.path("name").asText());
                    ps.addBatch();
                    if (!listeners.isEmpty()) events.add(new StoreEvent(StoreEvent.Type.MODIFIED, kind, treeToValue(tree, type), rev));
                }
                ps.executeBatch();
            }
            setRevision(revision);
            db.commit();
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            rollback();
            throw new SandboxFailedException("state database write failed: " + e.getMessage(), e);
        }
        events.forEach(this::emit);
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

    private void emit(StoreEvent event) {
        for (Consumer<StoreEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                log.warn("store listener failed on {} {}: {}", event.type(), event.kind(), e.toString());
            }
        }
    }

    private ObjectNode find(String kind, String ns, String name) {
        try (PreparedStatement ps = db.prepareStatement("SELECT json FROM objects WHERE kind = ? AND namespace = ? AND name = ?")) {
            ps.setString(1, kind);
            ps.setString(2, ns);
            ps.setString(3, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? (ObjectNode) mapper.readTree(rs.getString(1)) : null;
            }
        } catch (SQLException | java.io.IOException e) {
            throw new SandboxFailedException("state database read failed: " + e.getMessage(), e);
        }
    }

    private void write(String kind, String ns, String name, String uid, long rev, JsonNode json, boolean insert) {
        String sql = insert
                ? "INSERT INTO objects (uid, revision, json, kind, namespace, name) VALUES (?, ?, ?, ?, ?, ?)"
                : "UPDATE objects SET uid = ?, revision = ?, json = ? WHERE kind = ? AND namespace = ? AND name = ?";
        try {
            if (db.getAutoCommit()) db.setAutoCommit(false);
            try (PreparedStatement ps = db.prepareStatement(sql)) {
                ps.setString(1, uid);
                ps.setLong(2, rev);
                ps.setString(3, mapper.writeValueAsString(json));
                ps.setString(4, kind);
                ps.setString(5, ns);
                ps.setString(6, name);
                ps.executeUpdate();
            }
            setRevision(rev);
            db.commit();
            revision = rev;
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
