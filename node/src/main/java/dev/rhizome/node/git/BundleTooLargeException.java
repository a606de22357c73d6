package dev.rhizome.node.git;

/**
 * A bundle refused for a bound of this node's (what its pack would inflate to, its object count),
 * not for a lie: every honest holder of that commit would send the same, so its sender is not to
 * blame (as for a bundle whose announced size is over the limit).
 */
public final class BundleTooLargeException extends BundleException {
    public BundleTooLargeException(String message) {
        super(message);
    }
}
