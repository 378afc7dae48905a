/** {@code agents.x-k8s.io/v1beta1}: the Sandbox kind of kubernetes-sigs/agent-sandbox, with upstream field names. */
package dev.agentbox.api.agents.v1beta1;
