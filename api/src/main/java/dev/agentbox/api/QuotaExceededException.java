package dev.agentbox.api;

/**
 * The request would take a namespace or the daemon past one of its quotas. HTTP 403 with reason Forbidden and a
 * message starting {@code exceeded quota: }, as Kubernetes' ResourceQuota; the message names the quota, its use and
 * limit, and how to free or raise it.
 */
public class QuotaExceededException extends ForbiddenException {
    public QuotaExceededException(String message) {
        super(message.startsWith("exceeded quota: ") ? message : "exceeded quota: " + message);
    }
}
