package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.ResourceKind;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Table output ({@code Accept: application/json;as=Table;v=v1;g=meta.k8s.io}, which {@code kubectl get} sends first) of
 * a list or one object, as kube-apiserver converts custom resources: a Name column, then the CRD's
 * additionalPrinterColumns (or, when it has none, Age), cells evaluated from the columns' JSONPaths (a date as an age
 * such as {@code 5m}, a missing value as null), and each row's object as a PartialObjectMetadata unless
 * {@code includeObject=Object} (or {@code None}).
 */
final class TableWriter {
    private static final String GROUP = "meta.k8s.io";

    private final ObjectMapper mapper;

    TableWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** A column: its definition and compiled JSONPath. */
    private record Column(String name, String type, String format, String description, int priority, JsonPath path) {
    }

    /** {@code v1} or {@code v1beta1} when the Accept header prefers a Table, null when it prefers the object itself. */
    static String requested(HttpExchange ex) {
        for (MediaTypes.MediaType t : MediaTypes.accepted(ex)) {
            if (t.isJsonAs("Table", GROUP, "v1")) return "v1";
            if (t.isJsonAs("Table", GROUP, "v1beta1")) return "v1beta1";
            if (t.isPlainJson()) return null;
        }
        return null;
    }

    /** Answers a list ({@code {"metadata":{"resourceVersion"},"items":[...]}}) as a Table when asked; false when not asked. */
    boolean writeListIfAsked(HttpExchange ex, ResourceKind kind, JsonNode list) throws IOException {
        String version = requested(ex);
        if (version == null) return false;
        List<JsonNode> items = new ArrayList<>();
        list.path("items").forEach(items::add);
        write(ex, version, kind, items, list.path("metadata").path("resourceVersion").asText(null));
        return true;
    }

    /** Answers one object as a Table of one row when asked; false when not asked. */
    boolean writeObjectIfAsked(HttpExchange ex, ResourceKind kind, Object object) throws IOException {
        String version = requested(ex);
        if (version == null) return false;
        JsonNode o = mapper.valueToTree(object);
        write(ex, version, kind, List.of(o), o.path("metadata").path("resourceVersion").asText(null));
        return true;
    }

    private void write(HttpExchange ex, String version, ResourceKind kind, List<JsonNode> objects, String resourceVersion) throws IOException {
        Map<String, String> q = HttpIO.query(ex);
        String include = q.getOrDefault("includeObject", "");
        if (!List.of("", "None", "Metadata", "Object").contains(include)) {
            throw new HttpIO.BadRequest("includeObject=" + include + " is not one of None, Metadata, Object");
        }
        boolean noHeaders = HttpIO.booleanParam(q, "noHeaders", false);
        HttpIO.json(ex, 200, mapper, table(kind, version, objects, resourceVersion, include, noHeaders, Instant.now()));
    }

    /** The Table of {@code objects} (JSON trees of {@code kind}); {@code include} is None, Metadata (or empty) or Object. */
    ObjectNode table(ResourceKind kind, String version, List<JsonNode> objects, String resourceVersion, String include, boolean noHeaders, Instant now) {
        List<Column> columns = columns(kind);
        ObjectNode table = mapper.createObjectNode().put("kind", "Table").put("apiVersion", GROUP + "/" + version);
        ObjectNode metadata = table.putObject("metadata");
        if (resourceVersion != null) metadata.put("resourceVersion", resourceVersion);
        if (!noHeaders) {
            ArrayNode defs = table.putArray("columnDefinitions");
            for (Column c : columns) {
                defs.addObject().put("name", c.name()).put("type", c.type().equals("object") ? "string" : c.type()).put("format", c.format()).put("description", c.description())
                        .put("priority", c.priority());
            }
        }
        ArrayNode rows = table.putArray("rows");
        for (JsonNode o : objects) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            for (Column c : columns) {
                if (c.path() == null) cells.add(o.path("metadata").path("name").asText(""));
                else cells.add(cell(c, o, now));
            }
            switch (include) {
                case "None" -> {
                }
                case "Object" -> row.set("object", o);
                default -> {
                    ObjectNode partial = row.putObject("object").put("kind", "PartialObjectMetadata").put("apiVersion", GROUP + "/" + version);
                    partial.set("metadata", o.path("metadata").isObject() ? o.get("metadata") : mapper.createObjectNode());
                }
            }
        }
        return table;
    }

    /** Name, then the CRD's printer columns (Age when it defines none), as kube-apiserver's CRD table convertor. */
    private List<Column> columns(ResourceKind kind) {
        List<Column> out = new ArrayList<>();
        out.add(new Column("Name", "string", "name",
                "Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0, null));
        if (kind.group().isEmpty() && kind.kind().equals("Event")) {
            // core/v1 Event has no CRD: kube-apiserver's own columns (kubectl get events)
            out.clear();
            out.add(new Column("Last Seen", "date", "", "Time when this Event was last observed.", 0, JsonPath.parse(".lastTimestamp")));
            out.add(new Column("Type", "string", "", "Type of this event (Normal, Warning).", 0, JsonPath.parse(".type")));
            out.add(new Column("Reason", "string", "", "Why the action was taken.", 0, JsonPath.parse(".reason")));
            out.add(new Column("Object", "object", "", "The object this event is about, as kind/name.", 0, JsonPath.parse(".involvedObject")));
            out.add(new Column("Message", "string", "", "A human-readable description of the status of this operation.", 0, JsonPath.parse(".message")));
            out.add(new Column("Name", "string", "name", "The event's name.", 1, JsonPath.parse(".metadata.name")));
            return out;
        }
        List<JsonNode> crdColumns = ServedKinds.instance().of(kind).printerColumns();
        if (crdColumns.isEmpty()) {
            out.add(new Column("Age", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0,
                    JsonPath.parse(".metadata.creationTimestamp")));
            return out;
        }
        for (JsonNode c : crdColumns) {
            String path = c.path("jsonPath").asText();
            String description = c.path("description").asText("");
            out.add(new Column(c.path("name").asText(), c.path("type").asText("string"), c.path("format").asText(""),
                    description.isEmpty() ? "Custom resource definition column (in JSONPath format): " + path : description,
                    c.path("priority").asInt(0), JsonPath.parse(path)));
        }
        return out;
    }

    /** A cell as kube-apiserver's cellForJSONValue: the first value found, as the column's type; null when none fits. */
    private JsonNode cell(Column c, JsonNode object, Instant now) {
        var f = mapper.getNodeFactory();
        List<JsonNode> found = c.path().find(object);
        if (found.isEmpty() || found.get(0).isNull() || found.get(0).isMissingNode()) return f.nullNode();
        JsonNode v = found.get(0);
        return switch (c.type()) {
            case "string" -> f.textNode(v.isTextual() ? v.asText() : v.isValueNode() ? v.asText() : v.toString());
            case "integer" -> v.isNumber() ? f.numberNode(v.asLong()) : f.nullNode();
            case "number" -> v.isNumber() ? f.numberNode(v.asDouble()) : f.nullNode();
            case "boolean" -> v.isBoolean() ? v : f.nullNode();
            case "date" -> v.isTextual() ? f.textNode(age(v.asText(), now)) : f.nullNode();
            case "object" -> f.textNode(v.path("kind").asText().toLowerCase(java.util.Locale.ROOT) + "/" + v.path("name").asText()); // shown as a string
            default -> f.nullNode();
        };
    }

    /** An RFC 3339 time as an age ("<invalid>" when it is not one), as kubectl shows AGE. */
    static String age(String timestamp, Instant now) {
        try {
            return humanDuration(Duration.between(OffsetDateTime.parse(timestamp).toInstant(), now));
        } catch (DateTimeParseException e) {
            return "<invalid>";
        }
    }

    /** A duration with two or three significant figures, as Kubernetes' duration.HumanDuration. */
    static String humanDuration(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 60 * 2) return seconds + "s";
        long minutes = seconds / 60;
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        }
        if (minutes < 60 * 3) return minutes + "m";
        long hours = seconds / 3600;
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        }
        if (hours < 48) return hours + "h";
        if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
        }
        if (hours < 24 * 365 * 2) return hours / 24 + "d";
        if (hours < 24 * 365 * 8) {
            long days = (hours / 24) % 365;
            return days == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + days + "d";
        }
        return hours / 24 / 365 + "y";
    }
}
