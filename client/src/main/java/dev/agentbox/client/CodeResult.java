package dev.agentbox.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * What one snippet in a {@link CodeContext} produced: its output, its rich results (the last expression's value and
 * each matplotlib figure shown; each a map of format to data: {@code text}, {@code png} (base64), {@code svg},
 * {@code html}, {@code markdown}, {@code latex}, {@code json}), the error it raised (null if none) and, in a bash
 * context, the exit status of its last command. {@code timedOut}: it ran past its timeout and was interrupted;
 * {@code truncated}: output or results past the limits were dropped.
 */
public record CodeResult(String stdout, String stderr, List<Map<String, String>> results, Error error, Integer exitCode,
                         boolean timedOut, boolean truncated, Duration duration) {

    public CodeResult {
        results = results == null ? List.of() : List.copyOf(results);
    }

    /** An exception as the interpreter names it, e.g. {@code ZeroDivisionError}, {@code division by zero}, traceback. */
    public record Error(String name, String value, String traceback) {}

    /** The text of the last result that has one (the value of the snippet's last expression, as repr shows it), or null. */
    public String text() {
        for (int i = results.size() - 1; i >= 0; i--) {
            if (results.get(i).containsKey("text") && !results.get(i).containsKey("png")) return results.get(i).get("text");
        }
        return null;
    }

    /** The PNG images among the results (matplotlib figures, objects with {@code _repr_png_}), decoded. */
    public List<byte[]> pngs() {
        List<byte[]> out = new ArrayList<>();
        for (Map<String, String> r : results) if (r.containsKey("png")) out.add(Base64.getDecoder().decode(r.get("png")));
        return out;
    }

    /** True when the snippet raised an error (or, in bash, ended with a non-zero status). */
    public boolean failed() {
        return error != null || (exitCode != null && exitCode != 0);
    }
}
