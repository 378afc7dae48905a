package dev.agentbox.server.controller;

/** A level-based controller: reads desired and actual state for one key and converges them. */
public interface Controller {
    String name();

    Result reconcile(ObjectKey key) throws Exception;
}
