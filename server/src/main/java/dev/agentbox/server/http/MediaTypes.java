package dev.agentbox.server.http;

import com.sun.net.httpserver.HttpExchange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The media types of a request's Accept header, most preferred first (by q, then by the order sent), as kube-apiserver negotiates. */
final class MediaTypes {
    /** One accepted media type: {@code type/subtype} in lower case and its parameters (names in lower case). */
    record MediaType(String type, Map<String, String> params, double q) {
        boolean isJson() {
            return type.equals("application/json");
        }

        /** {@code application/json}, {@code application/*} or {@code * / *} without the Kubernetes {@code as}, {@code g}, {@code v} parameters. */
        boolean isPlainJson() {
            return (isJson() || type.equals("application/*") || type.equals("*/*")) && !params.containsKey("as");
        }

        /** {@code application/json;as=KIND;g=GROUP;v=VERSION} (any parameter order). */
        boolean isJsonAs(String kind, String group, String version) {
            return isJson() && kind.equals(params.get("as")) && group.equals(params.get("g")) && version.equals(params.get("v"));
        }
    }

    private MediaTypes() {
    }

    /** The Accept header's media types, most preferred first; empty when there is none. */
    static List<MediaType> accepted(HttpExchange ex) {
        List<MediaType> out = new ArrayList<>();
        for (String header : ex.getRequestHeaders().getOrDefault("Accept", List.of())) {
            if (header.length() > 8192) continue; // far longer than any client sends; not worth parsing
            for (String part : header.split(",")) {
                String[] pieces = part.split(";");
                String type = pieces[0].trim().toLowerCase(Locale.ROOT);
                if (type.isEmpty()) continue;
                Map<String, String> params = new LinkedHashMap<>();
                double q = 1;
                for (int i = 1; i < pieces.length; i++) {
                    int eq = pieces[i].indexOf('=');
                    if (eq <= 0) continue;
                    String name = pieces[i].substring(0, eq).trim().toLowerCase(Locale.ROOT);
                    String value = pieces[i].substring(eq + 1).trim();
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length() - 1);
                    if (name.equals("q")) {
                        try {
                            q = Double.parseDouble(value);
                        } catch (NumberFormatException e) {
                            q = 0;
                        }
                    } else {
                        params.put(name, value);
                    }
                }
                if (q > 0) out.add(new MediaType(type, Map.copyOf(params), q));
            }
        }
        out.sort(Comparator.comparingDouble(MediaType::q).reversed()); // stable: equal q keeps the order sent
        return out;
    }
}
