package dev.agentbox.server.controller;

import java.time.Duration;

/** What a reconcile asks for next: nothing until the next event, or another look after a delay. */
public sealed interface Result {
    Result DONE = new Done();

    static Result requeueAfter(Duration delay) {
        return new RequeueAfter(delay);
    }

    record Done() implements Result {}

    record RequeueAfter(Duration delay) implements Result {}
}
