package dev.agentbox.server.http;

import com.sun.net.httpserver.HttpExchange;
import dev.agentbox.api.Conditions;
import dev.agentbox.api.NotFoundException;
import dev.agentbox.api.SandboxFailedException;
import dev.agentbox.api.agents.v1beta1.Sandbox;
import dev.agentbox.runtime.RunningSandbox;
import dev.agentbox.server.controller.ObjectKey;
import dev.agentbox.server.controller.SandboxController;
import dev.agentbox.server.sandbox.LiveSandboxes;
import dev.agentbox.server.store.Store;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.BiFunction;

/**
 * {@code GET /api/v1/namespaces/{ns}/sandboxes/{name}/log}, as Kubernetes' pods/log: the main process's stdout and
 * stderr, as its shim wrote them to the sandbox's log (the rotated file, then the current one). The file is found
 * from the Sandbox object (its container id), never from the request. Every parameter is checked before the answer
 * starts; the log is streamed from the file in small chunks, never held in memory.
 */
final class LogHandler {
    /** How often a follower looks for new output (only while one is attached). */
    static final long POLL_MILLIS = 200;
    /** How often a follower checks its token and whether the sandbox still exists and runs. */
    static final long CHECK_MILLIS = 1000;
    /** Ready reasons of a sandbox that does not run and will not until someone changes it: a follower ends. */
    private static final Set<String> STOPPED = Set.of(Conditions.REASON_SANDBOX_SUSPENDED, Conditions.REASON_SANDBOX_EXPIRED,
            Conditions.REASON_POD_SUCCEEDED, Conditions.REASON_POD_FAILED);

    private final Store store;
    private final LiveSandboxes live;
    private final BiFunction<String, String, Path> logFileOf;

    /** @param logFileOf the runtime's log file of a container id's main process (null) or of its init container */
    LogHandler(Store store, LiveSandboxes live, BiFunction<String, String, Path> logFileOf) {
        this.store = store;
        this.live = live;
        this.logFileOf = logFileOf;
    }

    /** The parameters of a log request; a malformed one is a 400 naming it. */
    record LogQuery(boolean follow, Long tailLines, Long limitBytes, String container) {
        static LogQuery parse(Map<String, String> q) {
            boolean follow = HttpIO.booleanParam(q, "follow", false);
            Long tailLines = HttpIO.countParam(q, "tailLines");
            Long limitBytes = HttpIO.countParam(q, "limitBytes");
            if (limitBytes != null && limitBytes == 0) throw new HttpIO.BadRequest("limitBytes=0: must be at least 1; leave it out for the whole log");
            if (HttpIO.booleanParam(q, "previous", false)) {
                throw new HttpIO.BadRequest("previous=true is not supported: a sandbox that is started again begins a new log; leave it out");
            }
            if (HttpIO.booleanParam(q, "timestamps", false)) {
                throw new HttpIO.BadRequest("timestamps=true is not supported: the log holds the bytes the process wrote, without times; leave it out");
            }
            for (String p : List.of("sinceSeconds", "sinceTime")) {
                String v = q.get(p);
                if (v != null && !v.isEmpty()) throw new HttpIO.BadRequest(p + " is not supported (the log has no times); use tailLines=N");
            }
            String container = q.get("container");
            return new LogQuery(follow, tailLines, limitBytes, container == null || container.isEmpty() ? null : container);
        }
    }

    void handle(HttpExchange ex, String ns, String name, BooleanSupplier stillAuthorized) throws IOException {
        HttpIO.requireMethod(ex, "/log", "GET");
        LogQuery q = LogQuery.parse(HttpIO.query(ex));
        Sandbox sandbox = store.get(Sandbox.class, ns, name).orElseThrow(() -> new NotFoundException(
                "sandbox " + ns + "/" + name + " not found; list them with `agentbox get sandboxes -n " + ns + "`"));
        String init = initContainer(sandbox, q.container());
        String id = SandboxController.containerId(sandbox);
        Path file = logFileOf.apply(id, init);

        LogFiles.Snapshot log;
        long start;
        long length;
        try {
            log = LogFiles.open(file);
        } catch (IOException e) {
            throw cannotRead(ns, name, e);
        }
        try {
            try {
                start = q.tailLines() == null ? 0 : log.tailStart(q.tailLines());
            } catch (IOException e) {
                throw cannotRead(ns, name, e);
            }
            length = log.size() - start;
            if (q.limitBytes() != null) length = Math.min(length, q.limitBytes());
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            // from here on the answer has begun: a failure can only cut it short
            try {
                if (!q.follow()) {
                    ex.sendResponseHeaders(200, length == 0 ? -1 : length);
                    if (length > 0) log.copy(start, length, ex.getResponseBody());
                    return;
                }
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                log.copy(start, length, out);
                out.flush();
                long remaining = q.limitBytes() == null ? Long.MAX_VALUE : q.limitBytes() - length;
                try (LogFiles.Follower follower = log.follow()) {
                    follow(follower, out, remaining, new ObjectKey(ns, name), sandbox.getMetadata().getUid(), id, init != null, stillAuthorized);
                }
            } finally {
                ex.close();
            }
        } finally {
            log.close();
        }
    }

    /**
     * Streams new output until {@code remaining} bytes are sent, the client goes away (seen at the next write), the
     * token is revoked, or the sandbox is deleted, replaced or stops (what it wrote until then is sent first).
     */
    private void follow(LogFiles.Follower follower, OutputStream out, long remaining, ObjectKey key, String uid, String id, boolean init,
                        BooleanSupplier stillAuthorized) throws IOException {
        long nextCheck = System.nanoTime() + CHECK_MILLIS * 1_000_000;
        try {
            while (remaining > 0) {
                long n = follower.poll(out, remaining);
                remaining -= n;
                if (n > 0) out.flush();
                if (System.nanoTime() - nextCheck >= 0) {
                    nextCheck = System.nanoTime() + CHECK_MILLIS * 1_000_000;
                    if (!stillAuthorized.getAsBoolean()) return; // plain text has no place for an error: the stream ends
                    if (init ? initEnded(key, uid, id) : ended(key, uid, id)) {
                        if (remaining > 0 && follower.poll(out, remaining) > 0) out.flush(); // its last words
                        return;
                    }
                }
                if (n == 0) Thread.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // agentboxd is stopping
        }
    }

    /** True when the Sandbox is gone (or is another incarnation) or does not run: its main process will write no more. */
    private boolean ended(ObjectKey key, String uid, String id) {
        Optional<Sandbox> now = store.get(Sandbox.class, key.namespace(), key.name());
        if (now.isEmpty() || !uid.equals(now.get().getMetadata().getUid())) return true;
        RunningSandbox running = live.get(key).orElse(null);
        if (running != null && running.id().equals(id)) {
            if (!running.isAlive()) return true;
            RunningSandbox.MainProcessState main = running.mainProcess();
            return main != null && !main.running() && main.exitCode() != null;
        }
        // not running here: starting, restarting or being re-attached goes on; a stopped sandbox is the end
        Condition ready = Conditions.get(now.get().getStatus(), Conditions.READY).orElse(null);
        return ready != null && Conditions.FALSE.equals(ready.getStatus()) && STOPPED.contains(String.valueOf(ready.getReason()));
    }

    /** An init container's output ends when the sandbox has started (it ran) or stopped. */
    private boolean initEnded(ObjectKey key, String uid, String id) {
        return live.get(key).filter(r -> r.id().equals(id)).isPresent() || ended(key, uid, id);
    }

    /**
     * A pod's log names its container: containers[0] (the main process, null here) or one of its init containers
     * (its name); another name is a 400 listing them.
     */
    private static String initContainer(Sandbox sandbox, String container) {
        if (container == null) return null;
        var pod = sandbox.getSpec() == null || sandbox.getSpec().getPodTemplate() == null ? null : sandbox.getSpec().getPodTemplate().getSpec();
        List<Container> containers = pod == null || pod.getContainers() == null ? List.of() : pod.getContainers();
        List<Container> inits = pod == null || pod.getInitContainers() == null ? List.of() : pod.getInitContainers();
        if (!containers.isEmpty() && container.equals(containers.get(0).getName())) return null;
        for (Container c : inits) if (container.equals(c.getName())) return c.getName();
        List<String> names = new java.util.ArrayList<>();
        if (!containers.isEmpty() && containers.get(0).getName() != null) names.add(containers.get(0).getName());
        for (Container c : inits) names.add(c.getName() + " (init)");
        throw new HttpIO.BadRequest("container=" + container + ": sandbox " + sandbox.getMetadata().getName() + " has no such container"
                + (names.isEmpty() ? "" : "; its containers: " + String.join(", ", names)) + "; leave container out for the main one");
    }

    private static SandboxFailedException cannotRead(String ns, String name, IOException e) {
        return new SandboxFailedException("cannot read the log of sandbox " + ns + "/" + name + ": " + e.getMessage() + "; see the agentboxd log");
    }
}
