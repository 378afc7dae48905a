package dev.agentbox.runtime;

/** An init container failed (non-zero exit, timeout, or it could not start): the sandbox did not start. */
public final class InitContainerFailure extends RuntimeFailure {
    private final String container;
    private final int exitCode;
    private final String outputTail;

    /** @param exitCode -1: it did not start */
    public InitContainerFailure(String container, int exitCode, String why, String outputTail) {
        super(Kind.FAILED, "init container " + container + " " + why + (outputTail.isBlank() ? "" : "; its last output: " + outputTail.strip()));
        this.container = container;
        this.exitCode = exitCode;
        this.outputTail = outputTail;
    }

    public String container() {
        return container;
    }

    public int exitCode() {
        return exitCode;
    }

    public String outputTail() {
        return outputTail;
    }
}
