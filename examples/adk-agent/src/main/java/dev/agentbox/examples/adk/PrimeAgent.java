package dev.agentbox.examples.adk;

import com.google.adk.agents.LlmAgent;
import com.google.adk.events.Event;
import com.google.adk.models.BaseLlm;
import com.google.adk.runner.InMemoryRunner;
import com.google.adk.sessions.Session;
import com.google.genai.types.Content;
import com.google.genai.types.Part;
import dev.agentbox.adk.CodeExecTool;
import dev.agentbox.client.SandboxSessions;
import dev.agentbox.api.Resources;
import dev.agentbox.client.ResourceType;
import dev.agentbox.client.SandboxClient;
import dev.agentbox.server.Agentboxd;
import dev.agentbox.server.AgentboxdConfig;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The demo agent: asks "What is the 56th prime number?" (or the first argument) of an ADK agent whose only tool is
 * agentbox's code_exec, and prints the tool calls and the answer.
 *
 * <p>Model: Gemini when GOOGLE_API_KEY is set (GEMINI_MODEL, default gemini-2.5-flash); else an OpenAI-compatible
 * endpoint when OPENAI_BASE_URL is set (OPENAI_MODEL required, OPENAI_API_KEY optional), through LangChain4j.
 * Sandboxes: the agentboxd at AGENTBOX_URL / ~/.agentbox when one answers, else an embedded one in a temporary
 * directory (root and runsc needed, as for `agentbox quickstart`); the warm pool AGENTBOX_WARM_POOL (default
 * python-pool) is created from examples/ when it does not exist.
 */
public final class PrimeAgent {
    private PrimeAgent() {}

    static final String WHAT_TO_SET = """
            No model is configured. Set one of:
              GOOGLE_API_KEY=<your Gemini API key>            (optional: GEMINI_MODEL, default gemini-2.5-flash)
              OPENAI_BASE_URL=<OpenAI-compatible endpoint> and OPENAI_MODEL=<model name>
                  e.g. OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=qwen2.5:7b   (Ollama)
                       OPENAI_BASE_URL=http://localhost:8000/v1  OPENAI_MODEL=<served model> (vLLM)
                  (optional: OPENAI_API_KEY, for endpoints that check one)
            then run again: examples/adk-agent/run""";

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        Object model = model(env);
        if (model == null) {
            System.err.println(WHAT_TO_SET);
            System.exit(2);
        }
        String question = args.length > 0 ? String.join(" ", args) : "What is the 56th prime number?";
        String pool = env.getOrDefault("AGENTBOX_WARM_POOL", "python-pool");

        Agentboxd embedded = null;
        SandboxClient client = SandboxClient.fromEnvironment();
        if (!reachable(client)) {
            client.close();
            Path state = Files.createTempDirectory("agentbox-adk-demo");
            System.err.println("[no agentboxd answers; starting an embedded one in " + state + "]");
            embedded = Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", 0).withStopSandboxesOnExit(true));
            client = SandboxClient.builder().endpoint(embedded.endpoint()).caFile(embedded.caFile()).token(embedded.adminToken()).build();
        }
        try (SandboxSessions sandboxes = new SandboxSessions(client, pool, Duration.ofMinutes(5))) {
            ensurePool(client, pool);
            LlmAgent.Builder agent = LlmAgent.builder()
                    .name("prime_agent")
                    .description("Answers questions by running Python in a sandbox.")
                    .instruction("You answer questions by writing a short Python 3 program, running it with the code_exec tool, "
                            + "and reading its stdout. Always use code_exec to compute; never guess. If the program fails, "
                            + "read stderr, fix the program and run it again. Answer in one sentence.")
                    .tools(CodeExecTool.create(sandboxes, Duration.ofSeconds(60)));
            if (model instanceof String name) agent.model(name);
            else agent.model((BaseLlm) model);

            InMemoryRunner runner = new InMemoryRunner(agent.build());
            Session session = runner.sessionService().createSession(runner.appName(), "demo-user").blockingGet();
            System.out.println("Q: " + question);
            for (Event e : runner.runAsync("demo-user", session.id(), Content.fromParts(Part.fromText(question))).blockingIterable()) {
                e.functionCalls().forEach(c -> System.out.println("[code_exec]\n" + c.args().map(a -> String.valueOf(a.get("code"))).orElse("")));
                e.functionResponses().forEach(r -> System.out.println("[sandbox] " + r.response().orElse(Map.of())));
                if (e.finalResponse() && e.content().isPresent() && e.content().get().text() != null && !e.content().get().text().isBlank()) {
                    System.out.println("A: " + e.content().get().text().strip());
                }
            }
            sandboxes.release(session.id());
        } finally {
            client.close();
            if (embedded != null) embedded.close();
        }
        System.exit(0);
    }

    /** The model name for ADK's Gemini, a LangChain4j-backed model, or null when nothing is configured. */
    static Object model(Map<String, String> env) {
        if (notBlank(env.get("GOOGLE_API_KEY"))) return env.getOrDefault("GEMINI_MODEL", "gemini-2.5-flash");
        if (notBlank(env.get("OPENAI_BASE_URL"))) {
            String name = env.get("OPENAI_MODEL");
            if (!notBlank(name)) {
                System.err.println("OPENAI_BASE_URL is set but OPENAI_MODEL is not: set OPENAI_MODEL to a model the endpoint serves (e.g. qwen2.5:7b)");
                System.exit(2);
            }
            var chat = OpenAiChatModel.builder().baseUrl(env.get("OPENAI_BASE_URL")).modelName(name)
                    .apiKey(notBlank(env.get("OPENAI_API_KEY")) ? env.get("OPENAI_API_KEY") : "not-needed")
                    .timeout(Duration.ofMinutes(5)).build();
            return new LangChain4jLlm(name, chat);
        }
        return null;
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static boolean reachable(SandboxClient client) {
        try {
            client.resources().list(ResourceType.SANDBOX_WARM_POOL, null);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Applies examples/python-runtime-template.yaml and examples/warm-pool.yaml when the pool does not exist, then waits for a ready member. */
    private static void ensurePool(SandboxClient client, String pool) throws IOException, InterruptedException {
        if (client.resources().find(ResourceType.SANDBOX_WARM_POOL, pool).isEmpty()) {
            Path examples = Path.of("examples");
            for (String f : new String[] {"python-runtime-template.yaml", "warm-pool.yaml"}) {
                for (HasMetadata r : Resources.parseAll(Files.readString(examples.resolve(f)))) client.resources().apply(r);
            }
            System.err.println("[applied examples/python-runtime-template.yaml and examples/warm-pool.yaml]");
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            var p = client.resources().get(ResourceType.SANDBOX_WARM_POOL, pool);
            if (p.getAdditionalProperties().get("status") instanceof Map<?, ?> st && st.get("readyReplicas") instanceof Number n && n.intValue() > 0) return;
            Thread.sleep(200);
        }
        throw new IllegalStateException("warm pool " + pool + " has no ready sandbox after 2 minutes: see `agentbox get sandboxes`");
    }
}
