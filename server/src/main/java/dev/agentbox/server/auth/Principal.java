package dev.agentbox.server.auth;

import java.util.Set;

/** Who a request acts as: the admin (every namespace) or a token scoped to some namespaces. */
public record Principal(String name, boolean admin, Set<String> namespaces) {
    public Principal {
        namespaces = Set.copyOf(namespaces);
    }

    public boolean mayAccess(String namespace) {
        return admin || namespaces.contains(namespace);
    }
}
