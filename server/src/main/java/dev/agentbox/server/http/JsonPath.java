package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The JSONPath of a CRD printer column (Kubernetes' jsonpath, as kube-apiserver evaluates additionalPrinterColumns):
 * {@code .a.b}, {@code ['a.b']}, {@code [n]} (negative from the end), {@code [start:end]}, {@code [*]} and {@code .*},
 * and filters {@code [?(@.path == 'x')]} (also {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=}, and a bare
 * {@code [?(@.path)]} for "has it"). Missing keys give no result rather than an error, as kube-apiserver allows them.
 */
final class JsonPath {
    private sealed interface Step permits Field, Index, Slice, Wildcard, Filter {
    }

    private record Field(String name) implements Step {
    }

    private record Index(int index) implements Step {
    }

    private record Slice(Integer start, Integer end) implements Step {
    }

    private record Wildcard() implements Step {
    }

    /** {@code [?(@.left op right)]}; {@code op} null: {@code [?(@.left)]}. */
    private record Filter(JsonPath left, String op, JsonNode right) implements Step {
        boolean matches(JsonNode item) {
            return left.matchesFilter(item, op, right);
        }
    }

    private final String text;
    private final List<Step> steps;

    private JsonPath(String text, List<Step> steps) {
        this.text = text;
        this.steps = steps;
    }

    /** Parses a column's JSONPath ({@code .status.replicas}, also in braces or after {@code $}); a malformed one is an IllegalArgumentException. */
    static JsonPath parse(String path) {
        String p = path.trim();
        if (p.startsWith("{") && p.endsWith("}")) p = p.substring(1, p.length() - 1).trim();
        if (p.startsWith("$")) p = p.substring(1);
        Parser parser = new Parser(p, path);
        List<Step> steps = parser.steps('\0');
        return new JsonPath(path, steps);
    }

    /** The values the path finds in {@code root}, in document order (empty when nothing matches). */
    List<JsonNode> find(JsonNode root) {
        List<JsonNode> current = List.of(root);
        for (Step step : steps) {
            List<JsonNode> next = new ArrayList<>();
            for (JsonNode n : current) apply(step, n, next);
            current = next;
            if (current.isEmpty()) break;
        }
        return current;
    }

    private static void apply(Step step, JsonNode n, List<JsonNode> out) {
        switch (step) {
            case Field f -> {
                JsonNode v = n.isObject() ? n.get(f.name()) : null;
                if (v != null) out.add(v);
            }
            case Index i -> {
                if (!n.isArray()) return;
                int index = i.index() < 0 ? n.size() + i.index() : i.index();
                if (index >= 0 && index < n.size()) out.add(n.get(index));
            }
            case Slice s -> {
                if (!n.isArray()) return;
                int size = n.size();
                int start = s.start() == null ? 0 : s.start() < 0 ? Math.max(0, size + s.start()) : Math.min(size, s.start());
                int end = s.end() == null ? size : s.end() < 0 ? Math.max(0, size + s.end()) : Math.min(size, s.end());
                for (int k = start; k < end; k++) out.add(n.get(k));
            }
            case Wildcard w -> {
                if (n.isArray() || n.isObject()) n.forEach(out::add);
            }
            case Filter f -> {
                if (!n.isArray() && !n.isObject()) return;
                Iterator<JsonNode> items = n.elements();
                while (items.hasNext()) {
                    JsonNode item = items.next();
                    if (f.matches(item)) out.add(item);
                }
            }
        }
    }

    private boolean matchesFilter(JsonNode item, String op, JsonNode right) {
        List<JsonNode> found = find(item);
        if (op == null) return !found.isEmpty();
        if (found.isEmpty()) return op.equals("!=");
        JsonNode left = found.get(0);
        return switch (op) {
            case "==" -> equal(left, right);
            case "!=" -> !equal(left, right);
            default -> {
                if (!left.isNumber() || !right.isNumber()) yield false;
                int c = Double.compare(left.asDouble(), right.asDouble());
                yield switch (op) {
                    case "<" -> c < 0;
                    case "<=" -> c <= 0;
                    case ">" -> c > 0;
                    case ">=" -> c >= 0;
                    default -> false;
                };
            }
        };
    }

    private static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.asDouble() == b.asDouble();
        if (a.isTextual() && b.isTextual()) return a.asText().equals(b.asText());
        return a.equals(b);
    }

    @Override
    public String toString() {
        return text;
    }

    /** A recursive-descent parser of the steps. */
    private static final class Parser {
        private final String s;
        private final String original;
        private int i;

        Parser(String s, String original) {
            this.s = s;
            this.original = original;
        }

        /** Steps up to the end (or, inside a filter, up to {@code stop} at the top level). */
        List<Step> steps(char stop) {
            List<Step> out = new ArrayList<>();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (stop != '\0' && (c == stop || c == ' ' || c == '=' || c == '!' || c == '<' || c == '>')) break;
                if (c == '.') {
                    i++;
                    if (i < s.length() && s.charAt(i) == '.') throw bad("recursive descent (..) is not supported");
                    if (i < s.length() && s.charAt(i) == '*') {
                        i++;
                        out.add(new Wildcard());
                    } else if (i < s.length() && s.charAt(i) != '[') {
                        out.add(new Field(name()));
                    }
                } else if (c == '[') {
                    out.add(bracket());
                } else if (out.isEmpty() && (Character.isLetterOrDigit(c) || c == '_')) {
                    out.add(new Field(name())); // "status.replicas" without the leading dot
                } else {
                    throw bad("unexpected '" + c + "'");
                }
            }
            return out;
        }

        private String name() {
            StringBuilder b = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length()) {
                    b.append(s.charAt(i + 1));
                    i += 2;
                    continue;
                }
                if (c == '.' || c == '[' || c == ' ' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>') break;
                b.append(c);
                i++;
            }
            if (b.isEmpty()) throw bad("empty field name");
            return b.toString();
        }

        private Step bracket() {
            i++; // [
            skipSpaces();
            if (i >= s.length()) throw bad("unclosed [");
            char c = s.charAt(i);
            Step step;
            if (c == '*') {
                i++;
                step = new Wildcard();
            } else if (c == '\'' || c == '"') {
                step = new Field(quoted());
            } else if (c == '?') {
                i++;
                expect('(');
                skipSpaces();
                expect('@');
                JsonPath left = new JsonPath("@", steps(')'));
                skipSpaces();
                String op = null;
                JsonNode right = null;
                if (i < s.length() && s.charAt(i) != ')') {
                    int start = i;
                    while (i < s.length() && "=!<>".indexOf(s.charAt(i)) >= 0) i++;
                    op = s.substring(start, i);
                    if (!List.of("==", "!=", "<", "<=", ">", ">=").contains(op)) throw bad("unknown operator " + op);
                    skipSpaces();
                    right = literal();
                    skipSpaces();
                }
                expect(')');
                step = new Filter(left, op, right);
            } else {
                step = indexOrSlice();
            }
            skipSpaces();
            expect(']');
            return step;
        }

        private Step indexOrSlice() {
            Integer start = integer();
            skipSpaces();
            if (i < s.length() && s.charAt(i) == ':') {
                i++;
                skipSpaces();
                Integer end = integer();
                return new Slice(start, end);
            }
            if (start == null) throw bad("expected an index");
            return new Index(start);
        }

        private Integer integer() {
            int start = i;
            if (i < s.length() && s.charAt(i) == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            if (start == i) return null;
            try {
                return Integer.parseInt(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw bad("bad index " + s.substring(start, i));
            }
        }

        private JsonNode literal() {
            if (i >= s.length()) throw bad("expected a value");
            char c = s.charAt(i);
            var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
            if (c == '\'' || c == '"') return f.textNode(quoted());
            int start = i;
            while (i < s.length() && s.charAt(i) != ')' && s.charAt(i) != ' ') i++;
            String word = s.substring(start, i);
            return switch (word) {
                case "true" -> f.booleanNode(true);
                case "false" -> f.booleanNode(false);
                case "nil", "null" -> f.nullNode();
                default -> {
                    try {
                        yield word.contains(".") ? f.numberNode(Double.parseDouble(word)) : f.numberNode(Long.parseLong(word));
                    } catch (NumberFormatException e) {
                        throw bad("bad value " + word);
                    }
                }
            };
        }

        private String quoted() {
            char q = s.charAt(i++);
            StringBuilder b = new StringBuilder();
            while (i < s.length() && s.charAt(i) != q) {
                if (s.charAt(i) == '\\' && i + 1 < s.length()) i++;
                b.append(s.charAt(i++));
            }
            if (i >= s.length()) throw bad("unclosed quote");
            i++;
            return b.toString();
        }

        private void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) throw bad("expected '" + c + "'");
            i++;
        }

        private void skipSpaces() {
            while (i < s.length() && s.charAt(i) == ' ') i++;
        }

        private IllegalArgumentException bad(String what) {
            return new IllegalArgumentException("JSONPath " + original + ": " + what + " at " + i);
        }
    }
}
