package dev.agentbox.server;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;

/**
 * Checks an object before it is stored, beyond schema validation: references that must exist and
 * pod templates the runtime can honour. Returns warnings (fields ignored on one host); throws
 * InvalidException naming the field when the object cannot be accepted.
 */
public interface Admission {
    List<String> admit(HasMetadata object);
}
