package dev.agentbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ConfigMaps and Secrets as kinds agentboxd stores (core/v1), the pod volumes and env sources that read them
 * (configMap, secret, downwardAPI, projected volumes; env valueFrom and envFrom), and volumeClaimTemplates as persistent
 * per-sandbox directories: real agentboxd, real gVisor, manifests in upstream's shapes.
 */
class PodVolumesTest {
    static final String CORE = "/api/v1/namespaces/";
    static Daemon d;

    @BeforeAll
    static void start() {
        d = new Daemon();
    }

    @AfterAll
    static void stop() {
        d.close();
    }

    static String condition(JsonNode o, String type, String field) {
        for (JsonNode c : o.path("status").path("conditions")) if (type.equals(c.path("type").asText())) return c.path(field).asText();
        return null;
    }

    static String sh(String ns, String sandbox, String script) {
        Daemon.Response r = d.exec(ns, sandbox, script);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("stdout").asText() + r.json().path("stderr").asText();
    }

    static void post(String ns, String plural, String yaml) {
        Daemon.Response r = d.call("POST", CORE + ns + "/" + plural, yaml);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    static void awaitReady(String ns, String name) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> Daemon.ready(d.get(ns, "sandboxes", name)));
    }

    @Test
    void configMapAndSecretVolumesAndEnvValueFromAreWrittenAsTheKubeletDoes() throws Exception {
        post("default", "configmaps", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: app-config
                data:
                  app.properties: |
                    color=blue
                  LOG_LEVEL: debug
                  mode: fast
                binaryData:
                  blob.bin: AAEC/w==
                """);
        post("default", "secrets", """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: db
                type: Opaque
                data:
                  user: YWRtaW4=
                stringData:
                  password: s3cr3t-canary
                """);
        // stringData is merged into data (base64) and not stored, as the API server does
        JsonNode secret = d.call("GET", CORE + "default/secrets/db", null).json();
        assertThat(secret.has("stringData")).isFalse();
        assertThat(secret.path("data").path("password").asText()).isEqualTo(Base64.getEncoder().encodeToString("s3cr3t-canary".getBytes(StandardCharsets.UTF_8)));

        d.createOk("default", """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: files
                spec:
                  podTemplate:
                    metadata:
                      labels:
                        app: files
                    spec:
                      securityContext:
                        runAsUser: 0
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                        resources:
                          limits:
                            memory: 256Mi
                        env:
                        - name: DB_PASSWORD
                          valueFrom:
                            secretKeyRef: {name: db, key: password}
                        - name: MODE
                          valueFrom:
                            configMapKeyRef: {name: app-config, key: mode}
                        - name: MY_NAMESPACE
                          valueFrom:
                            fieldRef: {fieldPath: metadata.namespace}
                        - name: MEMORY_MI
                          valueFrom:
                            resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
                        - name: NOT_THERE
                          valueFrom:
                            configMapKeyRef: {name: app-config, key: nope, optional: true}
                        envFrom:
                        - prefix: CFG_
                          configMapRef: {name: app-config}
                        volumeMounts:
                        - {name: cfg, mountPath: /etc/cfg}
                        - {name: creds, mountPath: /etc/creds}
                        - {name: info, mountPath: /etc/podinfo}
                        - {name: all, mountPath: /etc/all}
                        - {name: cfg, mountPath: /etc/app.properties, subPath: conf/app.properties}
                      volumes:
                      - name: cfg
                        configMap:
                          name: app-config
                          items:
                          - {key: app.properties, path: conf/app.properties}
                          - {key: blob.bin, path: blob.bin, mode: 0604}
                      - name: creds
                        secret:
                          secretName: db
                          defaultMode: 0444
                      - name: info
                        downwardAPI:
                          items:
                          - {path: labels, fieldRef: {fieldPath: metadata.labels}}
                          - {path: name, fieldRef: {fieldPath: metadata.name}}
                      - name: all
                        projected:
                          sources:
                          - configMap: {name: app-config, items: [{key: mode, path: mode}]}
                          - secret: {name: db, items: [{key: user, path: user}]}
                          - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: metadata.namespace}}]}
                """);
        awaitReady("default", "files");

        assertThat(sh("default", "files", "cat /etc/cfg/conf/app.properties; cat /etc/app.properties")).isEqualTo("color=blue\ncolor=blue\n");
        assertThat(sh("default", "files", "od -An -tx1 /etc/cfg/blob.bin | tr -d ' \\n'; echo; stat -c %a /etc/cfg/blob.bin /etc/cfg/conf/app.properties"))
                .isEqualTo("000102ff\n604\n644\n");
        assertThat(sh("default", "files", "ls /etc/cfg")).as("only the listed items").isEqualTo("blob.bin\nconf\n");
        assertThat(sh("default", "files", "cat /etc/creds/user; echo; cat /etc/creds/password; echo; stat -c %a /etc/creds/password"))
                .isEqualTo("admin\ns3cr3t-canary\n444\n");
        assertThat(sh("default", "files", "cat /etc/podinfo/name; echo; cat /etc/podinfo/labels"))
                .startsWith("files\n").contains("app=\"files\"\n");
        assertThat(sh("default", "files", "cat /etc/all/mode; echo; cat /etc/all/user; echo; cat /etc/all/ns")).isEqualTo("fast\nadmin\ndefault");
        assertThat(sh("default", "files", "echo \"$DB_PASSWORD|$MODE|$MY_NAMESPACE|$MEMORY_MI|$CFG_LOG_LEVEL|$CFG_mode|${NOT_THERE-unset}\""))
                .isEqualTo("s3cr3t-canary|fast|default|256|debug|fast|unset\n");
        // the files are read-only for the sandbox, root included (a read-only mount, not file modes)
        assertThat(sh("default", "files", "(echo x > /etc/creds/user) 2>&1 && echo wrote; (touch /etc/cfg/new) 2>&1 && echo wrote; cat /etc/creds/user"))
                .doesNotContain("wrote").contains("Read-only file system").endsWith("admin");

        // on the host: under <state>/volumes, every directory down to the sandbox's is 0700 (no other host user reaches a secret)
        Path volumes = d.stateDir.resolve("volumes");
        Path secretFile;
        try (Stream<Path> walk = Files.walk(volumes)) {
            secretFile = walk.filter(p -> p.getFileName().toString().equals("password")).findFirst().orElseThrow();
        }
        assertThat(Files.readString(secretFile)).isEqualTo("s3cr3t-canary");
        for (Path p = secretFile.getParent().getParent().getParent(); p.startsWith(volumes); p = p.getParent()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString()).isEqualTo("rwx------");
        }
        Path sandboxDir = secretFile.getParent().getParent().getParent();
        d.call("DELETE", Daemon.AGENTS + "default/sandboxes/files", null);
        await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(sandboxDir));
    }

    @Test
    void aMissingSecretKeepsTheSandboxNotReadyUntilItExists() {
        d.createOk("default", """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: waits
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                        env:
                        - name: TOKEN
                          valueFrom:
                            secretKeyRef: {name: later, key: token}
                """);
        await().atMost(Duration.ofSeconds(30)).until(() -> "CreateContainerConfigError".equals(condition(d.get("default", "sandboxes", "waits"), "Ready", "reason")));
        JsonNode s = d.get("default", "sandboxes", "waits");
        assertThat(condition(s, "Ready", "status")).isEqualTo("False");
        assertThat(condition(s, "Ready", "message")).contains("secret \"later\" not found in namespace default").contains("env[0].valueFrom.secretKeyRef");

        post("default", "secrets", """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: later
                stringData:
                  token: abc
                """);
        awaitReady("default", "waits"); // the Secret's creation wakes the sandbox: no 30 s retry needed within this wait
        assertThat(sh("default", "waits", "echo $TOKEN")).isEqualTo("abc\n");
        d.call("DELETE", Daemon.AGENTS + "default/sandboxes/waits", null);
    }

    @Test
    void teamASandboxReferencingADefaultNamespaceSecretGetsNothing() throws Exception {
        String canary = "cross-namespace-canary-" + System.nanoTime();
        post("default", "secrets", """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: shared
                stringData:
                  key: %s
                """.formatted(canary));
        Daemon.Response created = d.call("POST", "/api/v1/tokens", "{\"name\":\"vol-team-a\",\"namespaces\":[\"team-a\"]}");
        assertThat(created.status()).as(created.body()).isBetween(200, 201);
        String teamA = created.json().path("token").asText();

        // the scoped token cannot read, list or write default's secrets, nor list across namespaces
        assertThat(d.call("GET", CORE + "default/secrets/shared", null, teamA).status()).isEqualTo(403);
        assertThat(d.call("GET", CORE + "default/secrets", null, teamA).status()).isEqualTo(403);
        assertThat(d.call("GET", "/api/v1/secrets", null, teamA).status()).isEqualTo(403);
        assertThat(d.call("PUT", CORE + "default/secrets/shared", "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"shared\"}}", teamA).status())
                .isEqualTo(403);
        Daemon.Response own = d.call("GET", CORE + "team-a/secrets", null, teamA);
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.body()).doesNotContain("shared");

        // a team-a sandbox naming the secret (volume, env, envFrom) sees team-a's namespace only: it does not start
        Daemon.Response sb = d.call("POST", Daemon.AGENTS + "team-a/sandboxes", """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: thief
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                        envFrom:
                        - secretRef: {name: shared, optional: true}
                        env:
                        - name: STOLEN
                          valueFrom:
                            secretKeyRef: {name: shared, key: key, optional: true}
                        volumeMounts:
                        - {name: loot, mountPath: /loot}
                      volumes:
                      - name: loot
                        secret: {secretName: shared}
                """, teamA);
        assertThat(sb.status()).as(sb.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(30)).until(() -> "CreateContainerConfigError".equals(condition(d.get("team-a", "sandboxes", "thief"), "Ready", "reason")));
        assertThat(condition(d.get("team-a", "sandboxes", "thief"), "Ready", "message")).contains("secret \"shared\" not found in namespace team-a");
        Path teamAVolumes = d.stateDir.resolve("volumes").resolve("team-a");
        if (Files.exists(teamAVolumes)) {
            try (Stream<Path> walk = Files.walk(teamAVolumes)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) assertThat(Files.readString(p)).doesNotContain(canary);
            }
        }
        d.call("DELETE", Daemon.AGENTS + "team-a/sandboxes/thief", null);
    }

    @Test
    void invalidConfigMapsAndSecretsAreRefusedNamingTheKeyNotTheValue() {
        String leaked = "not*base64*value";
        Daemon.Response bad = d.call("POST", CORE + "default/secrets", """
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"bad"},"data":{"k":"%s"}}""".formatted(leaked));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.body()).contains("data[k]").contains("base64").doesNotContain(leaked);

        Daemon.Response key = d.call("POST", CORE + "default/configmaps", """
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"badkey"},"data":{"../escape":"x"}}""");
        assertThat(key.status()).isEqualTo(422);
        assertThat(key.body()).contains("data[../escape]").contains("invalid key");

        String big = "x".repeat(600 * 1024);
        Daemon.Response tooBig = d.call("POST", CORE + "default/configmaps", """
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"%s","b":"%s"}}""".formatted(big, big));
        assertThat(tooBig.status()).isEqualTo(422);
        assertThat(tooBig.body()).contains("1 MiB");

        Daemon.Response traversal = d.create("default", """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: escape
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                      volumes:
                      - name: cfg
                        configMap:
                          name: x
                          items: [{key: a, path: ../../../../etc/passwd}]
                      - name: host
                        hostPath: {path: /etc}
                """);
        assertThat(traversal.status()).isEqualTo(422);
        assertThat(traversal.body()).contains("volumes[0].configMap.items[0].path").contains("volumes[1]").contains("hostPath");
    }

    static final String CLAIM_TEMPLATE = """
            apiVersion: extensions.agents.x-k8s.io/v1beta1
            kind: SandboxTemplate
            metadata:
              name: with-workspace
            spec:
              podTemplate:
                spec:
                  containers:
                  - name: main
                    image: agentbox/builtin
                    command: ["sleep", "infinity"]
                    volumeMounts:
                    - name: workspace
                      mountPath: /workspace
              volumeClaimTemplates:
              - metadata:
                  name: workspace
                spec:
                  accessModes: [ReadWriteOnce]
                  resources:
                    requests:
                      storage: 1Gi
            """;

    @Test
    void aVolumeClaimTemplatesDirectorySurvivesSuspendAndResumeAndIsDeletedWithTheClaim() throws Exception {
        d.createOk("vct", CLAIM_TEMPLATE);
        d.createOk("vct", Daemon.pool("ws", 1).replace("name: python", "name: with-workspace"));
        d.createOk("vct", Daemon.claim("mine", "ws"));
        String sandbox = d.awaitClaimReady("vct", "mine");
        assertThat(sh("vct", sandbox, "echo kept > /workspace/file && cat /workspace/file")).isEqualTo("kept\n");
        String uid = d.get("vct", "sandboxes", sandbox).path("metadata").path("uid").asText();
        Path claimDir = d.stateDir.resolve("volumes/vct/" + sandbox + "." + uid + "/claims/workspace");
        assertThat(Files.readString(claimDir.resolve("file"))).isEqualTo("kept\n");

        for (String mode : new String[] {"Suspended", "Running"}) {
            JsonNode s = d.get("vct", "sandboxes", sandbox);
            ((ObjectNode) s.path("spec")).put("operatingMode", mode);
            assertThat(d.call("PUT", Daemon.AGENTS + "vct/sandboxes/" + sandbox, Daemon.JSON.writeValueAsString(s)).status()).isEqualTo(200);
            String reason = mode.equals("Suspended") ? "SandboxSuspended" : "DependenciesReady";
            await().atMost(Duration.ofSeconds(60)).until(() -> reason.equals(condition(d.get("vct", "sandboxes", sandbox), "Ready", "reason")));
        }
        assertThat(sh("vct", sandbox, "cat /workspace/file")).isEqualTo("kept\n");

        d.call("DELETE", Daemon.EXT + "vct/sandboxclaims/mine", null);
        await().atMost(Duration.ofSeconds(30)).until(() -> d.get("vct", "sandboxes", sandbox) == null);
        await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(claimDir.getParent().getParent()));
        d.call("DELETE", Daemon.EXT + "vct/sandboxwarmpools/ws", null);
    }

    @Test
    void aVolumeClaimTemplatesDirectorySurvivesADaemonRestart() throws Exception {
        Path state = Daemon.tempDir();
        String sandbox = """
                apiVersion: agents.x-k8s.io/v1beta1
                kind: Sandbox
                metadata:
                  name: keeps
                spec:
                  podTemplate:
                    spec:
                      containers:
                      - name: main
                        image: agentbox/builtin
                        command: ["sleep", "infinity"]
                        volumeMounts:
                        - {name: workspace, mountPath: /workspace}
                  volumeClaimTemplates:
                  - metadata: {name: workspace}
                    spec:
                      accessModes: [ReadWriteOnce]
                      resources: {requests: {storage: 1Gi}}
                """;
        try (Daemon first = new Daemon(state)) { // stops its sandboxes when closed: the next one starts it cold
            first.createOk("default", sandbox);
            await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(first.get("default", "sandboxes", "keeps")));
            assertThat(first.exec("default", "keeps", "echo survived > /workspace/file; echo kept > /tmp/lost").status()).isEqualTo(200);
        }
        // the directories of a Sandbox deleted while no agentboxd ran (here: one that never was) go at the next start
        Path gone = Files.createDirectories(state.resolve("volumes/default/gone.0000-dead/claims/workspace"));
        Files.writeString(gone.resolve("file"), "orphaned");
        try (Daemon second = new Daemon(state)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> Daemon.ready(second.get("default", "sandboxes", "keeps")));
            await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(state.resolve("volumes/default/gone.0000-dead")));
            assertThat(second.exec("default", "keeps", "cat /workspace/file; cat /tmp/lost 2>/dev/null || echo scratch-gone").json().path("stdout").asText())
                    .isEqualTo("survived\nscratch-gone\n");
            second.call("DELETE", Daemon.AGENTS + "default/sandboxes/keeps", null);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (Stream<Path> dirs = Files.list(state.resolve("volumes/default"))) {
                    return dirs.findAny().isEmpty();
                }
            });
        }
    }
}
