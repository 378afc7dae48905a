/**
 * agentbox's resource model: the typed errors, the YAML/JSON codec ({@link dev.agentbox.api.Resources}),
 * validation with field paths ({@link dev.agentbox.api.Validation}), the served kinds
 * ({@link dev.agentbox.api.ResourceKinds}), condition helpers ({@link dev.agentbox.api.Conditions}),
 * well-known labels ({@link dev.agentbox.api.Names}) and hashes ({@link dev.agentbox.api.Hashing}).
 * No I/O.
 */
package dev.agentbox.api;
