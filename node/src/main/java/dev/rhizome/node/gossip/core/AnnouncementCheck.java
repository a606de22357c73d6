package dev.rhizome.node.gossip.core;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.MalformedEnvelopeException;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Decides whether a signed announcement may be acted on: signature, signer bound to the record,
 * time window and limits. Nothing here changes state.
 */
final class AnnouncementCheck {

    enum Kind { NODE_INFO, INVENTORY, RESULT }

    /**
     * Either {@code record} is set (accepted), or {@code penalty} with {@code reason} (refused), or
     * neither (ignored). {@code onSendersClock}: accepted only as dated by its signer's clock as the
     * signer's own proven link measured it, so for this node alone (never relayed or handed on).
     */
    record Outcome(Kind kind, Message record, Penalty penalty, String reason, boolean onSendersClock) {
        Outcome(Kind kind, Message record, Penalty penalty, String reason) {
            this(kind, record, penalty, reason, false);
        }

        boolean accepted() {
            return record != null;
        }

        static Outcome accept(Kind kind, Message record) {
            return new Outcome(kind, record, null, null);
        }

        static Outcome refuse(Penalty penalty, String reason) {
            return new Outcome(null, null, penalty, reason);
        }

        static Outcome ignore(String reason) {
            return new Outcome(null, null, null, reason);
        }
    }

    /** Keepers one Inventory may name. */
    static final int MAX_KEEPERS = 16;
    private static final String NODE_INFO = NodeInfo.getDescriptor().getFullName();
    private static final String INVENTORY = Inventory.getDescriptor().getFullName();
    private static final String RESULT = Result.getDescriptor().getFullName();

    private final GossipConfig config;
    private final SignatureCheck signatures;
    private final GossipNetwork network;
    /** Records' times are judged by the wall clock (they travel between nodes), not by the core's timers' clock. */
    private final CoreClock clock;

    AnnouncementCheck(GossipConfig config, SignatureCheck signatures) {
        this(config, signatures, GossipNetwork.unnamed(), new CoreClock());
    }

    AnnouncementCheck(GossipConfig config, SignatureCheck signatures, GossipNetwork network, CoreClock clock) {
        this.clock = clock;
        this.config = config;
        this.signatures = signatures;
        this.network = network;
    }

    /** An announcement pushed to us by {@code from}. */
    Outcome announcement(SignedEnvelope envelope, PublicId from, long nowMs) {
        return announcement(envelope, from, nowMs, 0);
    }

    /**
     * An announcement pushed to us by {@code from}, whose clock its link's handshake measured
     * {@code fromClockAheadMs} ahead of ours ({@link #provenClockAheadMs}).
     */
    Outcome announcement(SignedEnvelope envelope, PublicId from, long nowMs, long fromClockAheadMs) {
        Outcome misshapen = misshapen(envelope);
        if (misshapen != null) {
            return misshapen;
        }
        Outcome misdirected = misdirected(envelope, from);
        if (misdirected != null) {
            return misdirected;
        }
        String type = envelope.getType();
        if (type.equals(INVENTORY)) {
            return inventory(envelope, nowMs, fromClockAheadMs);
        }
        if (!envelope.getSigner().equals(from.toByteString())) {
            Outcome stale = staleBeforeVerifying(envelope, nowMs, true);
            if (stale != null) {
                return stale;
            }
        }
        long ownClockAheadMs = envelope.getSigner().equals(from.toByteString()) ? fromClockAheadMs : 0;
        if (type.equals(NODE_INFO)) {
            Outcome o = open(envelope, NodeInfo.getDefaultInstance(), NodeInfo::getNode, Kind.NODE_INFO);
            return o.accepted() ? dated(o, ((NodeInfo) o.record()).getTimeMs(), nowMs, ownClockAheadMs) : o;
        }
        if (type.equals(RESULT)) {
            Outcome o = open(envelope, Result.getDefaultInstance(), Result::getRunner, Kind.RESULT);
            return o.accepted() ? dated(o, ((Result) o.record()).getTimeMs(), nowMs, ownClockAheadMs) : o;
        }
        throw new IllegalStateException("misshapen() lets through the known types only");
    }

    /**
     * What an announcement's envelope says of itself, read before anything is computed over its
     * bytes (the seen cache's digest, a signature): a type this version does not know (from a newer
     * peer: dropped, free) or a size past its kind's bound (malformed). Null when neither. The seen
     * cache hashed up to a frame's worth (1 MiB) of any announcement before these checks.
     */
    Outcome misshapen(SignedEnvelope envelope) {
        String type = envelope.getType();
        if (!type.equals(INVENTORY) && !type.equals(NODE_INFO) && !type.equals(RESULT)) {
            return Outcome.ignore("unknown announcement type " + type);
        }
        String tooLarge = RecordLimits.tooLarge(envelope, config);
        return tooLarge == null ? null : Outcome.refuse(Penalty.MALFORMED_MESSAGE, tooLarge);
    }

    /**
     * An announcement {@code from} may not pass on whoever signed it, judged on who signed it
     * before anything is computed over its bytes: an Inventory of another node (Inventories are
     * never relayed, so one naming someone other than the sender is a lie about who holds what).
     * Null when it may. Such a copy is refused for who passed it, not for what it is, so it must
     * not stand for the record itself in the seen cache: a rogue linked to an honest node hears
     * its Inventories and could pass each on first, and the honest node's own copy was then
     * dropped as already seen (its announcements and its withdrawals censored, and a "not found"
     * it had excused by withdrawing scored a false claim).
     */
    Outcome misdirected(SignedEnvelope envelope, PublicId from) {
        if (envelope.getType().equals(INVENTORY) && !envelope.getSigner().equals(from.toByteString())) {
            return Outcome.refuse(Penalty.FORGED_SIGNER, "inventory of another node relayed by " + from.shortForm());
        }
        return null;
    }

    /**
     * A NodeInfo learnt outside the announcement flood (the Hello, peer exchange): it can be old,
     * since an address stays useful for long, but not from the future.
     */
    Outcome nodeInfo(SignedEnvelope envelope, long nowMs) {
        String tooLarge = RecordLimits.nodeInfoTooLarge(envelope);
        if (tooLarge != null) {
            return Outcome.refuse(Penalty.MALFORMED_MESSAGE, tooLarge);
        }
        Outcome o = open(envelope, NodeInfo.getDefaultInstance(), NodeInfo::getNode, Kind.NODE_INFO);
        return o.accepted() ? window(o, ((NodeInfo) o.record()).getTimeMs(), nowMs, false) : o;
    }

    /**
     * A NodeInfo or Result of another node dated outside the window, read from its payload before
     * its signature is checked (null when it is inside, or is of another kind, or does not parse):
     * such a record is dropped at no cost to the peer that passed it on whatever its signature
     * says, so checking it first cost an Ed25519 verification per replayed record and proved
     * nothing. A peer could replay others' old records (captured once, never expiring) as fast as
     * its token bucket allows, each costing this node a verification.
     */
    Outcome staleBeforeVerifying(SignedEnvelope envelope, long nowMs, boolean mustBeRecent) {
        long timeMs;
        Kind kind;
        try {
            if (envelope.getType().equals(NODE_INFO)) {
                timeMs = NodeInfo.parseFrom(envelope.getPayload()).getTimeMs();
                kind = Kind.NODE_INFO;
            } else if (envelope.getType().equals(RESULT)) {
                timeMs = Result.parseFrom(envelope.getPayload()).getTimeMs();
                kind = Kind.RESULT;
            } else {
                return null;
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return null; // the signature check says what is wrong with it
        }
        Outcome dated = window(new Outcome(kind, null, null, null), timeMs, nowMs, mustBeRecent);
        return dated.penalty() != null ? dated : null;
    }

    /**
     * {@link #nodeInfo} for a record whose signature the link handshake verified: every other check
     * (size, the signer named, the time window) is made again, the signature is not.
     */
    Outcome nodeInfo(Verified<NodeInfo> verified, long nowMs) {
        SignedEnvelope envelope = verified.envelope();
        String tooLarge = RecordLimits.nodeInfoTooLarge(envelope);
        if (tooLarge != null) {
            return Outcome.refuse(Penalty.MALFORMED_MESSAGE, tooLarge);
        }
        if (!verified.record().getNode().equals(envelope.getSigner()) || !verified.signer().toByteString().equals(envelope.getSigner())) {
            return Outcome.refuse(Penalty.FORGED_SIGNER, Kind.NODE_INFO + " signed by " + verified.signer().shortForm()
                    + " names another node");
        }
        Outcome elsewhere = otherNetwork(envelope, Kind.NODE_INFO);
        if (elsewhere != null) {
            return elsewhere;
        }
        return window(Outcome.accept(Kind.NODE_INFO, verified.record()), verified.record().getTimeMs(), nowMs, false);
    }

    /**
     * How far the clock of the node whose hello the link handshake verified ({@code verified}) reads
     * ahead of ours (negative: behind); 0 with no handshake behind the hello. The hello is re-signed
     * every minute, so this is its clock less up to a minute, well inside the window's slack.
     */
    long provenClockAheadMs(Verified<NodeInfo> verified, long coreNowMs) {
        return verified == null ? 0 : verified.record().getTimeMs() - clock.wallMs(coreNowMs);
    }

    /** How far a record dated {@code timeMs} reads ahead of our wall clock now (negative: behind). */
    long clockAheadMs(long timeMs, long coreNowMs) {
        return timeMs - clock.wallMs(coreNowMs);
    }

    /** Whether a peer's clock measured {@code clockAheadMs} ahead of ours is off by more than the skew allowed. */
    boolean pastTheSkew(long clockAheadMs) {
        return Math.abs(clockAheadMs) > config.maxClockSkew().toMillis();
    }

    /**
     * An Inventory its signer sent ({@link #misdirected} passed), dated inside the window by our
     * clock or by the signer's as its link's handshake measured it ({@link #dated}).
     */
    private Outcome inventory(SignedEnvelope envelope, long nowMs, long fromClockAheadMs) {
        Outcome o = open(envelope, Inventory.getDefaultInstance(), Inventory::getNode, Kind.INVENTORY);
        if (!o.accepted()) {
            return o;
        }
        Inventory inventory = (Inventory) o.record();
        // Held, given up and released together: an Inventory of withdrawals alone (no held commit) is valid.
        int named = inventory.getCommitsCount() + inventory.getGoneCount() + inventory.getReleasedCount();
        if (named == 0 || named > config.maxCommitsPerInventory()) {
            return Outcome.refuse(Penalty.MALFORMED_MESSAGE, "inventory of " + named + " commits");
        }
        if (inventory.getKeepCount() > MAX_KEEPERS || inventory.getKeepList().stream().anyMatch(k -> k.size() != PublicId.LENGTH)) {
            return Outcome.refuse(Penalty.MALFORMED_MESSAGE, "inventory names " + inventory.getKeepCount()
                    + " keepers, or a malformed node id");
        }
        for (String commit : allCommits(inventory)) {
            if (!CommitId.isValid(commit)) {
                return Outcome.refuse(Penalty.MALFORMED_MESSAGE, "inventory names a malformed commit id");
            }
        }
        return dated(o, inventory.getTimeMs(), nowMs, fromClockAheadMs);
    }

    /**
     * One rule for every record a peer signed itself and sent on its own link: dated inside the
     * window by our clock, or by the signer's as that link's handshake measured it
     * ({@code ownClockAheadMs}, 0 for a record of another node or a link with no handshake behind
     * it). The latter lets a node whose clock is hours off announce what it holds, where it is and
     * what it ran to the nodes it links to: only on the link whose handshake it proved with its key
     * over our nonce, and a key holder choosing its hello's date to widen its own window gains
     * nothing it could not have by signing anew. A record taken only on that measure is this
     * node's alone ({@link Outcome#onSendersClock}): the nodes it would be relayed to cannot
     * measure the signer and would refuse it, and its date would order the peer table's records
     * (a record dated hours ahead would keep its signer's right ones out once its clock is fixed).
     */
    private Outcome dated(Outcome o, long timeMs, long nowMs, long ownClockAheadMs) {
        Outcome byOurClock = window(o, timeMs, nowMs, true);
        if (byOurClock.accepted() || !pastTheSkew(ownClockAheadMs)) {
            return byOurClock;
        }
        Outcome byItsClock = window(o, timeMs - ownClockAheadMs, nowMs, true);
        return byItsClock.accepted() ? new Outcome(o.kind(), o.record(), null, null, true) : byOurClock;
    }

    private static Iterable<String> allCommits(Inventory inventory) {
        List<String> all = new ArrayList<>(inventory.getCommitsList());
        all.addAll(inventory.getGoneList());
        all.addAll(inventory.getReleasedList());
        return all;
    }

    private <T extends Message> Outcome open(SignedEnvelope envelope, T prototype, Function<T, ByteString> claimedSigner,
            Kind kind) {
        Verified<T> verified;
        try {
            verified = signatures.open(envelope, prototype);
        } catch (MalformedEnvelopeException e) {
            // No signature was checked (no version, a signer or signature of the wrong length, another
            // record type than the message's slot): a malformed message, as the coordinator answers it
            // (400, not 401). It costs what a forgery costs, but the peer's link is closed for what it was.
            return Outcome.refuse(Penalty.MALFORMED_MESSAGE, e.getMessage());
        } catch (SignatureException e) {
            return Outcome.refuse(Penalty.BAD_SIGNATURE, e.getMessage());
        }
        if (!claimedSigner.apply(verified.record()).equals(envelope.getSigner())) {
            return Outcome.refuse(Penalty.FORGED_SIGNER, kind + " signed by " + verified.signer().shortForm()
                    + " names another node");
        }
        Outcome elsewhere = otherNetwork(envelope, kind);
        return elsewhere != null ? elsewhere : Outcome.accept(kind, verified.record());
    }

    /**
     * A record whose good signature names another network than this node's: refused (a node of
     * another network, or a capture of its record replayed here), and not scored as a forgery, since
     * its signer signed it; null when it names this network, or this node does not know its own yet.
     * Once it knows its network, a record that names none (envelope version 1) is refused the same
     * way: no compatibility window, since a node that signs version 1 (from before round 15) can no
     * longer claim or report to an upgraded coordinator either, and a version-1 record captured on
     * another network would otherwise still be replayed here.
     */
    private Outcome otherNetwork(SignedEnvelope envelope, Kind kind) {
        String ours = network.id();
        if (ours == null || (envelope.getVersion() == Envelopes.VERSION && envelope.getNetwork().equals(ours))) {
            return null;
        }
        if (envelope.getVersion() != Envelopes.VERSION) {
            return Outcome.refuse(Penalty.OTHER_NETWORK, kind + " signed version "
                    + Integer.toUnsignedString(envelope.getVersion()) + " for no network, not this network " + ours + " (its signer has not learnt the network yet, as"
                    + " on a node's first start before its coordinator answers, and re-signs once it has; or it runs a"
                    + " release from before networks were named, and must upgrade)");
        }
        return Outcome.refuse(Penalty.OTHER_NETWORK, kind + " signed for network " + envelope.getNetwork()
                + ", not this network " + ours);
    }

    private Outcome window(Outcome accepted, long timeMs, long coreNowMs, boolean mustBeRecent) {
        long nowMs = clock.wallMs(coreNowMs);
        if (timeMs > nowMs + config.maxClockSkew().toMillis()) {
            return Outcome.refuse(Penalty.STALE, accepted.kind() + " dated " + (timeMs - nowMs) + " ms in the future");
        }
        // The sender's clock may be behind ours by as much as it may be ahead.
        if (mustBeRecent && timeMs < nowMs - config.seenTtl().toMillis() - config.maxClockSkew().toMillis()) {
            return Outcome.refuse(Penalty.STALE, accepted.kind() + " is " + (nowMs - timeMs) + " ms old");
        }
        return accepted;
    }
}
