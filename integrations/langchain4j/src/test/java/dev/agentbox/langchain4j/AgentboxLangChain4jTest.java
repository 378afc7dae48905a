package dev.agentbox.langchain4j;

import dev.agentbox.testing.RealAgentboxd;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.client.Sandbox;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The LangChain4j tools and engine on real sandboxes, driven through AiServices by a scripted model. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentboxLangChain4jTest {
    static final String PRIME_56 = """
            primes = []
            n = 2
            while len(primes) < 56:
                if all(n % p for p in primes if p * p <= n):
                    primes.append(n)
                n += 1
            print(primes[-1])
            """;

    interface Assistant {
        String chat(String message);
    }

    /**
     * The scripted model (the only fake): first it calls run_python with the given program; when the tool result
     * comes back it answers with the result's stdout line, or, when the program failed, with the result itself.
     */
    static final class ScriptedModel implements ChatModel {
        final String program;
        final List<String> toolResultsSeen = new ArrayList<>();

        ScriptedModel(String program) {
            this.program = program;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            ChatMessage last = request.messages().get(request.messages().size() - 1);
            if (last instanceof ToolExecutionResultMessage result) {
                toolResultsSeen.add(result.text());
                String text = result.text();
                if (!text.contains("exit_code: 0")) return answer("The program failed:\n" + text);
                String stdout = text.lines().dropWhile(l -> !l.equals("stdout:")).skip(1).findFirst().orElse("?").trim();
                return answer("The 56th prime number is " + stdout + ".");
            }
            assertThat(request.toolSpecifications()).extracting(s -> s.name()).contains("run_python");
            String args;
            try {
                args = new ObjectMapper().writeValueAsString(Map.of("code", program));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return ChatResponse.builder().aiMessage(AiMessage.from(
                    ToolExecutionRequest.builder().id("call-1").name("run_python").arguments(args).build())).build();
        }

        private static ChatResponse answer(String text) {
            return ChatResponse.builder().aiMessage(AiMessage.from(text)).build();
        }
    }

    RealAgentboxd daemon;
    Sandbox sandbox;

    @BeforeAll
    void start() {
        daemon = new RealAgentboxd("lc4j-python");
        sandbox = daemon.client().createSandbox(daemon.pool());
    }

    @AfterAll
    void stop() {
        try {
            if (sandbox != null) sandbox.close();
        } finally {
            if (daemon != null) daemon.close();
        }
    }

    Assistant assistant(ScriptedModel model, AgentboxTools tools) {
        return AiServices.builder(Assistant.class).chatModel(model).tools(tools).build();
    }

    @Test
    void scriptedModelGetsThe56thPrimeFromTheSandboxThroughTheTool() {
        ScriptedModel model = new ScriptedModel(PRIME_56);
        try (AgentboxTools tools = new AgentboxTools(daemon.client(), daemon.pool())) {
            String answer = assistant(model, tools).chat("What is the 56th prime number?");

            assertThat(answer).isEqualTo("The 56th prime number is 263.");
            assertThat(model.toolResultsSeen).singleElement().asString().contains("exit_code: 0").contains("263");
        }
    }

    @Test
    void aSyntaxErrorReachesTheModelAsReadableText() {
        ScriptedModel model = new ScriptedModel("print('unclosed'\n");
        String answer = assistant(model, new AgentboxTools(sandbox, Duration.ofSeconds(30))).chat("Run it");

        assertThat(answer).startsWith("The program failed:").contains("exit_code: 1").contains("SyntaxError");
    }

    @Test
    void aNonZeroExitAndATimeoutComeBackAsText() {
        AgentboxTools tools = new AgentboxTools(sandbox, Duration.ofSeconds(2));

        assertThat(tools.runPython("import sys\nprint('so far')\nsys.exit(3)")).contains("exit_code: 3").contains("so far");
        assertThat(tools.runPython("import time\ntime.sleep(30)")).contains("timed out");
    }

    @Test
    void filesWrittenByOneToolAreSeenByTheOthers() {
        AgentboxTools tools = new AgentboxTools(sandbox, Duration.ofSeconds(30));

        assertThat(tools.writeFile("/tmp/n.txt", "41")).isEqualTo("wrote /tmp/n.txt");
        assertThat(tools.runPython("print(int(open('/tmp/n.txt').read()) + 1)")).contains("42");
        assertThat(tools.readFile("/tmp/n.txt")).isEqualTo("41");
        assertThat(tools.readFile("/tmp/missing")).startsWith("read_file failed:");
        assertThat(tools.runShell("echo $((6*7))")).contains("42");
    }

    @Test
    void codeExecutionEngineReturnsStdoutOrAReadableFailure() {
        AgentboxCodeExecutionEngine engine = new AgentboxCodeExecutionEngine(sandbox, Duration.ofSeconds(30));

        assertThat(engine.execute(PRIME_56)).isEqualTo("263");
        assertThat(engine.execute("1/0")).contains("exit_code: 1").contains("ZeroDivisionError");
        // one persistent interpreter (a code context): variables survive between calls
        assertThat(engine.execute("y = 6")).isEmpty();
        assertThat(engine.execute("print(y * 7)")).isEqualTo("42");
    }
}
