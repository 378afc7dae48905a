package dev.agentbox.client.kubernetes;

import dev.agentbox.client.SandboxClient;
import dev.agentbox.client.SandboxClientProvider;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code AGENTBOX_BACKEND=kubernetes}: the cluster from {@code KUBECONFIG} (else ~/.kube/config, else the in-cluster
 * service account), optionally {@code AGENTBOX_KUBE_CONTEXT}; the namespace from {@code AGENTBOX_NAMESPACE}, else the
 * context's namespace, else {@code default}.
 */
public final class KubernetesSandboxClientProvider implements SandboxClientProvider {
    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public SandboxClient fromEnvironment(Map<String, String> env) {
        Config config = config(env);
        String ns = env.get("AGENTBOX_NAMESPACE");
        if (ns == null || ns.isBlank()) ns = config.getNamespace();
        if (ns == null || ns.isBlank()) ns = SandboxClient.DEFAULT_NAMESPACE;
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        return new KubernetesSandboxClient(client, ns.trim(), true);
    }

    static Config config(Map<String, String> env) {
        String kubeconfig = env.get("KUBECONFIG");
        String context = env.get("AGENTBOX_KUBE_CONTEXT");
        if (kubeconfig != null && !kubeconfig.isBlank()) {
            Path file = Path.of(kubeconfig.split(java.io.File.pathSeparator)[0]);
            try {
                return Config.fromKubeconfig(context == null || context.isBlank() ? null : context, Files.readString(file), file.toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read KUBECONFIG " + file + ": " + e.getMessage(), e);
            }
        }
        return context == null || context.isBlank() ? Config.autoConfigure(null) : Config.autoConfigure(context);
    }
}
