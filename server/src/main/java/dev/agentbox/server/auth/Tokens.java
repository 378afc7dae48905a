package dev.agentbox.server.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentbox.api.ConflictException;
import dev.agentbox.api.InvalidException;
import dev.agentbox.server.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Bearer tokens. The admin token is generated at first start into {@code admin.token} (0600);
 * scoped tokens live in {@code tokens.json} (0600) as SHA-256 hashes, never in clear. Both are written with
 * {@link AtomicFiles} (a crash leaves the old or the new file, never a torn one).
 */
public final class Tokens {
    private static final String NAME_PATTERN = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

    private final Path adminFile;
    private final Path scopedFile;
    private final ObjectMapper mapper;
    private final String adminHash;
    private final SecureRandom random = new SecureRandom();
    private List<Scoped> scoped;

    /** A scoped token as stored: name, hash of the secret, and the namespaces it may use. */
    public record Scoped(String name, String sha256, Set<String> namespaces) {}

    public Tokens(Path stateDir, ObjectMapper mapper) {
        this.mapper = mapper;
        this.adminFile = stateDir.resolve("admin.token");
        this.scopedFile = stateDir.resolve("tokens.json");
        try {
            if (!Files.exists(adminFile)) AtomicFiles.writePrivate(adminFile, newSecret("abx_admin_") + "\n");
            adminHash = sha256(Files.readString(adminFile).trim());
            scoped = Files.exists(scopedFile)
                    ? new ArrayList<>(mapper.readValue(scopedFile.toFile(), new TypeReference<List<Scoped>>() {}))
                    : new ArrayList<>();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create tokens in " + stateDir, e);
        }
    }

    public Path adminTokenFile() {
        return adminFile;
    }

    /** The principal for an Authorization header value, if the token is known. */
    public synchronized Optional<Principal> authenticate(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.startsWith("Bearer ")) return Optional.empty();
        String hash = sha256(authorizationHeader.substring("Bearer ".length()).trim());
        if (MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII), adminHash.getBytes(StandardCharsets.US_ASCII))) {
            return Optional.of(new Principal("admin", true, Set.of()));
        }
        return scoped.stream()
                .filter(t -> MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII), t.sha256().getBytes(StandardCharsets.US_ASCII)))
                .findFirst()
                .map(t -> new Principal(t.name(), false, t.namespaces()));
    }

    /** Creates a token limited to the namespaces; returns the secret (shown once, stored only hashed). */
    public synchronized String create(String name, Set<String> namespaces) {
        if (name == null || !name.matches(NAME_PATTERN)) throw new InvalidException("name", "must be a DNS-1123 label, e.g. ci-runner");
        if (namespaces == null || namespaces.isEmpty()) throw new InvalidException("namespaces", "at least one namespace required (the admin token already covers all)");
        for (String ns : namespaces) {
            if (!ns.matches(NAME_PATTERN)) throw new InvalidException("namespaces", ns + " is not a valid namespace name");
        }
        if (scoped.stream().anyMatch(t -> t.name().equals(name))) throw new ConflictException("token " + name + " already exists; revoke it first", true);
        String secret = newSecret("abx_");
        scoped.add(new Scoped(name, sha256(secret), Set.copyOf(namespaces)));
        save();
        return secret;
    }

    public synchronized boolean revoke(String name) {
        boolean removed = scoped.removeIf(t -> t.name().equals(name));
        if (removed) save();
        return removed;
    }

    public synchronized List<Scoped> list() {
        return List.copyOf(scoped);
    }

    private void save() {
        try {
            AtomicFiles.writePrivate(scopedFile, mapper.writeValueAsString(scoped));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + scopedFile, e);
        }
    }

    private String newSecret(String prefix) {
        byte[] b = new byte[24];
        random.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
