package dev.agentbox.client;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stateful code execution in one sandbox (E2B-style code contexts): {@code code().run("x = 41")} then
 * {@code code().run("x + 1").text()} is {@code "42"}. Each context is its own interpreter (python or bash); a sandbox
 * has at most 16. Contexts end with their sandbox and with agentboxd (docs/code-contexts.md).
 */
public interface Code {
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** Starts an interpreter: {@code python} (needs python3 in the image) or {@code bash}. */
    CodeContext createContext(String language);

    List<CodeContext> listContexts();

    /** Ends a context and its interpreter. */
    void deleteContext(CodeContext context);

    /**
     * Runs a snippet in this sandbox's default Python context (created on first use). If that context is gone (agentboxd
     * or the sandbox restarted), a new one is made and the result's stderr says that earlier variables are lost.
     */
    CodeResult run(String code);

    /**
     * Runs a snippet in this sandbox's default context of {@code language} (python or bash; created on first use),
     * with the same recovery as {@link #run(String)}.
     */
    CodeResult runIn(String language, String code, Duration timeout);

    default CodeResult run(CodeContext context, String code) {
        return run(context, code, DEFAULT_TIMEOUT, null, null);
    }

    /** Runs a snippet, handing its output to the callbacks (may be null) as it arrives; past the timeout it is interrupted. */
    CodeResult run(CodeContext context, String code, Duration timeout, Consumer<String> onStdout, Consumer<String> onStderr);

    /** Stops what the context runs (Python: KeyboardInterrupt); its state is kept. */
    void interrupt(CodeContext context);

    /** A fresh interpreter under the same id: its variables are gone. */
    void restart(CodeContext context);
}
