package dev.agentbox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.client.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "get", sortOptions = false,
        description = {"List resources, or show one, in kubectl's style.",
                "KIND is a plural, singular or short name: sandboxes (sandbox, sbx), sandboxtemplates (sandboxtemplate),",
                "sandboxclaims (sandboxclaim, claim), sandboxwarmpools (sandboxwarmpool, warmpool), events (event, ev)."},
        footer = {"", "Examples:", "  agentbox get sandboxclaims", "  agentbox get sbx -o wide", "  agentbox get warmpool python-pool -o yaml",
                "  agentbox get sandboxes -l agents.x-k8s.io/pool=python-pool", "  agentbox get events --for sandboxclaim/my-claim -w"})
final class GetCommand extends BaseCommand {
    enum Format { table, wide, yaml, json, name }

    @Parameters(index = "0", paramLabel = "KIND", description = "the kind of resource")
    String kind;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "one object's name (default: all)")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "wide, yaml, json or name (default: a table)")
    Format format = Format.table;

    @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR", description = "label selector, e.g. a=b,c!=d,e")
    String selector;

    @Option(names = {"-A", "--all-namespaces"}, description = "list across all namespaces (admin token)")
    boolean allNamespaces;

    @Option(names = "--for", paramLabel = "KIND/NAME", description = "events only: those about this object, e.g. sandbox/my-sandbox")
    String forObject;

    @Option(names = {"-w", "--watch"}, description = "after the list, print each change as it happens, until interrupted")
    boolean watch;

    @Override
    int run() throws InterruptedException {
        ResourceType type = ResourceType.resolve(kind);
        boolean events = type.equals(ResourceType.EVENT);
        if (forObject != null && !events) throw new dev.agentbox.api.InvalidException("--for", "only for events: agentbox get events --for KIND/NAME");
        java.util.function.Predicate<GenericKubernetesResource> about = forObject == null ? i -> true : about(forObject);
        List<GenericKubernetesResource> items;
        if (name != null) {
            items = List.of(client().resources().get(type, name));
        } else if (allNamespaces) {
            items = client().resources().listAllNamespaces(type, selector);
        } else {
            items = client().resources().list(type, selector);
        }
        items = new ArrayList<>(items.stream().filter(about).toList());
        if (events) items.sort(EVENT_ORDER); // oldest first, as kubectl get events --sort-by=.lastTimestamp
        Table table = null;
        switch (format) {
            case yaml -> out().print(Manifests.yaml(name != null ? items.get(0) : asList(type, items)));
            case json -> out().println(Manifests.json(name != null ? items.get(0) : asList(type, items)));
            case name -> items.forEach(i -> out().println(type.qualifiedSingular() + "/" + i.getMetadata().getName()));
            default -> {
                if (items.isEmpty()) {
                    err().println(allNamespaces ? "No resources found" : "No resources found in " + client().namespace() + " namespace.");
                } else {
                    table = table(type, items, format == Format.wide, allNamespaces);
                    table.print(out());
                }
            }
        }
        out().flush();
        return watch ? watch(type, items, about, table) : 0;
    }

    /** -w: prints each change (a row, or the object for yaml/json/name) until the stream ends or the command is interrupted. */
    private int watch(ResourceType type, List<GenericKubernetesResource> listed, java.util.function.Predicate<GenericKubernetesResource> about,
                      Table listedTable) throws InterruptedException {
        boolean wide = format == Format.wide;
        Table rows = listedTable != null ? listedTable : new Table(headers(type, wide, allNamespaces));
        boolean[] headerPrinted = {listedTable != null};
        // the watch begins with an ADDED per existing object: those the list printed are not printed again
        java.util.Set<String> printed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (GenericKubernetesResource i : listed) printed.add(version(i));
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        var resources = allNamespaces ? client().resources().inNamespace(null) : client().resources();
        try (var w = resources.watch(type, selector, name, new dev.agentbox.client.Watcher() {
            @Override
            public void onEvent(dev.agentbox.client.WatchEvent e) {
                GenericKubernetesResource o = e.object();
                if (o.getMetadata() == null || !about.test(o) || !printed.add(version(o))) return;
                if (type.equals(ResourceType.EVENT) && e.type() == dev.agentbox.client.WatchEvent.Type.DELETED) return; // the TTL's deletions
                synchronized (GetCommand.this) {
                    switch (format) {
                        case yaml -> out().print("---\n" + Manifests.yaml(o));
                        case json -> out().println(Manifests.json(o));
                        case name -> out().println(type.qualifiedSingular() + "/" + o.getMetadata().getName());
                        default -> {
                            if (!headerPrinted[0]) {
                                rows.printHeader(out());
                                headerPrinted[0] = true;
                            }
                            rows.printRow(out(), row(type, o, wide, allNamespaces, Instant.now()));
                        }
                    }
                    out().flush();
                }
            }

            @Override
            public void onClose(Throwable error) {
                failure[0] = error;
                ended.countDown();
            }
        })) {
            ended.await();
        }
        if (failure[0] != null) {
            err().println("error: the watch ended: " + failure[0].getMessage());
            return 1;
        }
        return 0;
    }

    private static String version(GenericKubernetesResource o) {
        return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName() + "@" + o.getMetadata().getResourceVersion();
    }

    /** --for KIND/NAME: events whose involvedObject is that object (KIND: any name the CLI accepts for a kind, or a Kind). */
    private static java.util.function.Predicate<GenericKubernetesResource> about(String kindSlashName) {
        int slash = kindSlashName.indexOf('/');
        if (slash <= 0 || slash == kindSlashName.length() - 1) {
            throw new dev.agentbox.api.InvalidException("--for", "expected KIND/NAME, e.g. sandbox/my-sandbox or sandboxclaim/my-claim");
        }
        String k = kindSlashName.substring(0, slash);
        String n = kindSlashName.substring(slash + 1);
        String kindName = ResourceType.find(k).map(ResourceType::kind).orElse(k);
        return i -> {
            JsonNode involved = Manifests.tree(i).path("involvedObject");
            return n.equals(involved.path("name").asText()) && kindName.equalsIgnoreCase(involved.path("kind").asText());
        };
    }

    /** Events oldest first: by last seen, then by the store's order (resourceVersion). */
    static final java.util.Comparator<GenericKubernetesResource> EVENT_ORDER = java.util.Comparator
            .comparing((GenericKubernetesResource e) -> lastSeen(Manifests.tree(e)), java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()))
            .thenComparingLong(e -> {
                try {
                    return Long.parseLong(e.getMetadata().getResourceVersion());
                } catch (RuntimeException ex) {
                    return 0;
                }
            });

    /** lastTimestamp, else firstTimestamp, else eventTime (events.k8s.io style), else creation. */
    private static Instant lastSeen(JsonNode e) {
        for (String f : new String[] {"lastTimestamp", "firstTimestamp", "eventTime"}) {
            Instant t = instant(e.path(f).asText(null));
            if (t != null) return t;
        }
        JsonNode series = e.path("series").path("lastObservedTime");
        Instant t = instant(series.asText(null));
        return t != null ? t : instant(e.path("metadata").path("creationTimestamp").asText(null));
    }

    private static Instant instant(String s) {
        if (s == null || s.isEmpty()) return null;
        try {
            return java.time.OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static ObjectNode asList(ResourceType type, List<GenericKubernetesResource> items) {
        ObjectNode list = Manifests.JSON.createObjectNode();
        list.put("apiVersion", "v1");
        list.put("kind", "List");
        ArrayNode arr = list.putArray("items");
        items.forEach(i -> arr.add(Manifests.tree(i)));
        list.putObject("metadata").put("resourceVersion", "");
        return list;
    }

    static Table table(ResourceType type, List<GenericKubernetesResource> items, boolean wide, boolean withNamespace) {
        Table t = new Table(headers(type, wide, withNamespace));
        Instant now = Instant.now();
        for (GenericKubernetesResource item : items) t.add(row(type, item, wide, withNamespace, now));
        return t;
    }

    static List<String> headers(ResourceType type, boolean wide, boolean withNamespace) {
        List<String> headers = new ArrayList<>();
        if (withNamespace) headers.add("NAMESPACE");
        headers.addAll(switch (type.kind()) {
            case "Sandbox" -> wide ? List.of("NAME", "READY", "REASON", "CLAIM", "AGE", "MESSAGE") : List.of("NAME", "READY", "REASON", "AGE");
            case "SandboxClaim" -> wide ? List.of("NAME", "READY", "REASON", "SANDBOX", "WARMPOOL", "AGE", "MESSAGE")
                    : List.of("NAME", "READY", "REASON", "SANDBOX", "AGE");
            case "SandboxWarmPool" -> wide ? List.of("NAME", "TEMPLATE", "READY", "STRATEGY", "AGE") : List.of("NAME", "TEMPLATE", "READY", "AGE");
            case "SandboxTemplate" -> wide ? List.of("NAME", "IMAGE", "AGE", "COMMAND") : List.of("NAME", "IMAGE", "AGE");
            // kubectl's columns for events (its printEvent)
            case "Event" -> wide ? List.of("LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME")
                    : List.of("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
            default -> List.of("NAME", "AGE");
        });
        return headers;
    }

    static List<String> row(ResourceType type, GenericKubernetesResource item, boolean wide, boolean withNamespace, Instant now) {
        JsonNode o = Manifests.tree(item);
        JsonNode meta = o.path("metadata");
        JsonNode spec = o.path("spec");
        JsonNode status = o.path("status");
        JsonNode ready = readyCondition(o);
        String age = age(meta.path("creationTimestamp").asText(null), now);
        List<String> row = new ArrayList<>();
        if (withNamespace) row.add(meta.path("namespace").asText(""));
        if (type.kind().equals("Event")) {
            eventRow(o, wide, now, row);
            return row;
        }
        row.add(meta.path("name").asText(""));
        switch (type.kind()) {
            case "Sandbox" -> {
                row.add(text(ready, "status"));
                row.add(text(ready, "reason"));
                if (wide) row.add(owner(o, "SandboxClaim"));
                row.add(age);
                if (wide) row.add(text(ready, "message"));
            }
            case "SandboxClaim" -> {
                row.add(text(ready, "status"));
                row.add(text(ready, "reason"));
                String sbx = status.path("sandbox").path("name").asText("");
                row.add(sbx.isEmpty() ? status.path("sandbox").path("Name").asText("") : sbx);
                if (wide) row.add(spec.path("warmPoolRef").path("name").asText(""));
                row.add(age);
                if (wide) row.add(text(ready, "message"));
            }
            case "SandboxWarmPool" -> {
                row.add(spec.path("sandboxTemplateRef").path("name").asText(""));
                row.add(status.path("readyReplicas").asInt(0) + "/" + spec.path("replicas").asInt(0));
                if (wide) row.add(spec.path("updateStrategy").isObject() ? spec.path("updateStrategy").path("type").asText("")
                        : spec.path("updateStrategy").asText(""));
                row.add(age);
            }
            case "SandboxTemplate" -> {
                JsonNode c0 = spec.path("podTemplate").path("spec").path("containers").path(0);
                row.add(c0.path("image").asText(""));
                row.add(age);
                if (wide) {
                    List<String> cmd = new ArrayList<>();
                    c0.path("command").forEach(a -> cmd.add(a.asText()));
                    c0.path("args").forEach(a -> cmd.add(a.asText()));
                    row.add(String.join(" ", cmd));
                }
            }
            default -> row.add(age);
        }
        return row;
    }

    /** As kubectl's printEvent: last seen, type, reason, kind/name (kind in lower case), message; wide adds the rest. */
    private static void eventRow(JsonNode e, boolean wide, Instant now, List<String> row) {
        Instant first = instant(e.path("firstTimestamp").asText(null));
        if (first == null) first = instant(e.path("eventTime").asText(null));
        Instant last = instant(e.path("lastTimestamp").asText(null));
        if (last == null) last = first;
        int count = e.path("count").asInt(0);
        if (e.path("series").isObject()) {
            Instant observed = instant(e.path("series").path("lastObservedTime").asText(null));
            if (observed != null) last = observed;
            count = e.path("series").path("count").asInt(count);
        } else if (count == 0) {
            count = 1;
        }
        JsonNode involved = e.path("involvedObject");
        String kind = involved.path("kind").asText("").toLowerCase(java.util.Locale.ROOT);
        String object = involved.path("name").asText("").isEmpty() ? kind : kind + "/" + involved.path("name").asText();
        row.add(last == null ? "<unknown>" : Durations.age(Duration.between(last, now)));
        row.add(e.path("type").asText(""));
        row.add(e.path("reason").asText(""));
        row.add(object);
        if (wide) {
            row.add(involved.path("fieldPath").asText(""));
            String component = e.path("source").path("component").asText(e.path("reportingComponent").asText(""));
            String host = e.path("source").path("host").asText(e.path("reportingInstance").asText(""));
            row.add(host.isEmpty() ? component : component + ", " + host);
        }
        row.add(e.path("message").asText("").strip());
        if (wide) {
            row.add(first == null ? "<unknown>" : Durations.age(Duration.between(first, now)));
            row.add(Integer.toString(count));
            row.add(e.path("metadata").path("name").asText(""));
        }
    }

    static JsonNode readyCondition(JsonNode o) {
        for (JsonNode c : o.path("status").path("conditions")) {
            if ("Ready".equals(c.path("type").asText())) return c;
        }
        return null;
    }

    private static String text(JsonNode n, String field) {
        return n == null ? "" : n.path(field).asText("");
    }

    private static String owner(JsonNode o, String kind) {
        for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
            if (kind.equals(ref.path("kind").asText())) return ref.path("name").asText("");
        }
        return "";
    }

    static String age(String timestamp, Instant now) {
        if (timestamp == null || timestamp.isEmpty()) return "";
        try {
            return Durations.age(Duration.between(Instant.parse(timestamp), now));
        } catch (DateTimeParseException e) {
            return "";
        }
    }
}
