package dev.agentbox.api;

/** Well-known label and annotation keys: upstream agent-sandbox and GKE Pod Snapshot keys, and agentbox's own prefix. */
public final class Names {
    /** Prefix of agentbox's own labels and annotations (extensions beyond upstream). */
    public static final String AGENTBOX_PREFIX = "agentbox.dev/";

    /** Label on a sandbox's pod (and the Sandbox's status.selector): FNV-1a hash of the Sandbox name, see {@link Hashing#nameHash}. */
    public static final String SANDBOX_NAME_HASH_LABEL = "agents.x-k8s.io/sandbox-name-hash";
    /** Label on an unclaimed warm-pool Sandbox: which pool it belongs to. */
    public static final String WARM_POOL_SANDBOX_LABEL = "agents.x-k8s.io/warm-pool-sandbox";
    /** Label on a claimed sandbox: the uid of the claim that owns it. */
    public static final String CLAIM_UID_LABEL = "agents.x-k8s.io/claim-uid";
    /** Label: whether a Sandbox was cold-created or came from a warm pool. */
    public static final String LAUNCH_TYPE_LABEL = "agents.x-k8s.io/launch-type";
    public static final String LAUNCH_TYPE_WARM = "warm";
    public static final String LAUNCH_TYPE_COLD = "cold";
    /** Label: which component created the resource. */
    public static final String CREATED_BY_LABEL = "agents.x-k8s.io/created-by";
    /** Label: hash of the pod template a Sandbox was made from, see {@link Hashing#blueprintHash}. */
    public static final String SANDBOX_TEMPLATE_HASH_LABEL = "agents.x-k8s.io/sandbox-pod-template-hash";
    /** Label: hash of the SandboxTemplate's name (selects a template's sandboxes, e.g. for its network policy). */
    public static final String SANDBOX_TEMPLATE_REF_HASH_LABEL = "agents.x-k8s.io/sandbox-template-ref-hash";
    /** Annotation on a Sandbox: the name of the SandboxTemplate it came from. */
    public static final String SANDBOX_TEMPLATE_REF_ANNOTATION = "agents.x-k8s.io/sandbox-template-ref";
    /** Annotation on a claim: the name of the Sandbox it is bound to. */
    public static final String ASSIGNED_SANDBOX_NAME_ANNOTATION = "agents.x-k8s.io/sandbox-name";
    /** Annotation on a Sandbox: the pod it adopted (upstream). */
    public static final String POD_NAME_ANNOTATION = "agents.x-k8s.io/pod-name";
    /** Label authorizing a Sandbox to adopt an existing unowned resource (upstream). */
    public static final String ADOPTABLE_LABEL = "agents.x-k8s.io/adoptable";
    public static final String PROPAGATED_LABELS_ANNOTATION = "agents.x-k8s.io/propagated-labels";
    public static final String PROPAGATED_ANNOTATIONS_ANNOTATION = "agents.x-k8s.io/propagated-annotations";

    /** Annotation on a pod (a Sandbox's pod template or a claim's additionalPodMetadata): restore from this PodSnapshot. */
    public static final String PS_NAME_ANNOTATION = "podsnapshot.gke.io/ps-name";

    /** Annotation on a PodSnapshot (GKE): the pod it was taken from. */
    public static final String ORIGIN_POD_ANNOTATION = "podsnapshot.gke.io/origin-pod";

    /** agentbox: the Sandbox a PodSnapshot was taken from. */
    public static final String SOURCE_SANDBOX_LABEL = AGENTBOX_PREFIX + "source-sandbox";

    private Names() {
    }
}
