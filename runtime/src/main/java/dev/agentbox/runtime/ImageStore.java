package dev.agentbox.runtime;

import java.nio.file.Path;
import java.util.List;

/** Root filesystems by name. {@link #BUILTIN} is the host's /usr read-only plus a generated /etc. */
public interface ImageStore {
    String BUILTIN = "agentbox/builtin";

    /** True if an image of this name exists (the built-in one always does). */
    boolean exists(String name);

    List<String> list();

    /** Imports a rootfs directory or an OCI / `docker save` tar under this name. */
    void importImage(String name, Path source) throws RuntimeFailure;

    void remove(String name) throws RuntimeFailure;
}
