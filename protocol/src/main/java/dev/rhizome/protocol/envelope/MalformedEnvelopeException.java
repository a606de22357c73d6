package dev.rhizome.protocol.envelope;

/**
 * An envelope refused before any signature was checked: no version or one not known, a network
 * missing or not allowed, another record type than the one expected, a signer or signature of the
 * wrong length. A malformed request, not evidence of a forgery: a coordinator answers it 400 and
 * does not count it among rejected signatures ({@code {}} posted to a signed route was one).
 */
public final class MalformedEnvelopeException extends SignatureException {
    public MalformedEnvelopeException(String message) {
        super(message);
    }
}
