package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import io.fabric8.zjsonpatch.JsonPointer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902, applied by fabric8's zjsonpatch), as kube-apiserver applies
 * them to custom resources: a malformed patch is a 400, one that does not apply (a missing path, a failed {@code test})
 * a 422. A JSON patch is bounded as Kubernetes bounds it: at most {@value #MAX_JSON_PATCH_OPERATIONS} operations, and its
 * {@code copy} operations may copy at most {@link HttpIO#MAX_REQUEST_BYTES} characters of JSON in all (each copy can
 * double the document: unbounded, a few dozen of them would fill the heap).
 */
final class Patches {
    static final int MAX_JSON_PATCH_OPERATIONS = 10_000;
    static final long MAX_COPIED_CHARS = HttpIO.MAX_REQUEST_BYTES;
    /** Characters of document copied while applying (zjsonpatch copies the document once per run of operations). */
    static final long MAX_WORK_CHARS = 64L << 20;
    private static final Set<String> OPS = Set.of("add", "remove", "replace", "move", "copy", "test");

    private Patches() {}

    /** RFC 7386: the patch's fields replace the target's, recursively; null removes a field. The target is not changed. */
    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) throw new HttpIO.BadRequest("a merge patch (application/merge-patch+json) must be a JSON object, e.g. {\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
        return merge(target == null ? null : target.deepCopy(), patch);
    }

    private static JsonNode merge(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) return patch.deepCopy();
        ObjectNode out = target != null && target.isObject() ? (ObjectNode) target : JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) out.remove(e.getKey());
            else out.set(e.getKey(), merge(out.get(e.getKey()), e.getValue()));
        }
        return out;
    }

    /** RFC 6902: the operations in order, all or nothing. The target is not changed. */
    static JsonNode jsonPatch(JsonNode target, JsonNode patch) {
        if (!patch.isArray()) throw new HttpIO.BadRequest("a JSON patch (application/json-patch+json) must be a JSON array of operations, "
                + "e.g. [{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2}]");
        if (patch.size() > MAX_JSON_PATCH_OPERATIONS) {
            throw new HttpIO.TooLarge("The allowed maximum operations in a JSON patch is " + MAX_JSON_PATCH_OPERATIONS + ", got " + patch.size());
        }
        for (int i = 0; i < patch.size(); i++) checkOperation(patch.get(i), i);
        JsonNode doc = target;
        long size = approximateChars(target, Long.MAX_VALUE);
        long copied = 0;
        long work = 0;
        ArrayNode run = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < patch.size(); i++) {
            JsonNode op = patch.get(i);
            String name = op.get("op").asText();
            if (name.equals("copy")) {
                // the document the copy reads is the one the operations before it made: apply them first
                work += size;
                doc = apply(doc, run);
                run = JsonNodeFactory.instance.arrayNode();
                JsonNode from;
                try {
                    from = JsonPointer.parse(op.get("from").asText()).evaluate(doc);
                } catch (Exception e) {
                    throw new dev.agentbox.api.InvalidException("JSON patch operation " + i + " (copy from " + op.get("from").asText()
                            + "): " + message(e));
                }
                long c = approximateChars(from, MAX_COPIED_CHARS + 1);
                copied += c;
                size += c;
                if (copied > MAX_COPIED_CHARS) {
                    throw new HttpIO.TooLarge("the JSON patch's copy operations copy more than " + MAX_COPIED_CHARS + " characters of JSON; "
                            + "send the values with add or replace instead");
                }
                if (work > MAX_WORK_CHARS) {
                    throw new HttpIO.TooLarge("the JSON patch has too many copy operations for the size of the object; use fewer, or replace the object with PUT");
                }
            } else if (op.has("value")) {
                size += approximateChars(op.get("value"), Long.MAX_VALUE);
            }
            run.add(op);
        }
        return apply(doc, run);
    }

    private static JsonNode apply(JsonNode doc, ArrayNode operations) {
        if (operations.isEmpty()) return doc;
        try {
            return JsonPatch.apply(operations, doc);
        } catch (RuntimeException e) {
            throw new dev.agentbox.api.InvalidException("the JSON patch does not apply: " + message(e));
        }
    }

    private static void checkOperation(JsonNode op, int i) {
        String where = "JSON patch operation " + i;
        if (!op.isObject()) throw new HttpIO.BadRequest(where + " is not an object; each operation is {\"op\":..,\"path\":..}");
        if (!op.path("op").isTextual() || !OPS.contains(op.path("op").asText())) {
            throw new HttpIO.BadRequest(where + ": op must be one of add, remove, replace, move, copy, test");
        }
        String name = op.get("op").asText();
        if (!op.path("path").isTextual()) throw new HttpIO.BadRequest(where + " (" + name + "): path must be a string (a JSON pointer such as /spec/replicas)");
        checkPointer(op.get("path").asText(), where);
        if ((name.equals("move") || name.equals("copy"))) {
            if (!op.path("from").isTextual()) throw new HttpIO.BadRequest(where + " (" + name + "): from must be a string (a JSON pointer)");
            checkPointer(op.get("from").asText(), where);
        }
        if ((name.equals("add") || name.equals("replace") || name.equals("test")) && !op.has("value")) {
            throw new HttpIO.BadRequest(where + " (" + name + "): value is required");
        }
    }

    private static void checkPointer(String pointer, String where) {
        try {
            JsonPointer.parse(pointer);
        } catch (RuntimeException e) {
            throw new HttpIO.BadRequest(where + ": " + pointer + " is not a JSON pointer: " + message(e));
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replaceAll("\\s+", " ");
    }

    /** About how many characters the node takes as JSON; stops counting past {@code cap}. */
    static long approximateChars(JsonNode node, long cap) {
        if (node == null) return 0;
        long n = 0;
        Deque<JsonNode> todo = new ArrayDeque<>();
        todo.push(node);
        while (!todo.isEmpty() && n <= cap) {
            JsonNode x = todo.pop();
            if (x.isObject()) {
                n += 2;
                for (Iterator<Map.Entry<String, JsonNode>> it = x.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    n += e.getKey().length() + 4;
                    todo.push(e.getValue());
                }
            } else if (x.isArray()) {
                n += 2;
                for (JsonNode c : x) {
                    n += 1;
                    todo.push(c);
                }
            } else if (x.isTextual()) {
                n += x.textValue().length() + 2;
            } else {
                n += x.asText().length();
            }
        }
        return n;
    }
}
