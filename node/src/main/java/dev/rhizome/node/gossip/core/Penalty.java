package dev.rhizome.node.gossip.core;

/** Misbehaviours and what each costs the peer's score (Radicle's scale: disconnect at -32, ban at -64). */
enum Penalty {
    BAD_SIGNATURE(-8),
    /** A valid signature by someone other than the node the record names, or an Inventory relayed for someone else. */
    FORGED_SIGNER(-8),
    /**
     * A good signature on a record made for another network (its node belongs there, or someone
     * replays its record here): refused, and not scored, since its signer forged nothing; the link
     * of a peer whose own records are another network's is of no use and is closed.
     */
    OTHER_NETWORK(0),
    /**
     * A record outside the time window: refused and not scored. An honest node whose clock runs
     * more than the skew allowed ahead or behind dates every record of its own outside it, and
     * scoring each banned it (-2 a record); a replay of the peer's own old records after the seen
     * cache forgot them gains it nothing and is bounded by the link's token bucket. The peer's own
     * record refused so is reported ({@link Effect.ClockSkew}); another node's relayed is dropped.
     */
    STALE(0),
    RATE_LIMITED(-1),
    MALFORMED_MESSAGE(-8),
    MALFORMED_FRAME(-8),
    OVERSIZED_FRAME(-32),
    UNEXPECTED_MESSAGE(-4),
    WRONG_BUNDLE(-16),
    OVERSIZED_BUNDLE(-16),
    /** Quadrupled for each further stall without a delivery in between, see {@link PeerScores}. */
    STALLED(-4),
    NOT_FOUND(0),
    TOO_LARGE(0),
    /** "Not found" for a commit the peer itself announced to us: a false claim that took a fetch slot. */
    FALSE_CLAIM(-4),
    CONNECTION_LOST(0),
    DECLINED(0);

    final double weight;

    Penalty(double weight) {
        this.weight = weight;
    }

    static Penalty of(Violation violation) {
        return switch (violation) {
            case MALFORMED_FRAME -> MALFORMED_FRAME;
            case OVERSIZED_FRAME -> OVERSIZED_FRAME;
            case UNEXPECTED_MESSAGE -> UNEXPECTED_MESSAGE;
            case FAILED_MESSAGE -> MALFORMED_MESSAGE;
        };
    }

    static Penalty of(FetchFailure failure) {
        return switch (failure) {
            case NOT_FOUND -> NOT_FOUND;
            case STALLED -> STALLED;
            case WRONG_BUNDLE -> WRONG_BUNDLE;
            case OVERSIZED -> OVERSIZED_BUNDLE;
            case TOO_LARGE -> TOO_LARGE;
            case CONNECTION_LOST -> CONNECTION_LOST;
            case DECLINED, DECLINED_LATE, UNREACHABLE, SLOW -> DECLINED;
        };
    }
}
