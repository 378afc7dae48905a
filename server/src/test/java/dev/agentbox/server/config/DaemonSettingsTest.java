package dev.agentbox.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** agentboxd's configuration file: defaults for what it leaves out, and every mistake named with its field path. */
class DaemonSettingsTest {

    @Test
    void noFileMeansTheDefaults(@TempDir Path state) {
        assertThat(DaemonSettings.read(state, null)).isEqualTo(DaemonSettings.DEFAULTS);
        assertThat(DaemonSettings.parse("", "config.yaml")).isEqualTo(DaemonSettings.DEFAULTS);
    }

    @Test
    void aFieldGivenReplacesOnlyThatDefault(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve("config.yaml"), """
                quotas:
                  perNamespace:
                    sandboxes: 3
                    snapshotBytes: 2Gi
                  workloadSnapshotsPerSandbox:
                    burst: 1
                """);
        DaemonSettings s = DaemonSettings.read(state, null);
        DaemonSettings.Quotas d = DaemonSettings.DEFAULTS.quotas();
        assertThat(s.quotas().perNamespace()).isEqualTo(new DaemonSettings.Limits(3, d.perNamespace().warmPoolReplicas(),
                d.perNamespace().snapshots(), new DaemonSettings.ByteSize(2L << 30)));
        assertThat(s.quotas().daemon()).isEqualTo(d.daemon());
        assertThat(s.quotas().workloadSnapshotsPerSandbox()).isEqualTo(new DaemonSettings.RateLimit(1, d.workloadSnapshotsPerSandbox().refillSeconds()));
        assertThat(s.quotas().perNamespace().snapshotBytes()).hasToString("2Gi");
    }

    @Test
    void unknownFieldsAreRefusedWithTheirPath() {
        assertThatThrownBy(() -> DaemonSettings.parse("quotas:\n  perNamespace:\n    sandboxs: 3\n", "/etc/agentbox/config.yaml"))
                .isInstanceOf(DaemonSettings.InvalidConfigException.class)
                .hasMessageContaining("/etc/agentbox/config.yaml: quotas.perNamespace.sandboxs: unknown field")
                .hasMessageContaining("sandboxes");
        assertThatThrownBy(() -> DaemonSettings.parse("quota: {}\n", "config.yaml")).hasMessageContaining("quota: unknown field");
    }

    @Test
    void wrongValuesAreRefusedWithTheirPath() {
        assertThatThrownBy(() -> DaemonSettings.parse("quotas:\n  daemon:\n    sandboxes: -1\n", "config.yaml"))
                .hasMessageContaining("quotas.daemon").hasMessageContaining("sandboxes must be 0 or more, got -1");
        assertThatThrownBy(() -> DaemonSettings.parse("quotas:\n  daemon:\n    sandboxes: many\n", "config.yaml"))
                .hasMessageContaining("quotas.daemon.sandboxes");
        assertThatThrownBy(() -> DaemonSettings.parse("quotas:\n  daemon:\n    snapshotBytes: lots\n", "config.yaml"))
                .hasMessageContaining("quotas.daemon.snapshotBytes").hasMessageContaining("not a size");
        assertThatThrownBy(() -> DaemonSettings.parse("quotas: 3\n", "config.yaml")).hasMessageContaining("quotas");
        assertThatThrownBy(() -> DaemonSettings.parse("- a\n", "config.yaml")).hasMessageContaining("mapping");
    }

    @Test
    void builtinPackagesAreDebianPackageNamesNeverOptions() {
        assertThat(DaemonSettings.parse("runtime:\n  builtinPackages: [curl, python3-requests, libstdc++6]\n", "config.yaml").runtime().builtinPackages())
                .containsExactly("curl", "python3-requests", "libstdc++6");
        // they end up as dpkg-query arguments: an option or a path is refused with the field named
        for (String bad : java.util.List.of("--admindir=/tmp/x", "../etc", "Curl", "a b")) {
            assertThatThrownBy(() -> DaemonSettings.parse("runtime:\n  builtinPackages: ['" + bad + "']\n", "config.yaml"))
                    .as(bad).hasMessageContaining("runtime").hasMessageContaining("is not a Debian package name");
        }
    }

    @Test
    void theFileInTheDocsIsTheDefaults() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        String yaml = doc.substring(doc.indexOf("```yaml\n") + 8, doc.indexOf("```", doc.indexOf("```yaml\n") + 8));
        assertThat(DaemonSettings.parse(yaml, "docs/configuration.md")).isEqualTo(DaemonSettings.DEFAULTS);
    }

    @Test
    void aGivenFileMustExist(@TempDir Path state) {
        assertThatThrownBy(() -> DaemonSettings.read(state, state.resolve("missing.yaml")))
                .isInstanceOf(DaemonSettings.InvalidConfigException.class).hasMessageContaining("missing.yaml: no such file");
    }

    @Test
    void imagesSectionTakesRegistryHostsOnlyAndAnAbsoluteDockerConfig() {
        DaemonSettings s = DaemonSettings.parse("images:\n  insecureRegistries: [registry.lan:5000, \"[fd00::1]:5000\"]\n  dockerConfig: /etc/agentbox/docker.json\n", "config.yaml");
        assertThat(s.images().insecureRegistries()).containsExactly("registry.lan:5000", "[fd00::1]:5000");
        assertThat(s.images().dockerConfigPath()).isEqualTo(Path.of("/etc/agentbox/docker.json"));
        assertThat(s.images().pullTimeoutSeconds()).isEqualTo(600);
        assertThat(DaemonSettings.DEFAULTS.images().dockerConfigPath()).isNull();
        // a URL or a wildcard would make "insecure" mean more than the one registry the admin named
        assertThatThrownBy(() -> DaemonSettings.parse("images:\n  insecureRegistries: [\"http://registry.lan\"]\n", "config.yaml"))
                .isInstanceOf(DaemonSettings.InvalidConfigException.class).hasMessageContaining("images: insecureRegistries").hasMessageContaining("no scheme");
        assertThatThrownBy(() -> DaemonSettings.parse("images:\n  insecureRegistries: [\"*\"]\n", "config.yaml"))
                .isInstanceOf(DaemonSettings.InvalidConfigException.class).hasMessageContaining("is not a registry host");
        assertThatThrownBy(() -> DaemonSettings.parse("images:\n  dockerConfig: docker.json\n", "config.yaml"))
                .isInstanceOf(DaemonSettings.InvalidConfigException.class).hasMessageContaining("absolute");
        assertThatThrownBy(() -> DaemonSettings.parse("images:\n  pullTimeoutSeconds: 1\n", "config.yaml"))
                .isInstanceOf(DaemonSettings.InvalidConfigException.class).hasMessageContaining("pullTimeoutSeconds must be 10..86400");
    }
}
