package dev.agentbox.api;

import dev.agentbox.api.agents.v1beta1.PodTemplate;
import dev.agentbox.api.extensions.v1beta1.SandboxTemplateSpec;
import dev.agentbox.api.internal.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The hashes used in labels: upstream's sandbox-name-hash, and a content hash of a template's pod template. */
public final class Hashing {
    private Hashing() {
    }

    /** FNV-1a (32 bit) of the UTF-8 name as 8 lower-case hex digits: upstream's {@code NameHash}. */
    public static String nameHash(String name) {
        int hash = 0x811c9dc5;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash ^= (b & 0xff);
            hash *= 0x01000193;
        }
        return String.format("%08x", hash);
    }

    /**
     * Content hash of the template's pod template (metadata and spec) as canonical JSON (sorted keys, no nulls):
     * 16 hex digits of SHA-256. Equal templates give equal hashes; any change to the pod template changes it.
     */
    public static String blueprintHash(SandboxTemplateSpec template) {
        return podTemplateHash(template == null ? null : template.getPodTemplate());
    }

    /** Content hash of a pod template, see {@link #blueprintHash}. */
    public static String podTemplateHash(PodTemplate podTemplate) {
        try {
            byte[] json = Json.canonicalBytes(podTemplate == null ? new PodTemplate() : podTemplate);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
