package dev.agentbox.api.internal;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactoryBuilder;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.Reader;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * A YAMLFactory whose parsers hold YAML to the same limits as JSON, where Jackson's YAML parser does not:
 * <ul>
 * <li>Aliases ({@code *name}) are refused. Jackson 2 does not expand an alias: it reads {@code *name} as the string
 * "name", so a manifest using anchors would silently get wrong values. SnakeYAML's alias limit
 * ({@code LoaderOptions.maxAliasesForCollections}), like its nesting limit, does not apply either: SnakeYAML's
 * Composer enforces it, and Jackson reads the parser's events without one. Refusing every alias is correct and
 * cheap ("billion laughs" included).</li>
 * <li>The string and field-name lengths of the factory's {@link com.fasterxml.jackson.core.StreamReadConstraints},
 * which the YAML parser does not check itself (it checks nesting depth).</li>
 * </ul>
 * Only the Reader path is overridden: {@code Resources} parses Strings, which Jackson reads through a Reader.
 */
public final class BoundedYamlFactory extends YAMLFactory {
    private static final long serialVersionUID = 1L;

    public BoundedYamlFactory(YAMLFactoryBuilder builder) {
        super(builder);
    }

    @Override
    protected YAMLParser _createParser(Reader r, IOContext ctxt) throws IOException {
        return new YAMLParser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec, r) {
            @Override
            protected Event getEvent() throws IOException {
                Event e = super.getEvent();
                if (e instanceof AliasEvent alias) {
                    throw new StreamConstraintsException("YAML alias *" + alias.getAnchor()
                            + " is not supported (aliases are refused, not expanded); write the value out in full",
                            _locationFor(alias.getStartMark()));
                }
                if (e instanceof ScalarEvent scalar) streamReadConstraints().validateStringLength(scalar.getValue().length());
                return e;
            }

            @Override
            public JsonToken nextToken() throws IOException {
                JsonToken t = super.nextToken();
                if (t == JsonToken.FIELD_NAME) streamReadConstraints().validateNameLength(currentName().length());
                return t;
            }
        };
    }
}
