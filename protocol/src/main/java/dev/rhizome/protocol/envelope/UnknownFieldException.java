package dev.rhizome.protocol.envelope;

/** A signed envelope, or the record in it, carries fields this build's schema does not know. */
public final class UnknownFieldException extends Exception {
    public UnknownFieldException(String message) {
        super(message);
    }
}
