/**
 * {@code extensions.agents.x-k8s.io/v1beta1}: SandboxTemplate, SandboxClaim and SandboxWarmPool of
 * kubernetes-sigs/agent-sandbox, with upstream field names, defaults and enum strings.
 */
package dev.agentbox.api.extensions.v1beta1;
