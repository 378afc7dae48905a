package dev.agentbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentbox.client.ApplyResult;
import dev.agentbox.client.ResourceClient;
import dev.agentbox.client.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(mixinStandardHelpOptions = true, name = "apply", sortOptions = false,
        description = {"Create or update resources from manifests (like kubectl apply).",
                "A file may hold several YAML documents separated by ---. Objects that exist get their spec, labels and",
                "annotations replaced; the others are created. Prints one line per object, e.g.",
                "  sandboxtemplate.extensions.agents.x-k8s.io/python created",
                "and the server's warnings (fields that have no meaning on one host) on stderr."},
        footer = {"", "Examples:", "  agentbox apply -f examples/python-runtime-template.yaml", "  cat pool.yaml | agentbox apply -f -"})
final class ApplyCommand extends BaseCommand {
    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE",
            description = "a manifest file, a directory of *.yaml/*.yml/*.json files, or - for stdin (repeatable)")
    List<String> files;

    @Override
    int run() throws IOException {
        List<ObjectNode> objects = new ArrayList<>();
        for (String f : files) {
            if (f.equals("-")) {
                objects.addAll(Manifests.parse(new String(root().stdin.readAllBytes(), StandardCharsets.UTF_8), "stdin"));
                continue;
            }
            Path p = Path.of(f);
            if (!Files.exists(p)) throw new IllegalArgumentException("the path \"" + f + "\" does not exist");
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    for (Path child : s.filter(c -> c.toString().matches(".*\\.(ya?ml|json)$")).sorted().toList()) {
                        objects.addAll(Manifests.parse(Files.readString(child), child.toString()));
                    }
                }
            } else {
                objects.addAll(Manifests.parse(Files.readString(p), f));
            }
        }
        if (objects.isEmpty()) throw new IllegalArgumentException("no objects passed to apply");
        int failures = 0;
        for (ObjectNode o : objects) {
            String label = o.path("kind").asText("?").toLowerCase() + "/" + o.path("metadata").path("name").asText("?");
            try {
                GenericKubernetesResource r = Manifests.toResource(o);
                ResourceType type = ResourceType.of(r);
                label = type.qualifiedSingular() + "/" + r.getMetadata().getName();
                String ns = r.getMetadata().getNamespace();
                ResourceClient rc = client().resources();
                if (ns != null && !ns.isBlank()) rc = rc.inNamespace(ns);
                if (!prePull(o)) {
                    failures++;
                    continue;
                }
                ApplyResult result = rc.apply(r);
                for (String w : result.warnings()) err().println("Warning: " + w);
                out().println(label + (result.action() == ApplyResult.Action.CREATED ? " created" : " configured"));
            } catch (RuntimeException e) {
                failures++;
                err().println("error: " + label + ": " + Main.message(e));
            }
            out().flush();
            err().flush();
        }
        return failures == 0 ? 0 : 1;
    }

    /**
     * Before a Sandbox or SandboxTemplate is applied, has agentboxd pull the images it names (by each container's
     * imagePullPolicy) through the streaming pull, printing its progress on stderr: agentboxd's admission would pull
     * them anyway, within the apply request, where no progress can be shown. A token that may not pull (403), a policy
     * other than IfNotPresent/Always (admission names the field) and backends that pull no images skip it. False (the
     * error printed) when a pull failed: the apply would fail the same way.
     */
    private boolean prePull(ObjectNode o) {
        String kind = o.path("kind").asText();
        if (!kind.equals("Sandbox") && !kind.equals("SandboxTemplate")) return true;
        if (!client().images().pulls()) return true;
        String label = kind.toLowerCase() + "/" + o.path("metadata").path("name").asText("?");
        com.fasterxml.jackson.databind.JsonNode pod = o.path("spec").path("podTemplate").path("spec");
        for (String list : List.of("initContainers", "containers")) {
            int i = 0;
            for (com.fasterxml.jackson.databind.JsonNode c : pod.path(list)) {
                String field = "spec.podTemplate.spec." + list + "[" + i++ + "].image";
                String image = c.path("image").asText("");
                String policy = c.path("imagePullPolicy").asText("IfNotPresent");
                if (image.isBlank() || image.equals("agentbox/builtin") || !(policy.equals("IfNotPresent") || policy.equals("Always"))) continue;
                try {
                    client().images().pull(image, policy, line -> {
                        err().println(line);
                        err().flush();
                    });
                } catch (dev.agentbox.api.ForbiddenException e) {
                    return true; // this token may not pull: agentboxd's admission pulls at apply, without progress
                } catch (RuntimeException e) {
                    err().println("error: " + label + ": " + field + ": " + Main.message(e));
                    return false;
                }
            }
        }
        return true;
    }
}
