package dev.rhizome.node.gossip.core;

/** Wire-level misbehaviour the adapter detects before a message reaches the core, or as the core steps on it. */
public enum Violation {
    MALFORMED_FRAME, OVERSIZED_FRAME, UNEXPECTED_MESSAGE,
    /** A well-framed gossip message whose step threw: one the core did not expect, scored as malformed. */
    FAILED_MESSAGE
}
