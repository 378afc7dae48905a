package dev.agentbox.server.contexts;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What one snippet produced: its output, its rich results (the last expression's value, matplotlib figures; each a
 * map of format to data: text, png (base64), svg, html, markdown, latex, json), the error it raised (null if none),
 * the shell's exit status (bash contexts only). {@code timedOut}: the run hit its timeout and was interrupted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CodeResult(String stdout, String stderr, List<Map<String, String>> results, CodeError error, Integer exitCode,
                         boolean timedOut, boolean truncated, long durationMillis) {

    /** An exception as the interpreter names it: {@code ZeroDivisionError}, {@code division by zero}, its traceback. */
    public record CodeError(String name, String value, String traceback) {}
}
