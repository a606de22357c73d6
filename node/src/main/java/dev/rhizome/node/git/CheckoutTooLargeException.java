package dev.rhizome.node.git;

import java.io.IOException;

/** A commit whose files would take more of this node's disk than it may give a job; nothing was written. */
public final class CheckoutTooLargeException extends IOException {
    public CheckoutTooLargeException(String message) {
        super(message);
    }
}
