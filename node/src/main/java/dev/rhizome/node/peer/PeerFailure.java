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
        /** More bytes than the peer announced or was asked for, or a frame over the wire's limit: a breach. */
        OVERSIZED,
        /**
         * The peer announced a bundle larger than this node takes: a true answer about a real bundle,
         * so no fault (this node's limit is its own, and every honest holder would answer the same).
         */
        TOO_LARGE,
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
        /**
         * The holder said BUSY after sending most of the bytes asked on that connection
         * ({@code gossip.core.LateDecline}): no fault, but it rests at once. Its bytes are kept to resume from.
         */
        ENDED_LATE,
        /** The holder cannot make the bundle of the SHA-256 named in a range request (Error.CONFLICT). */
        OTHER_BUNDLE,
        /**
         * The holder could not serve for its own trouble (Error.INTERNAL: its disk, its repository) or
         * does not take this request (Error.UNSUPPORTED: an older version): proves no lie. These
         * were scored as a wrong bundle (-16), so an honest holder with a full disk was banned.
         */
        UNABLE,
        /**
         * The answer came before the server proved the key of the holder we asked (a hello naming
         * another node, one with no nonce from an older version, a proof that does not verify, or
         * anything sent before it): whoever answers at a holder's address can send that, so nothing
         * in it is held against the holder.
         */
        UNPROVEN,
        /**
         * The holder's address took no connection (refused, or the connect timed out): nothing was
         * asked, so nothing is proven, but a holder unreachable ask after ask is asked less, as one
         * that declines is (the gossip core's rest). A lost connection before, retried three times a
         * commit: a rogue announcing 40,000 made-up commits from an address that takes no connection,
         * under two keys, held all 4 fetch slots on them and an honest bundle waited 55 s on loopback
         * (hours where each connect times out).
         */
        UNREACHABLE
    }

    private final Kind kind;
    private final Declined declined;
    private final boolean trickled;
    /**
     * For a stall: when the transfer fell under the rule's minimum, on the monotonic clock, stamped
     * where the rule observed it ({@link Long#MIN_VALUE}: not a stall). A span read later would date
     * the silence from when its verdict reached the reader: a verdict queued behind a busy fetch
     * thread read as a later silence than the one charged, and was charged again.
     */
    private final long silentSinceNanos;
    /** With a BUSY: when the holder said it expects room again, ms from its answer (0: it said nothing). */
    private final long retryAfterMs;

    PeerFailure(Kind kind, String message) {
        this(kind, null, false, 0, message);
    }

    private PeerFailure(Kind kind, Declined declined, boolean trickled, long silentForMs, String message) {
        this(kind, declined, trickled, silentForMs, 0, message);
    }

    private PeerFailure(Kind kind, Declined declined, boolean trickled, long silentForMs, long retryAfterMs, String message) {
        super(message);
        this.retryAfterMs = Math.max(0, retryAfterMs);
        this.kind = kind;
        this.declined = declined;
        this.trickled = trickled;
        this.silentSinceNanos = kind == Kind.STALLED ? System.nanoTime() - silentForMs * 1_000_000 : Long.MIN_VALUE;
    }

    /**
     * A stall: nothing (or too little) arrived for the {@code silentForMs} the rule judged. The span
     * lets a scorer tell one pause of a holder from several: stalls of its transfers whose silences
     * overlap are one silence ({@code gossip.core.PeerScores#sameSilence}).
     *
     * <p>{@code trickled}: judged by the minimum-progress rule on a connection that was alive (frames
     * arrived, too few bytes): the holder's pace, not the path, was judged, so the same holder is not
     * asked to resume ({@link #resumable()}); its verified bytes are still kept for the next holder.
     * Resumed, a holder trickling a byte a second held a whole fetch for four times the rule's bound.
     */
    static PeerFailure stalled(String message, long silentForMs, boolean trickled) {
        return new PeerFailure(Kind.STALLED, null, trickled, Math.max(0, silentForMs), message);
    }

    /** A holder declined the request; its kind is {@link Kind#CONNECTION_LOST}, which costs a peer nothing. */
    static PeerFailure declined(Declined why, String message) {
        return new PeerFailure(Kind.CONNECTION_LOST, why, false, 0, message);
    }

    /**
     * A holder declined with BUSY and a hint of when it expects room again ({@code Error.retry_after_ms},
     * 0: none): still a decline, costing it nothing; the hint is the holder's word, which the asker bounds.
     */
    static PeerFailure busy(Declined why, String message, long retryAfterMs) {
        return new PeerFailure(Kind.CONNECTION_LOST, why, false, 0, retryAfterMs, message);
    }

    /** The wait a BUSY asked for, in ms from its answer (0: none, or not a BUSY). */
    public long retryAfterMs() {
        return retryAfterMs;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * For a stall, how long the transfer has been silent (under the rule's minimum) as of now: the
     * span judged, plus the time since it was judged, so a reader converting it to a time on its own
     * clock gets when the silence began, however late it reads; 0 for any other failure.
     */
    public long silentForMs() {
        return silentForMs(System.nanoTime());
    }

    /** As {@link #silentForMs()}, as of {@code nowNanos} on {@link System#nanoTime()}'s clock. */
    long silentForMs(long nowNanos) {
        return silentSinceNanos == Long.MIN_VALUE ? 0 : Math.max(0, (nowNanos - silentSinceNanos) / 1_000_000);
    }

    /**
     * Whether this stall was judged on a live connection: bundle bytes arrived in the rule's window,
     * too few. The holder was slow, not silent (a gossip scorer does not charge it as a stall).
     */
    public boolean trickled() {
        return trickled;
    }

    /** Whether the holder declined (busy, or without that exact bundle) rather than failed; null if not. */
    public Declined declined() {
        return declined;
    }

    /**
     * Whether this says nothing about the peer: it declined, the connection dropped, or our side
     * failed or gave up. The rest is told to the scorer, which also knows what costs nothing
     * (a true "not found", a bundle too large for us) but must hear it to stop asking that peer.
     */
    public boolean blameless() {
        return declined != null || kind == Kind.CONNECTION_LOST || kind == Kind.LOCAL || kind == Kind.CANCELLED;
    }

    /**
     * A drop or a silent stall mid-transfer (a dead path looks the same): worth asking the same peer
     * to resume. Not a stall on a live connection ({@link #trickled}).
     */
    boolean resumable() {
        return declined == null && (kind == Kind.CONNECTION_LOST || kind == Kind.STALLED && !trickled);
    }
}
