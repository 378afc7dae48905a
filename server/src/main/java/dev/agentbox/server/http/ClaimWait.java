package dev.agentbox.server.http;

import dev.agentbox.api.ResourceKind;
import dev.agentbox.api.extensions.v1beta1.SandboxClaim;
import java.time.Duration;
import java.util.Map;

/**
 * The {@code wait=Ready[&timeoutSeconds=N]} parameters of a SandboxClaim create (an agentbox extension, see docs/http-api.md):
 * the answer comes when the claim is Ready, finished for good, or after the timeout, with the claim as it is then.
 */
record ClaimWait(Duration timeout) {
    /** Without timeoutSeconds: as long as the SDK's default ready timeout. */
    static final long DEFAULT_SECONDS = 60;
    /** The longest one request holds a claim open; longer waits watch the claim. */
    static final long MAX_SECONDS = 300;

    /** The parameters of a create, or null when it does not ask to wait. */
    static ClaimWait parse(Map<String, String> q, ResourceKind kind, boolean dryRun) {
        String wait = q.get("wait");
        if (wait == null || wait.isEmpty()) return null;
        if (!wait.equals("Ready")) throw new HttpIO.BadRequest("wait=" + wait + " is not supported: the only value is wait=Ready");
        if (kind.type() != SandboxClaim.class) {
            throw new HttpIO.BadRequest("wait=Ready is for creating sandboxclaims only, not " + kind.plural() + "; watch the object instead");
        }
        if (dryRun) throw new HttpIO.BadRequest("wait=Ready cannot be combined with dryRun: a dry-run claim is never bound");
        Long seconds = HttpIO.countParam(q, "timeoutSeconds");
        if (seconds != null && seconds > MAX_SECONDS) {
            throw new HttpIO.BadRequest("timeoutSeconds=" + seconds + " is over the limit of " + MAX_SECONDS
                    + " for wait=Ready; wait at most that, then watch the claim");
        }
        return new ClaimWait(Duration.ofSeconds(seconds == null ? DEFAULT_SECONDS : seconds));
    }
}
