package dev.rhizome.node.git;

/** A bundle that was refused before it could change the repository; the message says why. */
public class BundleException extends Exception {
    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
