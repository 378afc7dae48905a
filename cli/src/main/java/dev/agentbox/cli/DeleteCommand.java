package dev.agentbox.cli;

import dev.agentbox.client.ResourceType;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(mixinStandardHelpOptions = true, name = "delete", description = {"Delete resources by kind and name.",
        "Deleting a claim releases its sandbox (deleted per the claim's shutdownPolicy)."},
        footer = {"", "Examples:", "  agentbox delete sandboxclaim my-claim", "  agentbox delete warmpool python-pool -n team-a"})
final class DeleteCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "KIND", description = "sandboxes (sbx), sandboxtemplates, sandboxclaims (claim), sandboxwarmpools (warmpool)")
    String kind;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "NAME", description = "names of the objects")
    List<String> names;

    @Override
    int run() {
        ResourceType type = ResourceType.resolve(kind);
        int failures = 0;
        for (String name : names) {
            try {
                client().resources().delete(type, name);
                out().println(type.qualifiedSingular() + " \"" + name + "\" deleted");
            } catch (RuntimeException e) {
                failures++;
                err().println("error: " + Main.message(e));
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
