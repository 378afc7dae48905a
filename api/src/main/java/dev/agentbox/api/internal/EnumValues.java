package dev.agentbox.api.internal;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Parses an enum from its upstream string, with an error that lists the allowed values. */
public final class EnumValues {
    private EnumValues() {
    }

    public static <E extends Enum<E>> E parse(Class<E> type, Function<E, String> value, String text) {
        if (text == null) return null;
        for (E e : type.getEnumConstants()) {
            if (value.apply(e).equals(text)) return e;
        }
        throw new IllegalArgumentException("unsupported value \"" + text + "\": must be one of " + allowed(type, value));
    }

    public static <E extends Enum<E>> String allowed(Class<E> type, Function<E, String> value) {
        return Arrays.stream(type.getEnumConstants()).map(value).collect(Collectors.joining(", "));
    }
}
