package dev.rhizome.protocol.seed;

/** A seed manifest that can't be used, with what is wrong in it. */
public final class ManifestException extends Exception {
    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
