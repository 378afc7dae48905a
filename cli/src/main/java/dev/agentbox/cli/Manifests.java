package dev.agentbox.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.agentbox.api.InvalidException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Reading manifests (multi-document YAML or JSON) and printing objects as YAML or JSON. */
final class Manifests {
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);
    static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .build())
            .build();

    private Manifests() {}

    /** The objects in a YAML stream (documents separated by ---) or a JSON document; a kind List is unpacked. */
    static List<ObjectNode> parse(String text, String source) {
        List<ObjectNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(text)) {
            int index = 0;
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                index++;
                if (doc == null || doc.isNull() || doc.isMissingNode() || (doc.isObject() && doc.isEmpty())) continue;
                if (!doc.isObject()) {
                    throw new InvalidException(source + ": document " + index + " is not an object (apiVersion, kind, metadata, spec)");
                }
                if (doc.path("kind").asText("").endsWith("List") && doc.has("items")) {
                    for (JsonNode item : doc.get("items")) if (item.isObject()) out.add((ObjectNode) item);
                } else {
                    out.add((ObjectNode) doc);
                }
            }
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new InvalidException(source + ": not valid YAML" + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")")
                    + ": " + e.getOriginalMessage().lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("parse error"));
        } catch (IOException e) {
            throw new InvalidException(source + ": cannot read: " + e.getMessage());
        }
        return out;
    }

    static GenericKubernetesResource toResource(ObjectNode node) {
        return JSON.convertValue(node, GenericKubernetesResource.class);
    }

    static JsonNode tree(Object o) {
        return JSON.valueToTree(o);
    }

    static String yaml(Object o) {
        try {
            return YAML.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
