package dev.agentbox.server.contexts;

import dev.agentbox.api.InvalidException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * An interpreter a context can run: the command that starts its kernel inside the sandbox. Every kernel speaks the
 * protocol of kernel.py (docs/code-contexts.md), so another language is one more entry here.
 */
public record Language(String name, List<String> argv, Map<String, String> env) {
    private static final String KERNEL = resource("kernel.py");
    /**
     * One BLAS/OpenMP thread: numpy's OpenBLAS otherwise starts a spinning thread per host CPU, and under gVisor with a
     * CPU limit those threads made `import numpy` (and so matplotlib) take minutes instead of a second.
     */
    private static final Map<String, String> ENV = Map.of("MPLBACKEND", "Agg", "PYTHONUNBUFFERED", "1", "PYTHONDONTWRITEBYTECODE", "1",
            "OPENBLAS_NUM_THREADS", "1", "OMP_NUM_THREADS", "1", "MKL_NUM_THREADS", "1");

    /** The kernel script is passed with -c, so nothing is written into the sandbox (its root may be read-only). */
    public static final Language PYTHON = new Language("python", List.of("python3", "-c", KERNEL, "python"), ENV);
    /** A persistent bash driven by the same kernel (the image needs python3 and bash). */
    public static final Language BASH = new Language("bash", List.of("python3", "-c", KERNEL, "bash"), ENV);

    public static Language of(String name) {
        return switch (name == null ? "python" : name) {
            case "python", "python3" -> PYTHON;
            case "bash", "sh", "shell" -> BASH;
            default -> throw new InvalidException("language", "unknown language '" + name + "'; use python or bash");
        };
    }

    private static String resource(String name) {
        try (InputStream in = Language.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException(name + " is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
