package dev.agentbox.server.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * agentboxd's configuration file: {@code <state-dir>/config.yaml} when present, or the file given with {@code --config}.
 * Every field is optional; a missing one takes its value from {@link #DEFAULTS}, the one place defaults are written.
 * Unknown fields and values of the wrong type are refused with their path (see {@link #parse}). docs/configuration.md
 * shows the file with every field.
 *
 * <p>To add a section: add a record component here (a nested record with validation in its compact constructor) and
 * its default value to {@link #DEFAULTS}.
 *
 * @param quotas what one namespace, and the daemon as a whole, may hold
 * @param sandboxDefaults the limits of a sandbox whose pod sets none (as a Kubernetes LimitRange's defaults)
 * @param logs the main process's log of each sandbox
 * @param images pulling images from registries
 * @param stopSandboxesOnExit stop every sandbox when agentboxd stops; by default they keep running and the next
 *        agentboxd on this state directory re-attaches to them ({@code agentbox serve --stop-sandboxes-on-exit})
 * @param tls how the API port is served: HTTPS with agentboxd's own CA by default
 * @param runtime how gVisor runs the sandboxes
 */
public record DaemonSettings(Quotas quotas, SandboxDefaults sandboxDefaults, Logs logs, Images images, boolean stopSandboxesOnExit, Tls tls,
                             Runtime runtime) {
    /** The file agentboxd reads from its state directory when no {@code --config} is given. */
    public static final String FILE_NAME = "config.yaml";

    /** Every default, in one place. */
    public static final DaemonSettings DEFAULTS = new DaemonSettings(
            new Quotas(
                    new Limits(50, 20, 100, ByteSize.parse("50Gi")),
                    new Limits(200, 100, 500, ByteSize.parse("200Gi")),
                    new RateLimit(3, 60)),
            new SandboxDefaults(ByteSize.parse("1Gi"), CpuSize.parse("1"), 256, ByteSize.parse("1Gi")),
            new Logs(ByteSize.parse("10Mi")),
            new Images(java.util.List.of(), "", 600),
            false,
            new Tls(true),
            new Runtime(dev.agentbox.runtime.GvisorRuntime.Options.DEFAULT_PLATFORM, "10.240.0.0/16", java.util.List.of(), Map.of(), java.util.List.of()));

    public DaemonSettings {
        Objects.requireNonNull(quotas, "quotas");
        Objects.requireNonNull(sandboxDefaults, "sandboxDefaults");
        Objects.requireNonNull(logs, "logs");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(runtime, "runtime");
    }

    /** The same settings, but stopping (true) or keeping (false) the sandboxes when agentboxd stops. */
    public DaemonSettings withStopSandboxesOnExit(boolean stop) {
        return new DaemonSettings(quotas, sandboxDefaults, logs, images, stop, tls, runtime);
    }

    /** The same settings, but serving HTTPS (true) or plain HTTP (false). */
    public DaemonSettings withTlsEnabled(boolean enabled) {
        return new DaemonSettings(quotas, sandboxDefaults, logs, images, stopSandboxesOnExit, new Tls(enabled), runtime);
    }

    /**
     * The API port's transport.
     *
     * @param enabled HTTPS with the CA and serving certificate agentboxd keeps in {@code <state-dir>/tls/} (clients trust
     *        {@code tls/ca.crt}); false: plain HTTP, which sends bearer tokens in clear text and which kubectl will not
     *        send a token over ({@code agentbox serve --insecure-http}); a warning is logged at start
     */
    public record Tls(boolean enabled) {
    }

    /**
     * What a sandbox gets when its pod's {@code resources.limits} (and the {@code agentbox.dev/max-processes}
     * annotation) say nothing.
     *
     * @param memory memory of each process and of all of them together
     * @param cpu CPU, a Kubernetes quantity ({@code 1}, {@code 500m})
     * @param processes processes (and threads) of one user inside the sandbox
     * @param ephemeralStorage the writable root filesystem, /tmp and disk emptyDirs together; past it writes get ENOSPC
     */
    public record SandboxDefaults(ByteSize memory, CpuSize cpu, int processes, ByteSize ephemeralStorage) {
        public SandboxDefaults {
            Objects.requireNonNull(memory, "memory");
            Objects.requireNonNull(cpu, "cpu");
            Objects.requireNonNull(ephemeralStorage, "ephemeralStorage");
            if (memory.bytes() < 16L << 20) throw new IllegalArgumentException("memory must be at least 16Mi, got " + memory);
            if (cpu.millis() < 10) throw new IllegalArgumentException("cpu must be at least 10m, got " + cpu);
            if (processes < 8) throw new IllegalArgumentException("processes must be at least 8, got " + processes);
            if (ephemeralStorage.bytes() < 16L << 20) throw new IllegalArgumentException("ephemeralStorage must be at least 16Mi, got " + ephemeralStorage);
        }
    }

    /**
     * @param maxBytes size of a sandbox's log file before it is rotated; one rotated file is kept, so a sandbox's
     *        log takes at most twice this
     */
    public record Logs(ByteSize maxBytes) {
        public Logs {
            Objects.requireNonNull(maxBytes, "maxBytes");
            if (maxBytes.bytes() < 4096) throw new IllegalArgumentException("maxBytes must be at least 4096, got " + maxBytes);
        }
    }

    /**
     * @param insecureRegistries registries ({@code host} or {@code host:port}) that may be pulled from over plain HTTP or
     *        with an unverified certificate; loopback registries ({@code localhost}, {@code 127.x}, {@code [::1]}) always may
     * @param dockerConfig the docker config file whose credentials pulls use; empty: {@code $DOCKER_CONFIG/config.json} or
     *        {@code ~/.docker/config.json} of the user agentboxd runs as
     * @param pullTimeoutSeconds the deadline of one pull, download and extraction together
     */
    /**
     * @param platform gVisor's platform for every sandbox: {@code ptrace} (the default: an idle sandbox costs no CPU;
     *        measured in runtime/DESIGN.md, "Platform") or {@code systrap} (runsc's own default)
     * @param networkPool the IPv4 block sandboxes with an egress policy get a /30 of each (docs/networking.md)
     * @param nameservers what such a sandbox's resolv.conf names; empty: this host's non-loopback nameservers
     * @param proxyHosts  names the egress proxy resolves from this table (name to IPv4 address) instead of DNS: pins a name,
     *                    and is how tests point names at their test hosts
     * @param builtinPackages installed Debian packages the built-in image agentbox/builtin has besides its defaults
     *        (with their dependencies; docs/images.md)
     */
    public record Runtime(String platform, String networkPool, java.util.List<String> nameservers, Map<String, String> proxyHosts,
                          java.util.List<String> builtinPackages) {
        public Runtime {
            Objects.requireNonNull(platform, "platform");
            Objects.requireNonNull(networkPool, "networkPool");
            Objects.requireNonNull(nameservers, "nameservers");
            nameservers = java.util.List.copyOf(nameservers);
            dev.agentbox.runtime.internal.SandboxNetwork.checkPool(networkPool);
            new dev.agentbox.runtime.Egress(java.util.List.of(), nameservers); // each one an IPv4 address
            Objects.requireNonNull(proxyHosts, "proxyHosts");
            proxyHosts = Map.copyOf(proxyHosts);
            new dev.agentbox.runtime.Egress(java.util.List.of(), java.util.List.copyOf(proxyHosts.values()), java.util.List.copyOf(proxyHosts.keySet()));
            Objects.requireNonNull(builtinPackages, "builtinPackages");
            builtinPackages = dev.agentbox.runtime.internal.BuiltinImage.Spec.checkNames(builtinPackages, "builtinPackages");
            if (!dev.agentbox.runtime.GvisorRuntime.Options.PLATFORMS.contains(platform)) {
                throw new IllegalArgumentException("platform must be ptrace or systrap, got '" + platform + "' (kvm is not offered: see runtime/DESIGN.md)");
            }
        }
    }

    public record Images(java.util.List<String> insecureRegistries, String dockerConfig, int pullTimeoutSeconds) {
        public Images {
            Objects.requireNonNull(insecureRegistries, "insecureRegistries");
            Objects.requireNonNull(dockerConfig, "dockerConfig");
            insecureRegistries = java.util.List.copyOf(insecureRegistries);
            for (String r : insecureRegistries) {
                if (!r.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?")) {
                    throw new IllegalArgumentException("insecureRegistries: " + r + " is not a registry host or host:port (no scheme, no path)");
                }
            }
            if (!dockerConfig.isEmpty() && !Path.of(dockerConfig).isAbsolute()) throw new IllegalArgumentException("dockerConfig must be an absolute path, got " + dockerConfig);
            if (pullTimeoutSeconds < 10 || pullTimeoutSeconds > 86_400) throw new IllegalArgumentException("pullTimeoutSeconds must be 10..86400, got " + pullTimeoutSeconds);
        }

        /** The docker config file, or null for docker's default. */
        public Path dockerConfigPath() {
            return dockerConfig.isEmpty() ? null : Path.of(dockerConfig);
        }
    }

    /** CPU as a Kubernetes quantity ({@code 1}, {@code 2}, {@code 500m}), in thousandths of a core. */
    public record CpuSize(long millis) {
        public CpuSize {
            if (millis < 0) throw new IllegalArgumentException("cpu must be 0 or more, got " + millis + "m");
        }

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static CpuSize fromJson(JsonNode value) {
            if (value.isNumber()) return parse(value.asText());
            if (value.isTextual()) return parse(value.asText());
            throw new IllegalArgumentException("cpu is a quantity such as 1 or 500m, got " + value);
        }

        public static CpuSize parse(String quantity) {
            try {
                return new CpuSize(Quantity.getAmountInBytes(new Quantity(quantity)).multiply(BigDecimal.valueOf(1000))
                        .setScale(0, java.math.RoundingMode.CEILING).longValueExact());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a cpu quantity: '" + quantity + "'; use 1, 2 or 500m");
            }
        }

        @JsonValue
        @Override
        public String toString() {
            return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
        }
    }

    /**
     * Quotas, as Kubernetes' ResourceQuota: a request that would go past one is refused with 403 {@code exceeded quota};
     * what a controller would create past one is not created, and a condition on its owner says so.
     *
     * @param perNamespace limits of each namespace
     * @param daemon limits of all namespaces together
     * @param workloadSnapshotsPerSandbox how often code inside one sandbox may ask for a snapshot
     *        ({@code /.agentbox/init snapshot}); requests beyond it are logged once and dropped
     */
    public record Quotas(Limits perNamespace, Limits daemon, RateLimit workloadSnapshotsPerSandbox) {
        public Quotas {
            Objects.requireNonNull(perNamespace, "perNamespace");
            Objects.requireNonNull(daemon, "daemon");
            Objects.requireNonNull(workloadSnapshotsPerSandbox, "workloadSnapshotsPerSandbox");
        }
    }

    /**
     * Limits of one scope (a namespace, or the daemon). 0 allows none.
     *
     * @param sandboxes Sandbox objects: running, warm-pool members, suspended or stopped
     * @param warmPoolReplicas the sum of {@code spec.replicas} of the SandboxWarmPools
     * @param snapshots PodSnapshot objects
     * @param snapshotBytes the sum of the PodSnapshots' {@code status.sizeBytes}, a Kubernetes quantity ({@code 50Gi})
     *        or a number of bytes; a checkpoint starts only while the total is under it (its size is known only after)
     */
    public record Limits(int sandboxes, int warmPoolReplicas, int snapshots, ByteSize snapshotBytes) {
        public Limits {
            if (sandboxes < 0) throw new IllegalArgumentException("sandboxes must be 0 or more, got " + sandboxes);
            if (warmPoolReplicas < 0) throw new IllegalArgumentException("warmPoolReplicas must be 0 or more, got " + warmPoolReplicas);
            if (snapshots < 0) throw new IllegalArgumentException("snapshots must be 0 or more, got " + snapshots);
            Objects.requireNonNull(snapshotBytes, "snapshotBytes");
        }
    }

    /**
     * A token bucket: {@code burst} requests at once, then one more every {@code refillSeconds}.
     *
     * @param burst requests allowed at once (0: none at all)
     * @param refillSeconds seconds until one more request is allowed
     */
    public record RateLimit(int burst, int refillSeconds) {
        public RateLimit {
            if (burst < 0) throw new IllegalArgumentException("burst must be 0 or more, got " + burst);
            if (refillSeconds < 1) throw new IllegalArgumentException("refillSeconds must be 1 or more, got " + refillSeconds);
        }
    }

    /** A size in bytes, written as a Kubernetes quantity ({@code 512Mi}, {@code 50Gi}) or a plain number of bytes. */
    public record ByteSize(long bytes) {
        private static final String[] UNITS = {"Ki", "Mi", "Gi", "Ti", "Pi"};

        public ByteSize {
            if (bytes < 0) throw new IllegalArgumentException("a size must be 0 or more, got " + bytes);
        }

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static ByteSize fromJson(JsonNode value) {
            if (value.isIntegralNumber()) return new ByteSize(value.asLong());
            if (value.isTextual()) return parse(value.asText());
            throw new IllegalArgumentException("a size is a quantity such as 50Gi or a number of bytes, got " + value);
        }

        public static ByteSize parse(String quantity) {
            BigDecimal b;
            try {
                b = Quantity.getAmountInBytes(new Quantity(quantity));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a size: '" + quantity + "'; use a quantity such as 50Gi or 512Mi, or a number of bytes");
            }
            return new ByteSize(b.setScale(0, java.math.RoundingMode.CEILING).longValueExact());
        }

        /** The largest binary unit that divides the size ({@code 50Gi}), else the number of bytes. */
        @JsonValue
        @Override
        public String toString() {
            long v = bytes;
            String unit = "";
            for (String u : UNITS) {
                if (v == 0 || v % 1024 != 0) break;
                v /= 1024;
                unit = u;
            }
            return v + unit;
        }
    }

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** The settings of a daemon: {@code file} if given (it must exist), else {@code <stateDir>/config.yaml} if present, else the defaults. */
    public static DaemonSettings read(Path stateDir, Path file) {
        Path f = file != null ? file : stateDir.resolve(FILE_NAME);
        if (file == null && !Files.exists(f)) return DEFAULTS;
        if (!Files.isRegularFile(f)) {
            throw new InvalidConfigException(f + ": no such file; give an existing YAML file with --config, or leave it out to use "
                    + stateDir.resolve(FILE_NAME) + " (when present) or the defaults");
        }
        try {
            return parse(Files.readString(f), f.toString());
        } catch (IOException e) {
            throw new InvalidConfigException(f + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    /** Parses a configuration file's text over {@link #DEFAULTS}; {@code source} names it in errors. */
    public static DaemonSettings parse(String yaml, String source) {
        JsonNode given;
        try {
            given = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new InvalidConfigException(source + ": not valid YAML: " + e.getMessage());
        }
        if (given == null || given.isMissingNode() || given.isNull()) return DEFAULTS; // an empty file
        if (!given.isObject()) throw new InvalidConfigException(source + ": the file must be a mapping of sections (quotas: ...), found " + given.getNodeType());
        ObjectNode merged = JSON.valueToTree(DEFAULTS);
        merge(merged, (ObjectNode) given);
        try {
            return YAML.treeToValue(merged, DaemonSettings.class);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                    .collect(Collectors.joining(", ", " (known fields here: ", ")"));
            throw new InvalidConfigException(source + ": " + path(e) + ": unknown field" + known + "; see docs/configuration.md");
        } catch (MismatchedInputException e) { // a value of the wrong type
            JsonNode value = merged;
            for (JsonMappingException.Reference r : e.getPath()) value = r.getFieldName() != null ? value.path(r.getFieldName()) : value.path(r.getIndex());
            throw new InvalidConfigException(source + ": " + path(e) + ": must be " + describe(e.getTargetType()) + ", got " + value + "; see docs/configuration.md");
        } catch (JsonMappingException e) { // a compact constructor refused the value
            String message = e.getCause() instanceof IllegalArgumentException iae ? iae.getMessage() : e.getOriginalMessage();
            throw new InvalidConfigException(source + ": " + path(e) + ": " + message + "; see docs/configuration.md");
        } catch (IOException e) {
            throw new InvalidConfigException(source + ": " + e.getMessage());
        }
    }

    /** Overlays {@code given} on {@code base}: mappings merge field by field, anything else replaces. */
    private static void merge(ObjectNode base, ObjectNode given) {
        Iterator<Map.Entry<String, JsonNode>> fields = given.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            JsonNode old = base.get(f.getKey());
            if (old instanceof ObjectNode o && f.getValue() instanceof ObjectNode g) merge(o, g);
            else base.set(f.getKey(), f.getValue());
        }
    }

    private static String describe(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) return "a whole number";
        if (type == ByteSize.class) return "a size such as 50Gi or a number of bytes";
        if (type != null && type.isRecord()) return "a mapping of fields";
        return type == null ? "another type" : type.getSimpleName();
    }

    private static String path(JsonMappingException e) {
        String p = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return p.isEmpty() ? "(root)" : p;
    }

    /** The configuration file cannot be used; the message names the file, the field and what to do. */
    public static final class InvalidConfigException extends IllegalArgumentException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }
}
