package dev.agentbox.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * Root filesystems by name. {@link #BUILTIN} is built from an explicit list of the host's Debian packages (python3 and
 * a few common libraries) plus a generated /etc; see docs/images.md.
 */
public interface ImageStore {
    String BUILTIN = "agentbox/builtin";

    /** True if an image of this name exists (the built-in one always does). */
    boolean exists(String name);

    List<String> list();

    /** Imports a rootfs directory or an OCI / `docker save` tar under this name. */
    void importImage(String name, Path source) throws RuntimeFailure;

    void remove(String name) throws RuntimeFailure;

    /** What the image says about how to run it (its config's User, Env, WorkingDir, Entrypoint, Cmd). */
    ImageConfig config(String name) throws RuntimeFailure;

    /**
     * An image's run configuration. {@code uid}/{@code gid} are its User resolved against its own
     * /etc/passwd and /etc/group at import time (root when it names none, as Docker does).
     */
    record ImageConfig(int uid, int gid, java.util.List<String> env, String workingDir, java.util.List<String> entrypoint,
                       java.util.List<String> cmd) {
        public ImageConfig {
            env = env == null ? java.util.List.of() : java.util.List.copyOf(env);
            entrypoint = entrypoint == null ? java.util.List.of() : java.util.List.copyOf(entrypoint);
            cmd = cmd == null ? java.util.List.of() : java.util.List.copyOf(cmd);
        }

        /** The built-in image: the unprivileged user {@code sandbox} (1000). */
        public static final ImageConfig BUILTIN_CONFIG = new ImageConfig(1000, 1000, java.util.List.of(), null, java.util.List.of(), java.util.List.of());
        /** An image without a config (a rootfs directory or plain tar): root, as Docker runs such images. */
        public static final ImageConfig NONE = new ImageConfig(0, 0, java.util.List.of(), null, java.util.List.of(), java.util.List.of());
    }
}
