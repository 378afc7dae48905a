package dev.agentbox.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.ResourceKind;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes API discovery, as kube-apiserver answers it: {@code /version}, {@code /api}, {@code /api/v1}, {@code /apis},
 * {@code /apis/{group}} and {@code /apis/{group}/{version}}, in the legacy format (APIVersions, APIGroupList, APIGroup,
 * APIResourceList) and, when the Accept header asks for it first, the aggregated format (apidiscovery.k8s.io v2 or
 * v2beta1 APIGroupDiscoveryList, which kubectl and client-go ask for first; they read the legacy format when the
 * Content-Type does not name the aggregated one). Every token may read it (scoped ones too), as kube-apiserver's
 * default RBAC lets any authenticated user read discovery.
 */
final class DiscoveryHandler {
    /** The Kubernetes API version agentboxd answers like (kubectl warns beyond one minor version of skew). */
    static final String KUBERNETES_MAJOR = "1";
    static final String KUBERNETES_MINOR = "32";
    static final String GIT_VERSION = "v" + KUBERNETES_MAJOR + "." + KUBERNETES_MINOR + ".0-agentbox";

    private static final Pattern GROUP_PATH = Pattern.compile("^/apis/([^/]+)(?:/([^/]+))?/?$");
    private static final String AGGREGATED_GROUP = "apidiscovery.k8s.io";
    private static final String AGGREGATED_KIND = "APIGroupDiscoveryList";

    private final ObjectMapper mapper;

    DiscoveryHandler(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** True for the paths this handler answers. */
    static boolean handles(String path) {
        return path.equals("/version") || path.equals("/version/") || path.equals("/api") || path.equals("/api/")
                || path.equals("/api/v1") || path.equals("/api/v1/") || path.equals("/apis") || GROUP_PATH.matcher(path).matches();
    }

    void handle(HttpExchange ex, String path) throws IOException {
        ServedKinds kinds = ServedKinds.instance();
        HttpIO.requireMethod(ex, "discovery (" + path + ")", "GET");
        ex.getResponseHeaders().set("Vary", "Accept");
        switch (path) {
            case "/version", "/version/" -> HttpIO.json(ex, 200, mapper, version());
            case "/api", "/api/" -> {
                String aggregated = aggregatedVersion(ex);
                if (aggregated != null) aggregated(ex, aggregated, true);
                else HttpIO.json(ex, 200, mapper, apiVersions(ex));
            }
            case "/api/v1", "/api/v1/" -> HttpIO.json(ex, 200, mapper, resourceList("v1", kinds.core("v1")));
            case "/apis", "/apis/" -> {
                String aggregated = aggregatedVersion(ex);
                if (aggregated != null) aggregated(ex, aggregated, false);
                else HttpIO.json(ex, 200, mapper, groupList());
            }
            default -> {
                Matcher m = GROUP_PATH.matcher(path);
                if (!m.matches()) throw new IllegalStateException("unreachable: handles() checked the path");
                String group = m.group(1);
                List<String> versions = kinds.groups().get(group);
                if (versions == null) {
                    throw new NotFoundException("the server does not serve the API group " + group + "; served groups: " + kinds.groups().keySet());
                }
                if (m.group(2) == null) {
                    ObjectNode g = group(group, versions);
                    ObjectNode out = mapper.createObjectNode().put("kind", "APIGroup").put("apiVersion", "v1");
                    out.setAll(g);
                    HttpIO.json(ex, 200, mapper, out);
                } else {
                    String version = m.group(2);
                    if (!versions.contains(version)) {
                        throw new NotFoundException("the server does not serve " + group + "/" + version + "; " + group + " is served in " + versions);
                    }
                    HttpIO.json(ex, 200, mapper, resourceList(group + "/" + version, kinds.in(group, version)));
                }
            }
        }
    }

    private ObjectNode version() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        arch = switch (arch) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).replace(" ", "");
        String agentbox = DiscoveryHandler.class.getPackage().getImplementationVersion();
        return mapper.createObjectNode()
                .put("major", KUBERNETES_MAJOR)
                .put("minor", KUBERNETES_MINOR)
                .put("gitVersion", GIT_VERSION)
                .put("gitCommit", agentbox == null ? "" : "agentbox-" + agentbox)
                .put("gitTreeState", "")
                .put("buildDate", "")
                .put("goVersion", "java" + Runtime.version())
                .put("compiler", "javac")
                .put("platform", os + "/" + arch);
    }

    private ObjectNode apiVersions(HttpExchange ex) {
        ObjectNode out = mapper.createObjectNode().put("kind", "APIVersions");
        out.putArray("versions").add("v1");
        var local = ex.getLocalAddress();
        String host = local.getAddress() != null && local.getAddress().getHostAddress().contains(":")
                ? "[" + local.getAddress().getHostAddress() + "]" : local.getHostString();
        out.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0").put("serverAddress", host + ":" + local.getPort());
        return out;
    }

    private ObjectNode groupList() {
        ServedKinds kinds = ServedKinds.instance();
        ObjectNode out = mapper.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = out.putArray("groups");
        for (Map.Entry<String, List<String>> g : kinds.groups().entrySet()) groups.add(group(g.getKey(), g.getValue()));
        return out;
    }

    private ObjectNode group(String name, List<String> versions) {
        ObjectNode g = mapper.createObjectNode().put("name", name);
        ArrayNode vs = g.putArray("versions");
        for (String v : versions) vs.addObject().put("groupVersion", name + "/" + v).put("version", v);
        g.putObject("preferredVersion").put("groupVersion", name + "/" + versions.get(0)).put("version", versions.get(0));
        return g;
    }

    private ObjectNode resourceList(String groupVersion, List<ServedKinds.Served> served) {
        ObjectNode out = mapper.createObjectNode().put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", groupVersion);
        ArrayNode resources = out.putArray("resources");
        for (ServedKinds.Served s : served) {
            ResourceKind k = s.kind();
            ObjectNode r = resources.addObject().put("name", k.plural()).put("singularName", s.singular())
                    .put("namespaced", k.namespaced()).put("kind", k.kind());
            strings(r.putArray("verbs"), ServedKinds.VERBS);
            if (!s.shortNames().isEmpty()) strings(r.putArray("shortNames"), s.shortNames());
            if (!s.categories().isEmpty()) strings(r.putArray("categories"), s.categories());
            r.put("storageVersionHash", s.storageVersionHash());
            if (s.hasStatus()) {
                ObjectNode st = resources.addObject().put("name", k.plural() + "/status").put("singularName", "")
                        .put("namespaced", k.namespaced()).put("kind", k.kind());
                strings(st.putArray("verbs"), ServedKinds.SUBRESOURCE_VERBS);
            }
            if (s.scale().isPresent()) {
                ObjectNode sc = resources.addObject().put("name", k.plural() + "/scale").put("singularName", "")
                        .put("namespaced", k.namespaced()).put("group", "autoscaling").put("version", "v1").put("kind", "Scale");
                strings(sc.putArray("verbs"), ServedKinds.SUBRESOURCE_VERBS);
            }
        }
        return out;
    }

    /** {@code v2} or {@code v2beta1} when the Accept header prefers the aggregated format, null for the legacy one. */
    private static String aggregatedVersion(HttpExchange ex) {
        for (MediaTypes.MediaType t : MediaTypes.accepted(ex)) {
            if (t.isJsonAs(AGGREGATED_KIND, AGGREGATED_GROUP, "v2")) return "v2";
            if (t.isJsonAs(AGGREGATED_KIND, AGGREGATED_GROUP, "v2beta1")) return "v2beta1";
            if (t.isPlainJson()) return null;
        }
        return null;
    }

    /** The aggregated discovery document of {@code /api} (core) or {@code /apis} (named groups). */
    private void aggregated(HttpExchange ex, String version, boolean core) throws IOException {
        ServedKinds kinds = ServedKinds.instance();
        ObjectNode out = mapper.createObjectNode().put("kind", AGGREGATED_KIND).put("apiVersion", AGGREGATED_GROUP + "/" + version);
        out.putObject("metadata");
        ArrayNode items = out.putArray("items");
        if (core) {
            ObjectNode item = items.addObject();
            item.putObject("metadata");
            aggregatedVersion(item.putArray("versions").addObject(), "v1", kinds.core("v1"));
        } else {
            for (Map.Entry<String, List<String>> g : kinds.groups().entrySet()) {
                ObjectNode item = items.addObject();
                item.putObject("metadata").put("name", g.getKey());
                ArrayNode versions = item.putArray("versions");
                for (String v : g.getValue()) aggregatedVersion(versions.addObject(), v, kinds.in(g.getKey(), v));
            }
        }
        HttpIO.bytes(ex, 200, "application/json;g=" + AGGREGATED_GROUP + ";v=" + version + ";as=" + AGGREGATED_KIND, mapper.writeValueAsBytes(out));
    }

    private void aggregatedVersion(ObjectNode v, String version, List<ServedKinds.Served> served) {
        v.put("version", version);
        ArrayNode resources = v.putArray("resources");
        for (ServedKinds.Served s : served) {
            ResourceKind k = s.kind();
            ObjectNode r = resources.addObject().put("resource", k.plural());
            r.putObject("responseKind").put("group", k.group()).put("version", k.version()).put("kind", k.kind());
            r.put("scope", k.namespaced() ? "Namespaced" : "Cluster").put("singularResource", s.singular());
            strings(r.putArray("verbs"), ServedKinds.VERBS);
            if (!s.shortNames().isEmpty()) strings(r.putArray("shortNames"), s.shortNames());
            if (!s.categories().isEmpty()) strings(r.putArray("categories"), s.categories());
            if (s.hasStatus() || s.scale().isPresent()) {
                ArrayNode subresources = r.putArray("subresources");
                if (s.hasStatus()) {
                    ObjectNode st = subresources.addObject().put("subresource", "status");
                    st.putObject("responseKind").put("group", k.group()).put("version", k.version()).put("kind", k.kind());
                    strings(st.putArray("verbs"), ServedKinds.SUBRESOURCE_VERBS);
                }
                if (s.scale().isPresent()) {
                    ObjectNode sc = subresources.addObject().put("subresource", "scale");
                    sc.putObject("responseKind").put("group", "autoscaling").put("version", "v1").put("kind", "Scale");
                    strings(sc.putArray("verbs"), ServedKinds.SUBRESOURCE_VERBS);
                }
            }
        }
        v.put("freshness", "Current");
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
