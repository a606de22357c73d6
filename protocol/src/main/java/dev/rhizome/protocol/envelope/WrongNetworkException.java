package dev.rhizome.protocol.envelope;

/**
 * A record whose signature checks out was signed for another network than the one it was sent to,
 * or names none (envelope version 1): a capture replayed here, not a forgery of its signer.
 */
public final class WrongNetworkException extends Exception {
    public WrongNetworkException(String message) {
        super(message);
    }
}
