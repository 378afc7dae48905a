package dev.agentbox.client;

/** A persistent interpreter in a sandbox ({@link Code#createContext}): snippets run in it share its variables. */
public record CodeContext(String id, String language) {}
