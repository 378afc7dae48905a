package dev.agentbox.client;

import java.nio.file.Path;
import java.util.List;

/** The daemon's local image store. */
public interface ImageClient {
    /** Names of the images sandboxes can use. */
    List<String> list();

    /**
     * Imports a rootfs directory or an OCI / {@code docker save} tar, given as a path on the daemon's
     * host, under a name. Needs the admin token.
     */
    void importImage(String name, Path source);
}
