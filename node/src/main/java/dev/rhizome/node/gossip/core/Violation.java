package dev.rhizome.node.gossip.core;

/** Wire-level misbehaviour the adapter detects before a message reaches the core. */
public enum Violation {
    MALFORMED_FRAME, OVERSIZED_FRAME, UNEXPECTED_MESSAGE
}
