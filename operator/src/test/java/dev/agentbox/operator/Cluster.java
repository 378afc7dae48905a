package dev.agentbox.operator;

import dev.agentbox.api.Resources;
import dev.agentbox.operator.crd.Crds;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A "cluster" for tests: fabric8's mock API server in CRUD mode with the generated CRDs installed, the operator
 * running against it (Java Operator SDK, real informers and reconcilers), and a stand-in kubelet that marks new
 * Pods Running and Ready (the mock server runs no kubelet, so nothing else would).
 */
public final class Cluster implements AutoCloseable {
    public final KubernetesMockServer server;
    public final KubernetesClient client;
    public final OperatorMetrics metrics = new OperatorMetrics();
    private final Operator operator;
    private final SharedIndexInformer<Pod> kubelet;
    private final AtomicInteger ip = new AtomicInteger(10);
    /** When false, the stand-in kubelet leaves new Pods Pending. */
    public volatile boolean podsBecomeReady = true;

    public Cluster() {
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(),
                new java.util.HashMap<>(), new io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher(new java.util.HashMap<>()), false);
        server.init();
        client = server.createClient();
        for (var crd : Crds.loadAll()) client.resource(crd).create();
        kubelet = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                if (podsBecomeReady) markReady(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
            }

            @Override
            public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
            }
        });
        operator = AgentboxOperator.create(client, Set.of(), null, metrics, Clock.systemUTC());
        operator.start();
    }

    /** What a kubelet would do once the sandbox's containers run and pass their readiness probes. */
    public void markReady(Pod pod) {
        Pod fresh = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
        if (fresh == null) return;
        String addr = "10.8.0." + ip.incrementAndGet();
        PodStatus status = new PodStatus();
        status.setPhase("Running");
        status.setPodIP(addr);
        status.setPodIPs(java.util.List.of(new PodIPBuilder().withIp(addr).build()));
        status.setConditions(java.util.List.of(new PodConditionBuilder().withType("Ready").withStatus("True")
                .withLastTransitionTime(Instant.now().toString()).build()));
        fresh.setStatus(status);
        fresh.getMetadata().setResourceVersion(null);
        client.pods().resource(fresh).updateStatus();
    }

    /** Sets a Pod's phase (Succeeded / Failed), as a kubelet would when its containers exit. */
    public void setPhase(String ns, String podName, String phase) {
        Pod fresh = client.pods().inNamespace(ns).withName(podName).get();
        PodStatus status = fresh.getStatus() == null ? new PodStatus() : fresh.getStatus();
        status.setPhase(phase);
        status.setConditions(java.util.List.of(new PodConditionBuilder().withType("Ready").withStatus("False").build()));
        fresh.setStatus(status);
        fresh.getMetadata().setResourceVersion(null);
        client.pods().resource(fresh).updateStatus();
    }

    /** Parses a manifest with agentbox's codec and creates it in the namespace. */
    public <T extends HasMetadata> T apply(String ns, HasMetadata resource) {
        resource.getMetadata().setNamespace(ns);
        @SuppressWarnings("unchecked")
        T created = (T) client.resource(resource).create();
        return created;
    }

    /** A manifest from the repository's examples directory, parsed by agentbox's codec. */
    public static HasMetadata example(String relativePath) {
        try {
            return Resources.parseAll(Files.readString(Path.of("..", "examples").resolve(relativePath))).get(0);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        operator.stop();
        kubelet.close();
        client.close();
        server.destroy();
    }
}
