package dev.agentbox.examples.adk;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.adk.models.BaseLlm;
import com.google.adk.models.BaseLlmConnection;
import com.google.adk.models.LlmRequest;
import com.google.adk.models.LlmResponse;
import com.google.adk.tools.BaseTool;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.FunctionDeclaration;
import com.google.genai.types.Part;
import com.google.genai.types.Schema;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import io.reactivex.rxjava3.core.Flowable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An ADK model backed by a LangChain4j {@link ChatModel} (here: any OpenAI-compatible endpoint, such as Ollama or
 * vLLM). ADK's own bridge (google-adk-langchain4j) is not published for ADK 1.8.0, so this demo carries a small
 * one: text, system instruction, function calls and function responses; tool parameters of simple types.
 */
final class LangChain4jLlm extends BaseLlm {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ChatModel chatModel;

    LangChain4jLlm(String modelName, ChatModel chatModel) {
        super(modelName);
        this.chatModel = chatModel;
    }

    @Override
    public Flowable<LlmResponse> generateContent(LlmRequest request, boolean stream) {
        return Flowable.fromCallable(() -> {
            ChatRequest.Builder b = ChatRequest.builder().messages(messages(request));
            List<ToolSpecification> tools = tools(request);
            if (!tools.isEmpty()) b.toolSpecifications(tools);
            AiMessage ai = chatModel.chat(b.build()).aiMessage();
            List<Part> parts = new ArrayList<>();
            if (ai.text() != null && !ai.text().isBlank()) parts.add(Part.fromText(ai.text()));
            if (ai.hasToolExecutionRequests()) {
                for (ToolExecutionRequest t : ai.toolExecutionRequests()) {
                    Map<String, Object> args = t.arguments() == null || t.arguments().isBlank() ? Map.of()
                            : JSON.readValue(t.arguments(), new TypeReference<Map<String, Object>>() {});
                    parts.add(Part.builder().functionCall(FunctionCall.builder().id(t.id()).name(t.name()).args(args).build()).build());
                }
            }
            if (parts.isEmpty()) parts.add(Part.fromText(""));
            return LlmResponse.builder().content(Content.builder().role("model").parts(parts).build()).build();
        });
    }

    private static List<ChatMessage> messages(LlmRequest request) throws Exception {
        List<ChatMessage> out = new ArrayList<>();
        request.config().flatMap(c -> c.systemInstruction()).map(Content::text)
                .filter(t -> t != null && !t.isBlank()).ifPresent(t -> out.add(SystemMessage.from(t)));
        for (Content c : request.contents()) {
            List<Part> parts = c.parts().orElse(List.of());
            boolean model = "model".equals(c.role().orElse("user"));
            StringBuilder text = new StringBuilder();
            List<ToolExecutionRequest> calls = new ArrayList<>();
            for (Part p : parts) {
                p.text().ifPresent(text::append);
                if (p.functionCall().isPresent()) {
                    FunctionCall f = p.functionCall().get();
                    calls.add(ToolExecutionRequest.builder().id(f.id().orElse(f.name().orElse("call")))
                            .name(f.name().orElse("")).arguments(JSON.writeValueAsString(f.args().orElse(Map.of()))).build());
                }
                if (p.functionResponse().isPresent()) {
                    var r = p.functionResponse().get();
                    out.add(ToolExecutionResultMessage.from(r.id().orElse(r.name().orElse("call")), r.name().orElse(""),
                            JSON.writeValueAsString(r.response().orElse(Map.of()))));
                }
            }
            if (model) {
                if (!calls.isEmpty()) out.add(AiMessage.builder().text(text.isEmpty() ? null : text.toString()).toolExecutionRequests(calls).build());
                else if (!text.isEmpty()) out.add(AiMessage.from(text.toString()));
            } else if (!text.isEmpty()) {
                out.add(UserMessage.from(text.toString()));
            }
        }
        return out;
    }

    private static List<ToolSpecification> tools(LlmRequest request) {
        List<ToolSpecification> out = new ArrayList<>();
        for (BaseTool tool : request.tools().values()) {
            FunctionDeclaration d = tool.declaration().orElse(null);
            if (d == null) continue;
            JsonObjectSchema.Builder params = JsonObjectSchema.builder();
            Schema s = d.parameters().orElse(null);
            if (s != null) {
                for (var e : s.properties().orElse(Map.of()).entrySet()) {
                    String desc = e.getValue().description().orElse(null);
                    String type = e.getValue().type().map(t -> t.toString().toUpperCase()).orElse("STRING");
                    switch (type) {
                        case "INTEGER" -> params.addIntegerProperty(e.getKey(), desc);
                        case "NUMBER" -> params.addNumberProperty(e.getKey(), desc);
                        case "BOOLEAN" -> params.addBooleanProperty(e.getKey(), desc);
                        default -> params.addStringProperty(e.getKey(), desc);
                    }
                }
                s.required().ifPresent(params::required);
            }
            out.add(ToolSpecification.builder().name(d.name().orElse(tool.name()))
                    .description(d.description().orElse(tool.description())).parameters(params.build()).build());
        }
        return out;
    }

    @Override
    public BaseLlmConnection connect(LlmRequest request) {
        throw new UnsupportedOperationException("live connections are not supported through LangChain4j");
    }
}
