package dev.agentbox.adk;

import dev.agentbox.testing.RealAgentboxd;
import dev.agentbox.client.SandboxSessions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.adk.agents.LlmAgent;
import com.google.adk.events.Event;
import com.google.adk.models.BaseLlm;
import com.google.adk.models.BaseLlmConnection;
import com.google.adk.models.LlmRequest;
import com.google.adk.models.LlmResponse;
import com.google.adk.runner.InMemoryRunner;
import com.google.adk.sessions.Session;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.Part;
import io.reactivex.rxjava3.core.Flowable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** ADK agents with agentbox's code_exec tool and code executor, driven by a scripted model, on real sandboxes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentboxAdkTest {
    static final String PRIME_56 = """
            primes = []
            n = 2
            while len(primes) < 56:
                if all(n % p for p in primes if p * p <= n):
                    primes.append(n)
                n += 1
            print(primes[-1])
            """;
    static final String QUESTION = "What is the 56th prime number?";

    /**
     * The scripted model (the only fake). With {@code useTool}, it first calls code_exec with {@code program}, then
     * answers from the function response; otherwise it first answers with a ```python block (which ADK hands to
     * the code executor), then answers from the code execution result it is shown.
     */
    static final class ScriptedLlm extends BaseLlm {
        final boolean useTool;
        final String program;
        final List<String> toolOutputsSeen = new ArrayList<>();

        ScriptedLlm(boolean useTool, String program) {
            super("scripted-model");
            this.useTool = useTool;
            this.program = program;
        }

        @Override
        public Flowable<LlmResponse> generateContent(LlmRequest request, boolean stream) {
            Content last = request.contents().get(request.contents().size() - 1);
            for (Part p : last.parts().orElse(List.of())) {
                if (p.functionResponse().isPresent()) {
                    Map<String, Object> r = p.functionResponse().get().response().orElse(Map.of());
                    toolOutputsSeen.add(r.toString());
                    Object exit = r.get("exit_code");
                    if (!Integer.valueOf(0).equals(exit)) return answer("The program failed: " + r);
                    return answer("The 56th prime number is " + r.get("stdout").toString().trim() + ".");
                }
            }
            String seen = allText(request);
            if (!useTool && (seen.contains("Code execution result") || seen.contains("tool_output"))) {
                toolOutputsSeen.add(seen);
                Matcher m = Pattern.compile("Code execution result:\\s*(\\d+)").matcher(seen);
                if (m.find()) return answer("The 56th prime number is " + m.group(1) + ".");
                return answer("The program failed: " + seen);
            }
            if (useTool) {
                assertThat(request.tools()).containsKey(CodeExecTool.NAME);
                FunctionCall call = FunctionCall.builder().id("call-1").name(CodeExecTool.NAME).args(Map.of("code", program)).build();
                return Flowable.just(LlmResponse.builder()
                        .content(Content.builder().role("model").parts(List.of(Part.builder().functionCall(call).build())).build()).build());
            }
            return answer("I will compute it.\n```python\n" + program + "\n```");
        }

        private static String allText(LlmRequest request) {
            StringBuilder b = new StringBuilder();
            for (Content c : request.contents()) {
                for (Part p : c.parts().orElse(List.of())) {
                    p.text().ifPresent(t -> b.append(t).append('\n'));
                    p.codeExecutionResult().ifPresent(r -> b.append("Code execution result:\n").append(r.output().orElse("")).append('\n'));
                }
            }
            return b.toString();
        }

        private static Flowable<LlmResponse> answer(String text) {
            return Flowable.just(LlmResponse.builder().content(Content.builder().role("model").parts(List.of(Part.fromText(text))).build()).build());
        }

        @Override
        public BaseLlmConnection connect(LlmRequest request) {
            throw new UnsupportedOperationException("the scripted model has no live connection");
        }
    }

    RealAgentboxd daemon;
    SandboxSessions sandboxes;

    @BeforeAll
    void start() {
        daemon = new RealAgentboxd("adk-python");
        sandboxes = new SandboxSessions(daemon.client(), daemon.pool(), Duration.ofMinutes(5));
    }

    @AfterAll
    void stop() {
        try {
            if (sandboxes != null) sandboxes.close();
        } finally {
            if (daemon != null) daemon.close();
        }
    }

    record Run(String sessionId, String finalAnswer) {}

    static Run ask(LlmAgent agent, String question) {
        InMemoryRunner runner = new InMemoryRunner(agent);
        Session session = runner.sessionService().createSession(runner.appName(), "user").blockingGet();
        String answer = null;
        for (Event e : runner.runAsync("user", session.id(), Content.fromParts(Part.fromText(question))).blockingIterable()) {
            if (e.finalResponse() && e.content().isPresent()) {
                String text = e.content().get().text();
                if (text != null && !text.isBlank()) answer = text;
            }
        }
        return new Run(session.id(), answer);
    }

    @Test
    void codeExecToolAnswersThe56thPrimeFromTheSandbox() {
        ScriptedLlm model = new ScriptedLlm(true, PRIME_56);
        LlmAgent agent = LlmAgent.builder().name("prime_agent").model(model).instruction("Use code_exec to compute.")
                .tools(CodeExecTool.create(sandboxes, Duration.ofSeconds(30))).build();

        Run run = ask(agent, QUESTION);

        assertThat(run.finalAnswer()).isEqualTo("The 56th prime number is 263.");
        assertThat(model.toolOutputsSeen).singleElement().asString().contains("263").contains("exit_code=0");
        assertThat(sandboxes.activeSessions()).contains(run.sessionId());
        sandboxes.release(run.sessionId());
        assertThat(sandboxes.activeSessions()).doesNotContain(run.sessionId());
    }

    @Test
    void codeExecutorRunsTheModelsPythonBlockInTheSessionsSandbox() {
        ScriptedLlm model = new ScriptedLlm(false, PRIME_56);
        LlmAgent agent = LlmAgent.builder().name("prime_coder").model(model)
                .codeExecutor(new AgentboxCodeExecutor(sandboxes, Duration.ofSeconds(30))).build();

        Run run = ask(agent, QUESTION);

        assertThat(run.finalAnswer()).isEqualTo("The 56th prime number is 263.");
        assertThat(sandboxes.activeSessions()).contains(run.sessionId());
        sandboxes.release(run.sessionId());
    }

    @Test
    void aSyntaxErrorReachesTheModelAsData() {
        ScriptedLlm model = new ScriptedLlm(true, "print('unclosed'\n");
        LlmAgent agent = LlmAgent.builder().name("broken_agent").model(model)
                .tools(CodeExecTool.create(sandboxes, Duration.ofSeconds(30))).build();

        Run run = ask(agent, QUESTION);

        assertThat(run.finalAnswer()).startsWith("The program failed:").contains("SyntaxError").contains("exit_code=1");
        sandboxes.release(run.sessionId());
    }

    @Test
    void nonZeroExitAndTimeoutAreData() {
        CodeExecTool tool = new CodeExecTool(sandboxes, Duration.ofSeconds(2));

        Map<String, Object> exit = tool.run("direct", "import sys\nprint('so far')\nsys.exit(3)");
        assertThat(exit).containsEntry("exit_code", 3).containsEntry("stdout", "so far\n");

        Map<String, Object> slow = tool.run("direct", "import time\ntime.sleep(30)");
        assertThat(slow).containsEntry("timed_out", true).containsKey("error");
        sandboxes.release("direct");
    }

    @Test
    void aSessionsSandboxIsReleasedWhenItIdlesOut() {
        try (SandboxSessions shortLived = new SandboxSessions(daemon.client(), daemon.pool(), Duration.ofSeconds(1))) {
            Map<String, Object> r = new CodeExecTool(shortLived, Duration.ofSeconds(30)).run("s1", "print(1)");
            assertThat(r).containsEntry("exit_code", 0);

            await().atMost(Duration.ofSeconds(10)).until(() -> shortLived.activeSessions().isEmpty());
        }
    }
}
