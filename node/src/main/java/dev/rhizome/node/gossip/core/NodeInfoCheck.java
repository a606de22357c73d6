package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.AnnouncementCheck.Outcome;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;

/** The checks of a NodeInfo a peer hands over directly (its hello, a peer exchange), each signature verified once. */
final class NodeInfoCheck {
    private final Peers peers;
    private final AnnouncementCheck check;

    NodeInfoCheck(AnnouncementCheck check, Peers peers) {
        this.peers = peers;
        this.check = check;
    }

    /**
     * A hello's NodeInfo: the one the link handshake verified ({@code verified}, may be null) is not
     * verified a second time on a first connection (the size, signer and time window are).
     */
    Outcome hello(SignedEnvelope peerInfo, Verified<NodeInfo> verified, long now) {
        return verified != null && peers.table().heldRecord(peerInfo) == null ? check.nodeInfo(verified, now)
                : checkNodeInfo(peerInfo, now);
    }

    /**
     * A NodeInfo from a hello or a peer exchange. The very record this node verified and keeps in
     * its table (exchanges bring the same records back every 30 s, a reconnecting peer the same
     * hello) is not verified again: each signature is still checked once by this node.
     */
    Outcome checkNodeInfo(SignedEnvelope record, long now) {
        NodeInfo held = peers.table().heldRecord(record);
        return held != null ? Outcome.accept(AnnouncementCheck.Kind.NODE_INFO, held) : check.nodeInfo(record, now);
    }

    /**
     * Another node's record, relayed in a peer exchange, dated before the one this node verified and
     * holds for its signer: the table keeps the newer one, so the older is dropped unread, and
     * unverified. Each node re-signs its record every minute and neighbours hand on whichever
     * version they hold, so most records an exchange brings are either the held one (not verified
     * again, {@link #checkNodeInfo}) or an older one: checking those cost an Ed25519 verification
     * each and proved nothing, whether honest (a neighbour a version behind) or replayed by a rogue.
     * A record of the same date that differs in any byte is still verified (and penalised if forged).
     */
    boolean supersededBeforeVerifying(SignedEnvelope record, PublicId from) {
        return !record.getSigner().equals(from.toByteString()) && peers.table().holdsNewerThan(record);
    }

    /** How far the clock of the node whose hello the handshake verified reads ahead of ours (0 with no handshake). */
    long provenClockAheadMs(Verified<NodeInfo> verified, long now) {
        return check.provenClockAheadMs(verified, now);
    }

    boolean pastTheSkew(long clockAheadMs) {
        return check.pastTheSkew(clockAheadMs);
    }

    /**
     * A record signed by someone other than {@code from}, with a valid signature, refused only for
     * its date: {@code from} relayed it as it got it, and an honest relayer accepted it by its own
     * clock, which may differ from ours by the skew allowed (and the signer's by as much again). The
     * relayer pays nothing; the record is dropped. A peer that replays old signed records instead
     * gets nothing relayed for them and spends its own rate budget (each still costs this node one
     * signature check, bounded by the link's token bucket).
     */
    static boolean relayedOutOfWindow(Outcome outcome, SignedEnvelope envelope, PublicId from) {
        return !outcome.accepted() && outcome.penalty() == Penalty.STALE && !envelope.getSigner().equals(from.toByteString());
    }

    /**
     * {@code from}'s own record, with a valid signature, refused only for its date: one of the two
     * clocks is off by more than the skew allowed. Dropped, reported ({@link Effect.ClockSkew}) and
     * not scored; the rest of a peer exchange carrying it is still read.
     */
    static boolean ownOutOfWindow(Outcome outcome, SignedEnvelope envelope, PublicId from) {
        return !outcome.accepted() && outcome.penalty() == Penalty.STALE && envelope.getSigner().equals(from.toByteString());
    }

    /**
     * {@code peer}'s hello NodeInfo, refused only for its date, whose signer the link handshake
     * proved fresh by its signature over our nonce ({@code verified}): a skewed but honest node.
     * Its link is admitted on that proof; the record is not kept in the peer table or relayed, since
     * its date is what every other check relies on. It is remembered for a restart: peers.bin is read
     * back unsigned, so it is dialled but never handed on, and any signed record of the peer replaces it.
     */
    static boolean provenOutOfWindow(Outcome outcome, SignedEnvelope envelope, Verified<NodeInfo> verified, PublicId peer) {
        return verified != null && verified.envelope().equals(envelope) && verified.signer().equals(peer)
                && ownOutOfWindow(outcome, envelope, peer);
    }
}
