package dev.agentbox.server.http;

import dev.agentbox.api.InvalidException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Kubernetes equality-based label selectors: {@code a=b}, {@code a==b}, {@code a!=b}, {@code a}, {@code !a}, comma-joined. */
final class LabelSelector {
    private LabelSelector() {}

    static Predicate<Map<String, String>> parse(String selector) {
        if (selector == null || selector.isBlank()) return labels -> true;
        List<Predicate<Map<String, String>>> parts = new ArrayList<>();
        for (String raw : selector.split(",")) {
            String term = raw.trim();
            if (term.isEmpty()) throw invalid(selector);
            int ne = term.indexOf("!=");
            int eq = term.indexOf('=');
            if (ne > 0) {
                String k = key(term.substring(0, ne), selector);
                String v = term.substring(ne + 2).trim();
                parts.add(l -> !v.equals(l.get(k)));
            } else if (eq > 0) {
                String k = key(term.substring(0, eq), selector);
                String v = term.substring(term.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
                parts.add(l -> v.equals(l.get(k)));
            } else if (term.startsWith("!")) {
                String k = key(term.substring(1), selector);
                parts.add(l -> !l.containsKey(k));
            } else {
                String k = key(term, selector);
                parts.add(l -> l.containsKey(k));
            }
        }
        return labels -> parts.stream().allMatch(p -> p.test(labels));
    }

    private static String key(String k, String selector) {
        String t = k.trim();
        if (!t.matches("([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?")) throw invalid(selector);
        return t;
    }

    private static InvalidException invalid(String selector) {
        return new InvalidException("labelSelector", "cannot parse '" + selector + "'; use key=value, key!=value, key or !key, joined by commas");
    }
}
