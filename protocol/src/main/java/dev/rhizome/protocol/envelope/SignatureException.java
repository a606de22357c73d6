package dev.rhizome.protocol.envelope;

/**
 * A signed envelope failed verification: bad signature, wrong signer, wrong type or bad payload.
 * {@link MalformedEnvelopeException}, a subclass, is the envelope that is not one to check at all.
 */
public class SignatureException extends Exception {
    public SignatureException(String message) {
        super(message);
    }

    public SignatureException(String message, Throwable cause) {
        super(message, cause);
    }
}
