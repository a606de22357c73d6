package dev.rhizome.node.peer;

/**
 * What one peer did wrong (or could not do) during one transfer; the fetcher moves on to the next.
 * The kind lets a caller that scores peers tell a lie from bad luck.
 */
public final class PeerFailure extends Exception {
    public enum Kind {
        /** The peer says it does not hold the commit. */
        NOT_FOUND,
        /** Nothing arrived for the idle timeout. */
        STALLED,
        /** The connection failed or dropped: no fault proven. */
        CONNECTION_LOST,
        /** Over the size limit, announced or sent. */
        OVERSIZED,
        /** Wrong tip, bad digest, a bundle that does not import, or a wire protocol breach. */
        BAD_BUNDLE,
        /** Our side could not store the bundle: not the peer's fault. */
        LOCAL,
        /** The caller gave up on this transfer. */
        CANCELLED
    }

    private final Kind kind;

    PeerFailure(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** A drop or a stall mid-transfer: worth asking the same peer to resume. */
    boolean resumable() {
        return kind == Kind.CONNECTION_LOST || kind == Kind.STALLED;
    }
}
