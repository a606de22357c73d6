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

    /** An answer that says "not from me, not now": no fault, ask another holder. */
    public enum Declined {
        /** The holder is at its upload limit (Error.UNAVAILABLE). */
        BUSY,
        /** The holder cannot make the bundle of the SHA-256 named in a range request (Error.CONFLICT). */
        OTHER_BUNDLE
    }

    private final Kind kind;
    private final Declined declined;

    PeerFailure(Kind kind, String message) {
        this(kind, null, message);
    }

    private PeerFailure(Kind kind, Declined declined, String message) {
        super(message);
        this.kind = kind;
        this.declined = declined;
    }

    /** A holder declined the request; its kind is {@link Kind#CONNECTION_LOST}, which costs a peer nothing. */
    static PeerFailure declined(Declined why, String message) {
        return new PeerFailure(Kind.CONNECTION_LOST, why, message);
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the holder declined (busy, or without that exact bundle) rather than failed; null if not. */
    public Declined declined() {
        return declined;
    }

    /** A drop or a stall mid-transfer: worth asking the same peer to resume. */
    boolean resumable() {
        return declined == null && (kind == Kind.CONNECTION_LOST || kind == Kind.STALLED);
    }
}
