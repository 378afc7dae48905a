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

    /**
     * Has the daemon pull {@code reference} ({@code python:3.12-slim}, {@code host:5000/app@sha256:...}) from its registry by
     * {@code policy} ({@code IfNotPresent}, {@code Always}, {@code Never}; null: IfNotPresent), the image then being usable
     * under that name. {@code progress} gets the daemon's progress lines as they come; it may be null. Needs the admin token.
     */
    default Pulled pull(String reference, String policy, java.util.function.Consumer<String> progress) {
        throw new dev.agentbox.api.InvalidException("image", "this backend pulls no images: its nodes pull the images named in the SandboxTemplate's podTemplate");
    }

    /** True when {@link #pull} is offered (agentboxd); false for backends whose nodes pull the images themselves. */
    default boolean pulls() {
        return false;
    }

    /** A finished pull: {@code pulled} is false when the daemon's stored image was used (IfNotPresent, Never). */
    record Pulled(String name, boolean pulled, String imageId) { }
}
