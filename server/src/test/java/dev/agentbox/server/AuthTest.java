package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bearer tokens: the admin token file is private, scoped tokens never see other namespaces. */
class AuthTest {
    static Daemon daemon;

    @BeforeAll
    static void start() {
        daemon = new Daemon();
    }

    @AfterAll
    static void stop() {
        daemon.close();
    }

    @Test
    void adminTokenIsWrittenOwnerOnly() throws Exception {
        assertThat(Files.getPosixFilePermissions(daemon.stateDir.resolve("admin.token")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void requestsWithoutAValidTokenAreUnauthorized() {
        assertThat(daemon.call("GET", Daemon.EXT + "default/sandboxclaims", null, null).status()).isEqualTo(401);
        assertThat(daemon.call("GET", Daemon.EXT + "default/sandboxclaims", null, "abx_wrong").status()).isEqualTo(401);
        assertThat(daemon.call("GET", "/healthz", null, null).status()).isEqualTo(200);
    }

    @Test
    void scopedTokenSeesOnlyItsNamespaces() {
        daemon.createOk("team-b", Daemon.TEMPLATE);
        Daemon.Response created = daemon.call("POST", "/api/v1/tokens", "{\"name\":\"team-a\",\"namespaces\":[\"team-a\"]}");
        assertThat(created.status()).as(created.body()).isBetween(200, 201);
        String scoped = created.json().path("token").asText();

        assertThat(daemon.call("POST", Daemon.EXT + "team-a/sandboxtemplates", Daemon.TEMPLATE, scoped).status()).isEqualTo(201);
        assertThat(daemon.call("GET", Daemon.EXT + "team-b/sandboxtemplates", null, scoped).status()).isEqualTo(403);
        assertThat(daemon.call("GET", Daemon.EXT + "team-b/sandboxtemplates/python", null, scoped).status()).isEqualTo(403);
        assertThat(daemon.call("DELETE", Daemon.EXT + "team-b/sandboxtemplates/python", null, scoped).status()).isEqualTo(403);
        assertThat(daemon.call("GET", "/apis/extensions.agents.x-k8s.io/v1beta1/sandboxtemplates", null, scoped).status()).isEqualTo(403);
        assertThat(daemon.call("GET", "/api/v1/namespaces/team-b/sandboxes/x/files?path=/etc/passwd", null, scoped).status()).isEqualTo(403);
        assertThat(daemon.call("POST", "/api/v1/tokens", "{\"name\":\"escalate\",\"namespaces\":[\"team-b\"]}", scoped).status()).isEqualTo(403);
        assertThat(daemon.get("team-b", "sandboxtemplates", "python")).isNotNull();
    }
}
