/** Implementation helpers of the api module; not a public API. */
package dev.agentbox.api.internal;
