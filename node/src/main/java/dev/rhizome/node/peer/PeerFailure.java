package dev.rhizome.node.peer;

/** What one peer did wrong (or could not do) during one transfer; the fetcher moves on to the next. */
final class PeerFailure extends Exception {
    PeerFailure(String message) {
        super(message);
    }
}
