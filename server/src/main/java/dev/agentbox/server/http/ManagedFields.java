package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Field ownership as Kubernetes' server-side apply keeps it ({@code metadata.managedFields}, fieldsType FieldsV1), for
 * the JSON of agentbox's kinds. A field path is a list of Kubernetes' encoded path elements: {@code f:NAME} for a field,
 * {@code k:{"name":"main"}} for an item of a list keyed by name, {@code v:"x"} for an item of a set. The schema is the
 * subset Kubernetes' CRD schemas (built from upstream's Go types) give these kinds: objects are maps of fields; the
 * lists of a PodSpec and of a claim that upstream marks {@code x-kubernetes-list-type: map} with key {@code name}
 * ({@link #NAME_KEYED}) are keyed lists, as are {@code metadata.ownerReferences} (by uid); {@code metadata.finalizers} is
 * a set; every other list is atomic (owned and replaced as a whole).
 *
 * <p>What Kubernetes never records is left out of every set: apiVersion, kind, the server's metadata fields (name,
 * namespace, uid, resourceVersion, generation, creationTimestamp, managedFields, ...) and, for the main resource, status
 * (a status subresource's fields are reset on the main resource).
 */
final class ManagedFields {
    static final String APPLY = "Apply";
    static final String UPDATE = "Update";
    /** List fields (at any depth) that are keyed by their items' {@code name}. */
    static final Set<String> NAME_KEYED = Set.of("containers", "initContainers", "ephemeralContainers", "env", "volumes",
            "imagePullSecrets", "resourceClaims");
    private static final List<String> STRIPPED_METADATA = List.of("name", "namespace", "creationTimestamp", "selfLink", "uid",
            "generation", "managedFields", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManagedFields() {}

    /** One {@code metadata.managedFields} entry. {@code subresource} is "" for the main resource. */
    record Entry(String manager, String operation, String apiVersion, String subresource, String time, Set<List<String>> fields) {
        boolean is(String manager, String operation, String subresource) {
            return this.manager.equals(manager) && this.operation.equals(operation) && this.subresource.equals(subresource);
        }

        Entry withFields(Set<List<String>> fields) {
            return new Entry(manager, operation, apiVersion, subresource, time, fields);
        }

        /** As Kubernetes names a manager in a conflict. */
        String describe() {
            String s = "\"" + manager + "\"" + (subresource.isEmpty() ? "" : " with subresource \"" + subresource + "\"");
            if (operation.equals(UPDATE)) s += " using " + apiVersion + (time == null ? "" : " at " + time);
            return s;
        }
    }

    /** What changed between two objects: paths added, changed (leaves) and removed. */
    record Comparison(Set<List<String>> added, Set<List<String>> modified, Set<List<String>> removed) {
        Set<List<String>> addedOrModified() {
            Set<List<String>> s = new HashSet<>(added);
            s.addAll(modified);
            return s;
        }
    }

    /** A conflict of an apply with another manager's field. */
    record Conflict(Entry owner, List<String> path) {}

    enum ListType { ATOMIC, KEYED_BY_NAME, KEYED_BY_UID, SET }

    static ListType listType(List<String> path) {
        if (path.isEmpty()) return ListType.ATOMIC;
        String last = path.get(path.size() - 1);
        if (path.size() == 2 && path.get(0).equals("f:metadata")) {
            if (last.equals("f:finalizers")) return ListType.SET;
            if (last.equals("f:ownerReferences")) return ListType.KEYED_BY_UID;
        }
        if (last.startsWith("f:") && NAME_KEYED.contains(last.substring(2))) return ListType.KEYED_BY_NAME;
        return ListType.ATOMIC;
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    // ------------------------------------------------------------------ what is recorded

    /** A copy of the object without what is never recorded (see the class comment); status too unless {@code keepStatus}. */
    static ObjectNode strip(JsonNode object, boolean keepStatus) {
        ObjectNode copy = object == null || !object.isObject() ? JsonNodeFactory.instance.objectNode() : ((ObjectNode) object).deepCopy();
        copy.remove("apiVersion");
        copy.remove("kind");
        if (!keepStatus) copy.remove("status");
        if (copy.get("metadata") instanceof ObjectNode meta) {
            meta.remove(STRIPPED_METADATA);
            if (meta.isEmpty()) copy.remove("metadata");
        }
        return copy;
    }

    private static void dropStripped(Set<List<String>> set) {
        set.remove(List.of("f:metadata"));
    }

    // ------------------------------------------------------------------ field sets

    /** The fields an applied configuration sets: its leaves, empty objects, nulls, and the items of keyed lists and sets. */
    static Set<List<String>> fieldsOf(JsonNode config) {
        Set<List<String>> out = new LinkedHashSet<>();
        collect(List.of(), config, out);
        dropStripped(out);
        return out;
    }

    private static void collect(List<String> path, JsonNode node, Set<List<String>> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                List<String> child = append(path, "f:" + e.getKey());
                JsonNode v = e.getValue();
                if (v.isNull() || (v.isObject() && v.isEmpty())) out.add(child);
                else collect(child, v, out);
            }
        } else if (node.isArray()) {
            List<String> keys = itemKeys(path, node, true);
            if (keys == null) {
                out.add(path);
                return;
            }
            for (int i = 0; i < node.size(); i++) {
                List<String> item = append(path, keys.get(i));
                out.add(item);
                if (node.get(i).isObject()) collect(item, node.get(i), out);
            }
        } else {
            out.add(path);
        }
    }

    /**
     * The path elements of a keyed list's or set's items, or null when the list is atomic. A keyed list with an item
     * that has no key, or two items with one key, is a 422 when {@code strict} (an applied configuration), and atomic
     * otherwise (a stored object written before).
     */
    static List<String> itemKeys(List<String> path, JsonNode list, boolean strict) {
        ListType type = listType(path);
        if (type == ListType.ATOMIC) return null;
        List<String> out = new ArrayList<>(list.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode item : list) {
            String element;
            if (type == ListType.SET) {
                if (!item.isValueNode() || item.isNull()) return invalid(strict, path, "a set (x-kubernetes-list-type: set) may only hold strings and numbers");
                element = "v:" + item;
            } else {
                String key = type == ListType.KEYED_BY_UID ? "uid" : "name";
                if (!item.isObject() || !item.path(key).isTextual()) {
                    return invalid(strict, path, "associative list with keys has an element that omits key field \"" + key + "\"");
                }
                element = "k:{\"" + key + "\":" + JSON.valueToTree(item.get(key).asText()) + "}";
            }
            if (!seen.add(element)) return invalid(strict, path, "duplicate entries for key " + describeElement(element));
            out.add(element);
        }
        return out;
    }

    private static List<String> invalid(boolean strict, List<String> path, String message) {
        if (strict) throw new InvalidException(List.of(new FieldError(describe(path).substring(1), message)));
        return null;
    }

    // ------------------------------------------------------------------ comparison

    static Comparison compare(JsonNode before, JsonNode after) {
        Comparison c = new Comparison(new LinkedHashSet<>(), new LinkedHashSet<>(), new LinkedHashSet<>());
        compare(List.of(), before, after, c);
        dropStripped(c.added());
        dropStripped(c.modified());
        dropStripped(c.removed());
        return c;
    }

    private static boolean emptyish(JsonNode n) {
        return n == null || (n.isContainerNode() && n.isEmpty());
    }

    private static void compare(List<String> path, JsonNode l, JsonNode r, Comparison c) {
        boolean lObject = l == null || l.isObject();
        boolean rObject = r == null || r.isObject();
        if (lObject && rObject && !(emptyish(l) && emptyish(r))) {
            Set<String> names = new LinkedHashSet<>();
            if (l != null) l.fieldNames().forEachRemaining(names::add);
            if (r != null) r.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                JsonNode lv = l == null ? null : l.get(name);
                JsonNode rv = r == null ? null : r.get(name);
                compare(append(path, "f:" + name), lv, rv, c);
            }
            node(path, l, r, c);
            return;
        }
        List<String> lKeys = l != null && l.isArray() ? itemKeys(path, l, false) : null;
        List<String> rKeys = r != null && r.isArray() ? itemKeys(path, r, false) : null;
        boolean lList = l == null || lKeys != null;
        boolean rList = r == null || rKeys != null;
        if (lList && rList && (l != null || r != null) && listType(path) != ListType.ATOMIC && !(emptyish(l) && emptyish(r))) {
            Map<String, JsonNode> left = index(l, lKeys);
            Map<String, JsonNode> right = index(r, rKeys);
            Set<String> keys = new LinkedHashSet<>(left.keySet());
            keys.addAll(right.keySet());
            for (String k : keys) {
                List<String> item = append(path, k);
                JsonNode li = left.get(k);
                JsonNode ri = right.get(k);
                if (k.startsWith("v:")) {
                    if (li == null) c.added().add(item);
                    else if (ri == null) c.removed().add(item);
                } else {
                    compare(item, li, ri, c);
                }
            }
            node(path, l, r, c);
            return;
        }
        if (l == null) c.added().add(path);
        else if (r == null) c.removed().add(path);
        else if (!l.equals(r)) c.modified().add(path);
    }

    /** A map or keyed list that appears or disappears is itself added or removed (Kubernetes' "." member). */
    private static void node(List<String> path, JsonNode l, JsonNode r, Comparison c) {
        if (path.isEmpty()) return;
        if (l == null) c.added().add(path);
        else if (r == null) c.removed().add(path);
    }

    private static Map<String, JsonNode> index(JsonNode list, List<String> keys) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (list == null) return out;
        for (int i = 0; i < list.size(); i++) out.put(keys.get(i), list.get(i));
        return out;
    }

    // ------------------------------------------------------------------ managers

    /**
     * The managers after an update (a create, PUT, merge or JSON patch, a scale) by {@code manager}: it owns what it
     * changed or added besides what it owned; the others lose what was changed (an update always wins) or removed.
     */
    static List<Entry> afterUpdate(List<Entry> managers, JsonNode before, JsonNode after, String manager, String apiVersion, String subresource) {
        Comparison c = compare(before, after);
        Set<List<String>> changed = c.addedOrModified();
        List<Entry> out = new ArrayList<>();
        Entry mine = null;
        for (Entry e : managers) {
            if (e.is(manager, UPDATE, subresource)) {
                mine = e;
                continue;
            }
            Set<List<String>> fields = new LinkedHashSet<>(e.fields());
            fields.removeAll(changed);
            fields.removeAll(c.removed());
            if (!fields.isEmpty()) out.add(fields.size() == e.fields().size() ? e : e.withFields(fields));
        }
        Set<List<String>> fields = new LinkedHashSet<>(mine == null ? Set.of() : mine.fields());
        fields.removeAll(c.removed());
        fields.addAll(changed);
        if (!fields.isEmpty()) {
            boolean same = mine != null && fields.equals(mine.fields());
            out.add(new Entry(manager, UPDATE, apiVersion, subresource, same ? mine.time() : now(), fields));
        }
        sort(out);
        return out;
    }

    /** The configuration merged into the live object (both stripped): maps field by field, keyed lists item by item. */
    static ObjectNode merge(JsonNode live, JsonNode config) {
        JsonNode merged = merge(List.of(), live, config);
        return merged instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode();
    }

    private static JsonNode merge(List<String> path, JsonNode live, JsonNode config) {
        if (config.isObject()) {
            ObjectNode out = live != null && live.isObject() ? ((ObjectNode) live).deepCopy() : JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNull()) out.remove(e.getKey()); // an applied null: the field is unset (and owned)
                else out.set(e.getKey(), merge(append(path, "f:" + e.getKey()), out.get(e.getKey()), e.getValue()));
            }
            return out;
        }
        if (config.isArray() && live != null && live.isArray()) {
            List<String> liveKeys = itemKeys(path, live, false);
            List<String> configKeys = itemKeys(path, config, true);
            if (liveKeys != null && configKeys != null) {
                Map<String, JsonNode> fromConfig = index(config, configKeys);
                ArrayNode out = JsonNodeFactory.instance.arrayNode();
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < live.size(); i++) {
                    String k = liveKeys.get(i);
                    seen.add(k);
                    JsonNode c = fromConfig.get(k);
                    out.add(c == null ? live.get(i) : merge(append(path, k), live.get(i), c));
                }
                for (int i = 0; i < config.size(); i++) {
                    if (!seen.contains(configKeys.get(i))) out.add(merge(append(path, configKeys.get(i)), null, config.get(i)));
                }
                return out;
            }
        }
        if (config.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            List<String> keys = itemKeys(path, config, true);
            for (int i = 0; i < config.size(); i++) {
                JsonNode item = config.get(i);
                out.add(item.isObject() ? merge(keys == null ? append(path, "i:" + i) : append(path, keys.get(i)), null, item) : item.deepCopy());
            }
            return out;
        }
        return config.deepCopy();
    }

    /**
     * Removes from the merged object what {@code manager} applied last time but not this time and nobody else owns
     * (Kubernetes' prune): {@code lastApplied} minus every remaining owner's fields, keeping any path that is a parent of
     * an owned one.
     */
    static void prune(ObjectNode merged, Set<List<String>> lastApplied, Set<List<String>> ownedNow) {
        Set<List<String>> parents = new HashSet<>();
        for (List<String> p : ownedNow) for (int i = 1; i < p.size(); i++) parents.add(p.subList(0, i));
        for (List<String> p : lastApplied) {
            if (ownedNow.contains(p) || parents.contains(p) || p.isEmpty()) continue;
            remove(merged, p);
        }
    }

    private static void remove(JsonNode root, List<String> path) {
        JsonNode parent = root;
        for (int i = 0; i < path.size() - 1 && parent != null; i++) parent = child(parent, path.get(i));
        if (parent == null) return;
        String last = path.get(path.size() - 1);
        if (parent instanceof ObjectNode o && last.startsWith("f:")) {
            o.remove(last.substring(2));
        } else if (parent instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                if (matches(a.get(i), last)) {
                    a.remove(i);
                    return;
                }
            }
        }
    }

    private static JsonNode child(JsonNode node, String element) {
        if (element.startsWith("f:")) return node.isObject() ? node.get(element.substring(2)) : null;
        if (node.isArray()) for (JsonNode item : node) if (matches(item, element)) return item;
        return null;
    }

    private static boolean matches(JsonNode item, String element) {
        try {
            if (element.startsWith("v:")) return item.equals(JSON.readTree(element.substring(2)));
            if (!element.startsWith("k:") || !item.isObject()) return false;
            JsonNode key = JSON.readTree(element.substring(2));
            for (Iterator<Map.Entry<String, JsonNode>> it = key.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().equals(item.get(e.getKey()))) return false;
            }
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * The other managers' fields an apply changes or adds (values that are equal are shared, not conflicts).
     * {@code applier}'s own Apply entry is not a conflict.
     */
    static List<Conflict> conflicts(List<Entry> managers, Comparison c, String applier, String subresource) {
        Set<List<String>> changed = c.addedOrModified();
        List<Conflict> out = new ArrayList<>();
        for (Entry e : managers) {
            if (e.is(applier, APPLY, subresource)) continue;
            for (List<String> p : e.fields()) if (changed.contains(p)) out.add(new Conflict(e, p));
        }
        out.sort(Comparator.comparing((Conflict x) -> x.owner().manager()).thenComparing(x -> describe(x.path())));
        return out;
    }

    /** The managers after an apply: the applier owns exactly what it applied; the others lose what it took (forced) or removed. */
    static List<Entry> afterApply(List<Entry> managers, Comparison c, String applier, String apiVersion, String subresource, Set<List<String>> applied) {
        Set<List<String>> changed = c.addedOrModified();
        List<Entry> out = new ArrayList<>();
        Entry mine = null;
        for (Entry e : managers) {
            if (e.is(applier, APPLY, subresource)) {
                mine = e;
                continue;
            }
            Set<List<String>> fields = new LinkedHashSet<>(e.fields());
            fields.removeAll(changed);
            fields.removeAll(c.removed());
            if (!fields.isEmpty()) out.add(fields.size() == e.fields().size() ? e : e.withFields(fields));
        }
        if (!applied.isEmpty()) {
            boolean same = mine != null && mine.fields().equals(applied) && mine.apiVersion().equals(apiVersion);
            out.add(new Entry(applier, APPLY, apiVersion, subresource, same ? mine.time() : now(), new LinkedHashSet<>(applied)));
        }
        sort(out);
        return out;
    }

    /** As Kubernetes orders them: Apply entries first, then by time, manager, subresource. */
    static void sort(List<Entry> entries) {
        entries.sort(Comparator.comparing((Entry e) -> !e.operation().equals(APPLY))
                .thenComparing(e -> e.time() == null ? "" : e.time())
                .thenComparing(Entry::manager)
                .thenComparing(Entry::subresource)
                .thenComparing(Entry::apiVersion));
    }

    /** The union of the fields of every entry but the given one (null: of all). */
    static Set<List<String>> ownedByOthers(List<Entry> managers, Entry except) {
        Set<List<String>> out = new HashSet<>();
        for (Entry e : managers) if (e != except) out.addAll(e.fields());
        return out;
    }

    // ------------------------------------------------------------------ encoding

    /** The entries of a stored object's {@code metadata.managedFields}; entries that do not parse are dropped. */
    static List<Entry> read(JsonNode object) {
        List<Entry> out = new ArrayList<>();
        JsonNode list = object == null ? null : object.path("metadata").path("managedFields");
        if (list == null || !list.isArray()) return out;
        for (JsonNode e : list) {
            if (!e.path("manager").isTextual() || !e.path("operation").isTextual()) continue;
            Set<List<String>> fields = new LinkedHashSet<>();
            decode(List.of(), e.path("fieldsV1"), fields);
            out.add(new Entry(e.get("manager").asText(), e.get("operation").asText(), e.path("apiVersion").asText(""),
                    e.path("subresource").asText(""), e.path("time").isTextual() ? e.get("time").asText() : null, fields));
        }
        return out;
    }

    private static void decode(List<String> path, JsonNode node, Set<List<String>> out) {
        if (!node.isObject()) return;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(".")) {
                if (!path.isEmpty()) out.add(path);
                continue;
            }
            List<String> child = append(path, e.getKey());
            if (e.getValue().isObject() && e.getValue().isEmpty()) out.add(child);
            else decode(child, e.getValue(), out);
        }
    }

    /** {@code metadata.managedFields} as Kubernetes writes it. */
    static ArrayNode write(List<Entry> entries) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (Entry e : entries) {
            ObjectNode o = out.addObject();
            o.put("manager", e.manager());
            o.put("operation", e.operation());
            o.put("apiVersion", e.apiVersion());
            if (e.time() != null) o.put("time", e.time());
            o.put("fieldsType", "FieldsV1");
            o.set("fieldsV1", encode(e.fields()));
            if (!e.subresource().isEmpty()) o.put("subresource", e.subresource());
        }
        return out;
    }

    private static final class Trie {
        boolean member;
        final TreeMap<String, Trie> children = new TreeMap<>();
    }

    /** A field set as FieldsV1: {@code {"f:spec":{"f:replicas":{}}}}, with {@code ".": {}} where a path with children is itself a member. */
    static ObjectNode encode(Set<List<String>> fields) {
        Trie root = new Trie();
        for (List<String> p : fields) {
            Trie t = root;
            for (String el : p) t = t.children.computeIfAbsent(el, k -> new Trie());
            t.member = true;
        }
        return encode(root);
    }

    private static ObjectNode encode(Trie t) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (t.member && !t.children.isEmpty()) o.putObject(".");
        t.children.forEach((k, v) -> o.set(k, encode(v)));
        return o;
    }

    // ------------------------------------------------------------------ paths

    static List<String> append(List<String> path, String element) {
        List<String> out = new ArrayList<>(path.size() + 1);
        out.addAll(path);
        out.add(element);
        return List.copyOf(out);
    }

    /** A path as Kubernetes prints it in a conflict: {@code .spec.podTemplate.spec.containers[name="main"].image}. */
    static String describe(List<String> path) {
        StringBuilder b = new StringBuilder();
        for (String el : path) b.append(describeElement(el));
        return b.length() == 0 ? "." : b.toString();
    }

    private static String describeElement(String el) {
        if (el.startsWith("f:")) return "." + el.substring(2);
        if (el.startsWith("v:")) return "[=" + el.substring(2) + "]";
        if (el.startsWith("i:")) return "[" + el.substring(2) + "]";
        if (el.startsWith("k:")) {
            try {
                JsonNode key = JSON.readTree(el.substring(2));
                List<String> parts = new ArrayList<>();
                key.fields().forEachRemaining(e -> parts.add(e.getKey() + "=" + e.getValue()));
                return "[" + String.join(",", parts) + "]";
            } catch (java.io.IOException e) {
                return "[" + el.substring(2) + "]";
            }
        }
        return "." + el;
    }

    /** The causes and message of Kubernetes' apply conflict (409). */
    static StatusError conflictError(List<Conflict> conflicts) {
        List<StatusError.Cause> causes = new ArrayList<>();
        for (Conflict c : conflicts) causes.add(new StatusError.Cause("FieldManagerConflict", "conflict with " + c.owner().describe(), describe(c.path())));
        String message;
        if (conflicts.size() == 1) {
            message = "Apply failed with 1 conflict: conflict with " + conflicts.get(0).owner().describe() + ": " + describe(conflicts.get(0).path());
        } else {
            Map<String, List<String>> byManager = new TreeMap<>();
            for (Conflict c : conflicts) byManager.computeIfAbsent(c.owner().describe(), k -> new ArrayList<>()).add(describe(c.path()));
            List<String> lines = new ArrayList<>();
            byManager.forEach((m, paths) -> {
                lines.add("conflicts with " + m + ":");
                paths.forEach(p -> lines.add("- " + p));
            });
            message = "Apply failed with " + conflicts.size() + " conflicts: " + String.join("\n", lines);
        }
        return new StatusError(409, "Conflict", message + "\nPlease review the fields above--they currently have other managers. Here are the ways "
                + "you can resolve this warning: take ownership with force=true (kubectl apply --server-side --force-conflicts), "
                + "drop the fields from your configuration, or set them to the values they have now (to share them)", causes, null, null);
    }

    /** For tests and messages: the field set of an entry as paths. */
    static Map<String, Set<List<String>>> byManager(List<Entry> entries) {
        Map<String, Set<List<String>>> out = new HashMap<>();
        for (Entry e : entries) out.put(e.manager() + "/" + e.operation() + (e.subresource().isEmpty() ? "" : "/" + e.subresource()), e.fields());
        return out;
    }
}
