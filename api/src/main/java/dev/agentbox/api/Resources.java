package dev.agentbox.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.agentbox.api.internal.BoundedYamlFactory;
import dev.agentbox.api.internal.Json;
import dev.agentbox.api.internal.UnknownFields;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * The YAML/JSON codec of agentbox resources. Parsing picks the class from apiVersion and kind, and rejects
 * what Kubernetes would reject: malformed YAML (with line and column), missing or unknown apiVersion/kind,
 * unknown fields (with their full path), and values of the wrong type; input over one of the limits below is refused
 * as soon as the parser reaches the limit. Writing omits nulls and an empty status.
 * Every failure is an {@link InvalidException}. Parsing does not run {@link Validation}.
 */
public final class Resources {
    // ---- Limits on what is parsed here (manifests, and the JSON bodies of agentboxd's other routes). Each is
    // enforced by the parser as it reads, so refusing an input costs no more than reading up to the limit, and
    // parsing stays linear in the input. docs/http-api.md "Limits" lists them with the errors they give.

    /** Characters (bytes for {@link #readJson}; YAML: code points) in one JSON value or YAML document; agentboxd's body limit. */
    public static final int MAX_DOCUMENT_LENGTH = 3 * 1024 * 1024;
    /** Nesting of objects and lists; the deepest PodSpec path is about 12 levels. */
    public static final int MAX_NESTING_DEPTH = 100;
    /** Characters in one string value (an annotation, an env value, exec stdin). */
    public static final int MAX_STRING_LENGTH = 1024 * 1024;
    /** Characters in one field name. */
    public static final int MAX_NAME_LENGTH = 4096;
    /** Digits in one number (Kubernetes numbers are int64; parsing a huge number costs more than linear time). */
    public static final int MAX_NUMBER_LENGTH = 100;
    /**
     * Characters in one YAML line. SnakeYAML copies its whole look-ahead each time it reads 1 KiB more, and a token
     * (a plain or quoted word, a comment, a block scalar line) is looked ahead in full: one line of L characters
     * costs about L*L/2048 copies (a 50 MB single-line body was still being parsed after 10 minutes). Capping lines keeps a
     * document's cost linear (at most size * limit / 1 KiB copies). JSON has no such limit: Jackson reads it linearly.
     */
    public static final int MAX_YAML_LINE_LENGTH = 64 * 1024;
    /** YAML documents (empty ones included), or items of a List, in one input. */
    public static final int MAX_DOCUMENTS = 1000;
    /** Field errors reported for one input; the rest are summarised in one line (and not computed). */
    public static final int MAX_FIELD_ERRORS = 100;

    private static final StreamReadConstraints CONSTRAINTS = StreamReadConstraints.builder()
            .maxDocumentLength(MAX_DOCUMENT_LENGTH)
            .maxNestingDepth(MAX_NESTING_DEPTH)
            .maxStringLength(MAX_STRING_LENGTH)
            .maxNameLength(MAX_NAME_LENGTH)
            .maxNumberLength(MAX_NUMBER_LENGTH)
            .build();

    private static final ObjectMapper JSON = Json.mapper();
    private static final ObjectMapper YAML = YAMLMapper.builder(new BoundedYamlFactory(YAMLFactory.builder()
                    .loaderOptions(yamlLoaderOptions())
                    .streamReadConstraints(CONSTRAINTS)
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .disable(YAMLGenerator.Feature.SPLIT_LINES)))
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            .build();
    private static final ObjectMapper STRICT_JSON = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(CONSTRAINTS).build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final UnknownFields UNKNOWN_FIELDS = new UnknownFields(JSON, MAX_FIELD_ERRORS);

    private Resources() {
    }

    /**
     * SnakeYAML's own limits that apply when Jackson drives it: code points per document. Its nesting, alias and
     * recursive-key options are enforced by its Composer, which Jackson does not use: nesting is limited by Jackson's
     * {@link StreamReadConstraints} instead, and aliases are refused by {@link BoundedYamlFactory} (which also applies
     * the string and name lengths of the constraints, which Jackson's YAML parser does not check).
     */
    private static LoaderOptions yamlLoaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_DOCUMENT_LENGTH);
        return options;
    }

    /** The JSON mapper agentbox uses for its resources (omits nulls, tolerates unknown fields: check with {@link #fromTree}). */
    public static ObjectMapper mapper() {
        return JSON;
    }

    /** Parses one JSON object, a JSON List ({@code items}), or one or more YAML documents into typed resources. */
    public static List<HasMetadata> parseAll(String text) {
        List<JsonNode> documents = readTrees(text);
        List<HasMetadata> out = new ArrayList<>();
        List<FieldError> errors = new ArrayList<>();
        int n = documents.size();
        for (int i = 0; i < n && errors.size() <= MAX_FIELD_ERRORS; i++) {
            String where = n > 1 ? "document " + (i + 1) + ": " : "";
            try {
                out.add(fromTree(documents.get(i)));
            } catch (InvalidException e) {
                if (e.errors().isEmpty()) errors.add(new FieldError(n > 1 ? "document " + (i + 1) : "(root)", e.getMessage()));
                for (FieldError fe : e.errors()) errors.add(new FieldError(fe.field(), fe.message() + (n > 1 ? " (" + where.substring(0, where.length() - 2) + ")" : "")));
            }
        }
        if (!errors.isEmpty()) throw new InvalidException(capped(errors));
        if (out.isEmpty()) throw new InvalidException("no objects found: the input is empty; give a manifest with apiVersion, kind, metadata and spec");
        return out;
    }

    /** Parses exactly one object of the given class (JSON or YAML); apiVersion and kind may be omitted but must match if given. */
    public static <T extends HasMetadata> T parse(String text, Class<T> type) {
        List<JsonNode> documents = readTrees(text);
        if (documents.size() != 1) {
            throw new InvalidException("expected exactly one " + HasMetadata.getKind(type) + ", found " + documents.size() + " documents");
        }
        JsonNode node = documents.get(0);
        if (!node.isObject()) throw new InvalidException("expected a mapping (an object with metadata and spec), found " + describe(node));
        ObjectNode object = (ObjectNode) node.deepCopy();
        ResourceKind kind = ResourceKind.of(type);
        if (!object.hasNonNull("apiVersion")) object.put("apiVersion", kind.apiVersion());
        if (!object.hasNonNull("kind")) object.put("kind", kind.kind());
        HasMetadata parsed = fromTree(object);
        if (!type.isInstance(parsed)) {
            throw new InvalidException("kind", parsed.getKind() + " given where a " + kind.kind() + " is expected; send a " + kind.kind());
        }
        return type.cast(parsed);
    }

    /** Converts one parsed JSON tree to its typed resource, checking apiVersion, kind, unknown fields and value types. */
    public static HasMetadata fromTree(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new InvalidException("expected a mapping (an object with apiVersion, kind, metadata and spec), found " + describe(node));
        }
        ResourceKind kind = kindOf(node);
        return convert(node, kind.type());
    }

    /** Converts a JSON tree to the given class, checking unknown fields and value types (apiVersion/kind are not checked). */
    public static <T> T convert(JsonNode node, Class<T> type) {
        List<FieldError> errors = new ArrayList<>();
        UNKNOWN_FIELDS.check(node, JSON.constructType(type), "", errors);
        if (!errors.isEmpty()) throw new InvalidException(capped(errors));
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonMappingException e) {
            throw new InvalidException(List.of(new FieldError(path(e), typeProblem(e))));
        } catch (JsonProcessingException e) {
            throw new InvalidException(e.getOriginalMessage());
        }
    }

    /** The kind named by a tree's apiVersion and kind; an InvalidException listing the known kinds otherwise. */
    public static ResourceKind kindOf(JsonNode node) {
        String apiVersion = node.path("apiVersion").isTextual() ? node.path("apiVersion").asText() : null;
        String kind = node.path("kind").isTextual() ? node.path("kind").asText() : null;
        List<FieldError> errors = new ArrayList<>();
        if (apiVersion == null || apiVersion.isBlank()) errors.add(new FieldError("apiVersion", "required; one of " + knownApiVersions()));
        if (kind == null || kind.isBlank()) errors.add(new FieldError("kind", "required; one of " + knownKinds()));
        if (!errors.isEmpty()) throw new InvalidException(errors);
        var found = ResourceKinds.byApiVersionAndKind(apiVersion, kind);
        if (found.isPresent()) return found.get();
        var sameKind = ResourceKinds.all().stream().filter(k -> k.kind().equals(kind)).findFirst();
        if (sameKind.isPresent()) {
            throw new InvalidException("apiVersion", apiVersion + " is not served for " + kind + "; use apiVersion: " + sameKind.get().apiVersion());
        }
        boolean groupKnown = ResourceKinds.all().stream().anyMatch(k -> k.apiVersion().equals(apiVersion));
        if (groupKnown) throw new InvalidException("kind", "unknown kind " + kind + " in " + apiVersion + "; known kinds: " + knownKinds());
        throw new InvalidException("apiVersion", "unknown apiVersion/kind " + apiVersion + " " + kind + "; known kinds: " + knownKinds());
    }

    /**
     * Reads JSON or YAML into trees: one per YAML document (empty documents skipped), or the items of a List.
     * Input over one of the limits above is refused with an {@link InvalidException} naming the limit.
     */
    public static List<JsonNode> readTrees(String text) {
        if (text == null || text.isBlank()) return List.of();
        String trimmed = text.stripLeading();
        List<JsonNode> out = new ArrayList<>();
        try {
            if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
                addDocument(out, STRICT_JSON.readTree(text));
            } else {
                checkLineLength(text);
                try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
                    for (int documents = 1; it.hasNextValue(); documents++) {
                        if (documents > MAX_DOCUMENTS) throw tooManyDocuments();
                        addDocument(out, it.nextValue());
                    }
                }
            }
        } catch (JsonProcessingException e) {
            throw new InvalidException(syntaxError(e));
        } catch (IOException | RuntimeException e) {
            if (e instanceof InvalidException invalid) throw invalid;
            if (e.getCause() instanceof JsonProcessingException jpe) throw new InvalidException(syntaxError(jpe));
            throw new InvalidException("cannot parse the input: " + e.getMessage());
        }
        if (out.size() > MAX_DOCUMENTS) throw tooManyDocuments();
        return out;
    }

    /** Parses one JSON value (a request body) under the same limits as manifests; an InvalidException names the problem. */
    public static JsonNode readJson(byte[] json) {
        try {
            return STRICT_JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidException(syntaxError(e));
        } catch (IOException e) {
            throw new InvalidException("cannot parse the input: " + e.getMessage());
        }
    }

    /** Refuses YAML with a line over {@link #MAX_YAML_LINE_LENGTH} before SnakeYAML sees it (see there why). */
    private static void checkLineLength(String text) {
        int line = 1;
        for (int start = 0; start < text.length(); line++) {
            int end = text.indexOf('\n', start);
            if (end < 0) end = text.length();
            if (end - start > MAX_YAML_LINE_LENGTH) {
                throw new InvalidException("line " + line + " is longer than " + MAX_YAML_LINE_LENGTH + " characters, the limit for YAML lines; "
                        + "break the value over several lines (a YAML block scalar, | or >) or send the manifest as JSON");
            }
            start = end + 1;
        }
    }

    private static InvalidException tooManyDocuments() {
        return new InvalidException("the input holds more than " + MAX_DOCUMENTS + " documents (YAML documents or List items), the limit for one input; split it");
    }

    /** At most {@link #MAX_FIELD_ERRORS} errors, and a last line saying that there are more. */
    private static List<FieldError> capped(List<FieldError> errors) {
        if (errors.size() <= MAX_FIELD_ERRORS) return errors;
        List<FieldError> out = new ArrayList<>(errors.subList(0, MAX_FIELD_ERRORS));
        out.add(new FieldError("(more)", "more errors not shown; fix these first"));
        return out;
    }

    private static void addDocument(List<JsonNode> out, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode() || (node.isTextual() && node.asText().isBlank())) return;
        if (node.isArray()) {
            node.forEach(out::add);
            return;
        }
        if (node.isObject() && node.path("kind").asText("").endsWith("List") && node.path("items").isArray()) {
            node.path("items").forEach(out::add);
            return;
        }
        out.add(node);
    }

    /** JSON of one object or a list, without nulls and without an empty status. */
    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(clean(JSON.valueToTree(value)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pretty-printed JSON, see {@link #toJson}. */
    public static String toPrettyJson(Object value) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(clean(JSON.valueToTree(value)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** YAML of one object, without nulls and without an empty status. */
    public static String toYaml(Object value) {
        try {
            return YAML.writeValueAsString(clean(JSON.valueToTree(value)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Multi-document YAML, documents separated by {@code ---}. */
    public static String toYaml(List<? extends HasMetadata> objects) {
        return objects.stream().map(Resources::toYaml).collect(Collectors.joining("---\n"));
    }

    /** The JSON tree of a resource as written: no nulls, no empty status. */
    public static JsonNode toTree(Object value) {
        return clean(JSON.valueToTree(value));
    }

    private static JsonNode clean(JsonNode node) {
        if (node instanceof ObjectNode o) {
            JsonNode status = o.get("status");
            if (status != null && (status.isNull() || (status.isObject() && status.isEmpty()))) o.remove("status");
        }
        return node;
    }

    private static String syntaxError(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String msg = e.getOriginalMessage() == null ? e.getMessage() : e.getOriginalMessage();
        msg = msg.replaceAll("\\s+", " ").trim();
        String where = at == null || at.getLineNr() < 0 ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        if (e instanceof StreamConstraintsException) {
            // Jackson names its own setting ("..., from `StreamReadConstraints.getMaxNestingDepth()`"): drop that
            return "the input is over a limit" + (where.isEmpty() ? ": " : " at " + where) + msg.replaceAll(", from `[^`]*`", "")
                    + "; see \"Limits\" in docs/http-api.md";
        }
        return "malformed YAML/JSON at " + where + msg + "; fix the syntax and apply again";
    }

    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) b.append('.');
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.isEmpty() ? "(root)" : b.toString();
    }

    private static String typeProblem(JsonMappingException e) {
        Throwable cause = e.getCause();
        if (e instanceof ValueInstantiationException && cause != null && cause.getMessage() != null) return cause.getMessage();
        if (cause instanceof IllegalArgumentException iae && iae.getMessage() != null) return iae.getMessage();
        if (e instanceof InvalidFormatException f) {
            return "invalid value " + f.getValue() + ": expected " + typeName(f.getTargetType());
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "wrong type: expected " + typeName(m.getTargetType());
        }
        String msg = e.getOriginalMessage();
        return msg == null ? "invalid value" : msg.replaceAll("\\s+", " ");
    }

    private static String typeName(Class<?> type) {
        if (type == null) return "a different type";
        if (type == String.class) return "a string";
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) return "an integer";
        if (type == Boolean.class || type == boolean.class) return "true or false";
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) return "a list";
        if (java.util.Map.class.isAssignableFrom(type)) return "a mapping";
        if (type.isEnum()) return "one of " + java.util.Arrays.stream(type.getEnumConstants()).map(Object::toString).collect(Collectors.joining(", "));
        return "a mapping (" + type.getSimpleName() + ")";
    }

    private static String describe(JsonNode node) {
        if (node == null) return "nothing";
        return switch (node.getNodeType()) {
            case ARRAY -> "a list";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case OBJECT -> "a mapping";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String knownKinds() {
        return ResourceKinds.all().stream().map(k -> k.apiVersion() + " " + k.kind()).collect(Collectors.joining(", "));
    }

    private static String knownApiVersions() {
        return ResourceKinds.all().stream().map(ResourceKind::apiVersion).distinct().collect(Collectors.joining(", "));
    }
}
