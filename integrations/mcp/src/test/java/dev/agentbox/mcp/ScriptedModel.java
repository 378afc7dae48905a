package dev.agentbox.mcp;

import java.util.Map;

/**
 * The scripted model (the only fake the tests use): asked the question, it calls run_code with a program for
 * the 56th prime; given the tool's output, it answers with the number it read there.
 */
final class ScriptedModel {
    record Step(String toolName, Map<String, Object> arguments, String answer) {}

    private int turn;

    Step next(String userMessage, String toolOutput) {
        if (turn++ == 0) return new Step("run_code", Map.of("code", AgentboxMcpServerTest.PRIME_56), null);
        String number = toolOutput.lines().dropWhile(l -> !l.equals("stdout:")).skip(1).findFirst().orElse("?").trim();
        return new Step(null, null, "The 56th prime number is " + number + ".");
    }
}
