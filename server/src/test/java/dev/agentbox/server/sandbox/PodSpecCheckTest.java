package dev.agentbox.server.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.api.FieldError;
import dev.agentbox.api.InvalidException;
import dev.agentbox.api.Resources;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.SandboxConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which PodSpec fields one host honours, accepts with a warning, or refuses. */
class PodSpecCheckTest {

    static Sandbox sandbox(String podSpecYaml) {
        String indented = podSpecYaml.indent(6);
        return Resources.parse("""
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: s1
                  namespace: default
                  uid: 0b7c
                spec:
                  podTemplate:
                    spec:
                %s""".formatted(indented), Sandbox.class);
    }

    static PodSpec pod(String yaml) {
        return sandbox(yaml).getSpec().getPodTemplate().getSpec();
    }

    @Test
    void honouredFieldsBecomeTheSandboxConfig() {
        Sandbox s = sandbox("""
                securityContext:
                  runAsUser: 1000
                  runAsGroup: 1000
                  runAsNonRoot: true
                volumes:
                - name: scratch
                  emptyDir:
                    sizeLimit: 64Mi
                containers:
                - name: main
                  image: agentbox/builtin
                  command: ["python3", "-m"]
                  args: ["http.server"]
                  workingDir: /tmp
                  env:
                  - name: A
                    value: b
                  resources:
                    limits:
                      memory: 256Mi
                      cpu: 500m
                  securityContext:
                    readOnlyRootFilesystem: true
                  volumeMounts:
                  - name: scratch
                    mountPath: /scratch
                  readinessProbe:
                    exec:
                      command: ["true"]
                """);
        SandboxConfig c = new SandboxConfigs(dev.agentbox.server.config.DaemonSettings.DEFAULTS.sandboxDefaults(), null).forSandbox(s, "ab-1");
        assertThat(c.command()).containsExactly("python3", "-m", "http.server");
        assertThat(c.env()).containsEntry("A", "b");
        assertThat(c.workingDir()).isEqualTo("/tmp");
        assertThat(c.memoryLimitBytes()).isEqualTo(256L << 20);
        assertThat(c.cpuMillis()).isEqualTo(500);
        assertThat(c.uid()).isEqualTo(1000);
        assertThat(c.gid()).isEqualTo(1000);
        assertThat(c.readOnlyRootFilesystem()).isTrue();
        assertThat(c.volumes()).containsExactly(SandboxConfig.Volume.disk("scratch", 64L << 20));
        assertThat(c.mounts()).containsExactly(new SandboxConfig.Mount("scratch", "/scratch"));
        assertThat(c.maxProcesses()).isEqualTo(SandboxConfig.DEFAULT_MAX_PROCESSES);
    }

    @Test
    void schedulingFieldsAreAcceptedWithAWarningNamingThem() {
        PodSpecCheck.Findings f = PodSpecCheck.check(pod("""
                serviceAccountName: runner
                nodeSelector:
                  pool: gvisor
                tolerations:
                - key: sandbox
                  operator: Exists
                runtimeClassName: gvisor
                containers:
                - name: main
                  image: agentbox/builtin
                  imagePullPolicy: IfNotPresent
                """), "spec.podTemplate.spec");
        assertThat(f.errors()).isEmpty();
        assertThat(f.warnings()).anyMatch(w -> w.startsWith("spec.podTemplate.spec.serviceAccountName:"))
                .anyMatch(w -> w.startsWith("spec.podTemplate.spec.nodeSelector:"))
                .anyMatch(w -> w.startsWith("spec.podTemplate.spec.tolerations:"))
                .anyMatch(w -> w.startsWith("spec.podTemplate.spec.runtimeClassName:"))
                // honoured by admission's pull (docs/images.md), so not named as ignored
                .noneMatch(w -> w.startsWith("spec.podTemplate.spec.containers[0].imagePullPolicy:"));
    }

    @Test
    void fieldsThatWouldWeakenIsolationAreRefusedWithTheirPath() {
        PodSpecCheck.Findings f = PodSpecCheck.check(pod("""
                hostNetwork: true
                hostPID: true
                volumes:
                - name: host
                  hostPath:
                    path: /etc
                containers:
                - name: main
                  image: agentbox/builtin
                  securityContext:
                    privileged: true
                    capabilities:
                      add: ["SYS_ADMIN"]
                  ports:
                  - containerPort: 80
                    hostPort: 80
                - name: second
                  image: agentbox/builtin
                """), "spec.podTemplate.spec");
        assertThat(f.errors()).extracting(FieldError::field).contains(
                "spec.podTemplate.spec.hostNetwork", "spec.podTemplate.spec.hostPID", "spec.podTemplate.spec.volumes[0]",
                "spec.podTemplate.spec.containers[0].securityContext.privileged",
                "spec.podTemplate.spec.containers[0].securityContext.capabilities.add",
                "spec.podTemplate.spec.containers[0].ports[0].hostPort", "spec.podTemplate.spec.containers");
    }

    @Test
    void runAsNonRootIsCheckedAgainstTheImagesUser() {
        SandboxConfigs configs = new SandboxConfigs(dev.agentbox.server.config.DaemonSettings.DEFAULTS.sandboxDefaults(), null);
        // the built-in image runs as the unprivileged user sandbox (1000): runAsNonRoot holds without runAsUser
        SandboxConfig c = configs.forSandbox(sandbox("""
                securityContext:
                  runAsNonRoot: true
                containers:
                - name: main
                  image: agentbox/builtin
                """), "ab-1");
        assertThat(c.uid()).isEqualTo(1000);
        assertThatThrownBy(() -> configs.forSandbox(sandbox("""
                securityContext:
                  runAsNonRoot: true
                  runAsUser: 0
                containers:
                - name: main
                  image: agentbox/builtin
                """), "ab-1"))
                .isInstanceOf(InvalidException.class)
                .hasMessageContaining("spec.podTemplate.spec.securityContext.runAsNonRoot")
                .hasMessageContaining("set runAsUser");
    }

    @Test
    void limitsTheTemplateDoesNotSetComeFromTheDaemonsDefaults() {
        SandboxConfig c = new SandboxConfigs(dev.agentbox.server.config.DaemonSettings.DEFAULTS.sandboxDefaults(), null).forSandbox(sandbox("""
                containers:
                - name: main
                  image: agentbox/builtin
                  securityContext:
                    capabilities:
                      drop: [NET_RAW, CAP_CHOWN]
                """), "ab-1");
        assertThat(c.memoryLimitBytes()).isEqualTo(1L << 30);
        assertThat(c.cpuMillis()).isEqualTo(1000);
        assertThat(c.ephemeralStorageBytes()).isEqualTo(1L << 30);
        assertThat(c.maxProcesses()).isEqualTo(256);
        assertThat(c.capabilities()).doesNotContain("CHOWN", "KILL", "SYS_PTRACE").contains("DAC_OVERRIDE", "SETUID");
        SandboxConfig none = new SandboxConfigs(dev.agentbox.server.config.DaemonSettings.DEFAULTS.sandboxDefaults(), null).forSandbox(sandbox("""
                containers:
                - name: main
                  image: agentbox/builtin
                  resources:
                    limits: {memory: 256Mi, cpu: 500m, ephemeral-storage: 100Mi}
                  securityContext:
                    capabilities:
                      drop: [ALL]
                """), "ab-1");
        assertThat(none.capabilities()).isEmpty();
        assertThat(none.memoryLimitBytes()).isEqualTo(256L << 20);
        assertThat(none.cpuMillis()).isEqualTo(500);
        assertThat(none.ephemeralStorageBytes()).isEqualTo(100L * 1024 * 1024);
    }

    @Test
    void theMainProcessFollowsTheKubeletsEntrypointRules() {
        var image = new dev.agentbox.runtime.ImageStore.ImageConfig(0, 0, List.of(), null, List.of("/entry", "-x"), List.of("serve", "--port=80"));
        Container both = new io.fabric8.kubernetes.api.model.ContainerBuilder().withCommand("/bin/app").withArgs("a").build();
        Container commandOnly = new io.fabric8.kubernetes.api.model.ContainerBuilder().withCommand("/bin/app").build();
        Container argsOnly = new io.fabric8.kubernetes.api.model.ContainerBuilder().withArgs("run", "fast").build();
        Container neither = new io.fabric8.kubernetes.api.model.ContainerBuilder().build();
        assertThat(SandboxConfigs.mainCommand(both, image)).containsExactly("/bin/app", "a");
        assertThat(SandboxConfigs.mainCommand(commandOnly, image)).containsExactly("/bin/app");
        assertThat(SandboxConfigs.mainCommand(argsOnly, image)).containsExactly("/entry", "-x", "run", "fast");
        assertThat(SandboxConfigs.mainCommand(neither, image)).containsExactly("/entry", "-x", "serve", "--port=80");
        assertThat(SandboxConfigs.mainCommand(neither, dev.agentbox.runtime.ImageStore.ImageConfig.BUILTIN_CONFIG)).isEmpty();
    }

    @Test
    void envSourcesAndFileVolumesAreCheckedWithTheirFieldPaths() {
        PodSpecCheck.Findings f = PodSpecCheck.check(pod("""
                containers:
                - name: main
                  image: agentbox/builtin
                  envFrom:
                  - {prefix: X_}
                  env:
                  - {name: A, valueFrom: {fieldRef: {fieldPath: spec.containers}}}
                  - {name: B, valueFrom: {secretKeyRef: {name: s}}}
                  - {name: C, value: literal, valueFrom: {configMapKeyRef: {name: c, key: k}}}
                  - {name: D, valueFrom: {resourceFieldRef: {resource: limits.gpu}}}
                  volumeMounts:
                  - {name: ws, mountPath: /workspace}
                  - {name: cfg, mountPath: /etc/app.conf, subPath: app.conf}
                volumes:
                - name: cfg
                  configMap:
                    name: app
                    defaultMode: 4095
                    items: [{key: a, path: /abs}, {key: b, path: x/../../y}]
                - name: sa
                  projected:
                    sources: [{serviceAccountToken: {path: token}}]
                - name: claim
                  persistentVolumeClaim: {claimName: data}
                """), "spec", java.util.Set.of("ws"));
        assertThat(f.errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.containers[0].envFrom[0]",
                "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
                "spec.containers[0].env[1].valueFrom.secretKeyRef.key",
                "spec.containers[0].env[2].valueFrom",
                "spec.containers[0].env[3].valueFrom.resourceFieldRef.resource",
                "spec.volumes[0].configMap.defaultMode",
                "spec.volumes[0].configMap.items[0].path",
                "spec.volumes[0].configMap.items[1].path",
                "spec.volumes[1].projected.sources[0]",
                "spec.volumes[2].persistentVolumeClaim");
    }

    @Test
    void fileVolumesAndClaimsBecomeHostVolumesUnderTheStateDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        Sandbox s = sandbox("""
                containers:
                - name: main
                  image: agentbox/builtin
                  volumeMounts: [{name: cfg, mountPath: /etc/cfg}, {name: ws, mountPath: /workspace}]
                volumes:
                - {name: cfg, configMap: {name: app}}
                """);
        var claim = new dev.agentbox.api.agents.v1beta1.PersistentVolumeClaimTemplate();
        claim.setMetadata(new dev.agentbox.api.agents.v1beta1.EmbeddedObjectMetadata());
        claim.getMetadata().setName("ws");
        s.getSpec().setVolumeClaimTemplates(List.of(claim));
        SandboxVolumes dirs = new SandboxVolumes(tmp);
        SandboxConfig c = new SandboxConfigs(dev.agentbox.server.config.DaemonSettings.DEFAULTS.sandboxDefaults(), null, null, dirs).forSandbox(s, "ab-1");
        assertThat(c.volumes()).containsExactly(
                new SandboxConfig.Volume("cfg", SandboxConfig.Volume.Medium.HOST_FILES, 0, tmp.resolve("default/s1.0b7c/files/cfg")),
                new SandboxConfig.Volume("ws", SandboxConfig.Volume.Medium.HOST_DIR, 0, tmp.resolve("default/s1.0b7c/claims/ws")));
        // no store: a reference cannot be resolved, and says so rather than starting without it
        assertThatThrownBy(() -> new SandboxConfigs(dev.agentbox.server.config.DaemonSettings.DEFAULTS.sandboxDefaults(), null, null, dirs).prepareVolumes(s))
                .isInstanceOf(ConfigMissingException.class);
    }
}
