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
                "sandboxclaims (sandboxclaim, claim), sandboxwarmpools (sandboxwarmpool, warmpool)."},
        footer = {"", "Examples:", "  agentbox get sandboxclaims", "  agentbox get sbx -o wide", "  agentbox get warmpool python-pool -o yaml",
                "  agentbox get sandboxes -l agents.x-k8s.io/pool=python-pool"})
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

    @Override
    int run() {
        ResourceType type = ResourceType.resolve(kind);
        List<GenericKubernetesResource> items;
        if (name != null) {
            items = List.of(client().resources().get(type, name));
        } else if (allNamespaces) {
            items = client().resources().listAllNamespaces(type, selector);
        } else {
            items = client().resources().list(type, selector);
        }
        switch (format) {
            case yaml -> out().print(Manifests.yaml(name != null ? items.get(0) : asList(type, items)));
            case json -> out().println(Manifests.json(name != null ? items.get(0) : asList(type, items)));
            case name -> items.forEach(i -> out().println(type.qualifiedSingular() + "/" + i.getMetadata().getName()));
            default -> {
                if (items.isEmpty()) {
                    err().println(allNamespaces ? "No resources found" : "No resources found in " + client().namespace() + " namespace.");
                    return 0;
                }
                table(type, items, format == Format.wide, allNamespaces).print(out());
            }
        }
        return 0;
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
        List<String> headers = new ArrayList<>();
        if (withNamespace) headers.add("NAMESPACE");
        headers.addAll(switch (type.kind()) {
            case "Sandbox" -> wide ? List.of("NAME", "READY", "REASON", "CLAIM", "AGE", "MESSAGE") : List.of("NAME", "READY", "REASON", "AGE");
            case "SandboxClaim" -> wide ? List.of("NAME", "READY", "REASON", "SANDBOX", "WARMPOOL", "AGE", "MESSAGE")
                    : List.of("NAME", "READY", "REASON", "SANDBOX", "AGE");
            case "SandboxWarmPool" -> wide ? List.of("NAME", "TEMPLATE", "READY", "STRATEGY", "AGE") : List.of("NAME", "TEMPLATE", "READY", "AGE");
            case "SandboxTemplate" -> wide ? List.of("NAME", "IMAGE", "AGE", "COMMAND") : List.of("NAME", "IMAGE", "AGE");
            default -> List.of("NAME", "AGE");
        });
        Table t = new Table(headers);
        Instant now = Instant.now();
        for (GenericKubernetesResource item : items) {
            JsonNode o = Manifests.tree(item);
            JsonNode meta = o.path("metadata");
            JsonNode spec = o.path("spec");
            JsonNode status = o.path("status");
            JsonNode ready = readyCondition(o);
            String age = age(meta.path("creationTimestamp").asText(null), now);
            List<String> row = new ArrayList<>();
            if (withNamespace) row.add(meta.path("namespace").asText(""));
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
            t.add(row);
        }
        return t;
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
