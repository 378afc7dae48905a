package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.agentbox.runtime.GvisorRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kill -9 of agentboxd while it serves claims: nothing is lost and no container leaks. */
class RestartTest {

    @Test
    void killNineWhileClaimingLosesNoObjectAndLeaksNoContainer() throws Exception {
        Path state = Daemon.tempDir();
        DaemonProcess first = new DaemonProcess(state);
        try {
            for (String yaml : List.of(Daemon.TEMPLATE, Daemon.pool("py", 2))) {
                String plural = yaml.contains("kind: SandboxTemplate") ? "sandboxtemplates" : "sandboxwarmpools";
                first.post(Daemon.EXT + "default/" + plural, yaml);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> first.get(Daemon.EXT + "default/sandboxwarmpools/py").contains("\"readyReplicas\":2"));
            List<Thread> claimers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String name = "c" + i;
                claimers.add(Thread.ofVirtual().start(() -> first.post(Daemon.EXT + "default/sandboxclaims", Daemon.claim(name, "py"))));
            }
            for (Thread t : claimers) t.join();
            Thread.sleep(300); // claims are being bound and cold sandboxes are starting
        } finally {
            first.killNine(); // no shutdown hook runs
        }

        try (Daemon second = new Daemon(state)) {
            for (int i = 0; i < 6; i++) second.awaitClaimReady("default", "c" + i);
            assertThat(second.get("default", "sandboxtemplates", "python")).isNotNull();
            second.awaitPoolReady("default", "py", 2);
            await().atMost(Duration.ofSeconds(30)).until(second.agentboxd::idle);
            int objects = second.list("default", "sandboxes").size();
            assertThat(objects).isEqualTo(8);
            try (GvisorRuntime runtime = new GvisorRuntime(state.resolve("runtime"))) {
                assertThat(runtime.listContainers()).as("one runsc container per Sandbox object, none left over").hasSize(objects);
            }
            for (int i = 0; i < 6; i++) {
                String sandbox = second.get("default", "sandboxclaims", "c" + i).path("status").path("sandbox").path("name").asText();
                assertThat(second.exec("default", sandbox, "echo ok").json().path("stdout").asText()).isEqualTo("ok\n");
            }
        }
    }

    @Test
    void aSecondAgentboxdOnTheSameStateDirectoryIsRefusedAndTouchesNothing() {
        try (Daemon first = new Daemon()) {
            first.createOk("default", Daemon.TEMPLATE);
            first.createOk("default", Daemon.pool("py", 1));
            first.awaitPoolReady("default", "py", 1);
            String member = first.list("default", "sandboxes").get(0).path("metadata").path("name").asText();

            assertThatThrownBy(() -> Agentboxd.start(new AgentboxdConfig(first.stateDir, "127.0.0.1", 0)))
                    .hasMessageContaining("another agentboxd is already using the state directory")
                    .hasMessageContaining(first.agentboxd.endpoint().toString());

            assertThat(first.exec("default", member, "echo still mine").json().path("stdout").asText()).isEqualTo("still mine\n");
        }
    }

    @Test
    void aPortInUseIsAClearErrorAndLeavesTheStateDirectoryUsable() throws Exception {
        Path state = Daemon.tempDir();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Agentboxd.start(new AgentboxdConfig(state, "127.0.0.1", taken.getLocalPort())))
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("--port");
        }
        try (Daemon next = new Daemon(state)) {
            assertThat(next.call("GET", "/healthz", null, null).status()).isEqualTo(200);
        }
    }
}
