package dev.rhizome.node.gossip.core;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.AnnouncementCheck.Outcome;
import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/**
 * Announcements that arrive on a link: checked (shape, novelty, signature, date; a peer pays for
 * what fails), then handed by kind to {@link InboundInventories} or {@link RecordRelays}.
 */
final class InboundAnnouncements {
    private static final String NODE_INFO = NodeInfo.getDescriptor().getFullName();
    private final Self self;
    private final SeenCache seen;
    private final AnnouncementCheck check;
    private final Discipline discipline;
    private final InboundInventories inventories;
    private final RecordRelays records;

    InboundAnnouncements(Self self, SeenCache seen, AnnouncementCheck check, Discipline discipline,
                         InboundInventories inventories, RecordRelays records) {
        this.self = self;
        this.seen = seen;
        this.check = check;
        this.discipline = discipline;
        this.inventories = inventories;
        this.records = records;
    }

    /** A signed announcement a peer sent or relayed: shape, novelty, signature and date checked, then acted on by kind. */
    void onAnnouncement(PublicId from, Link link, SignedEnvelope envelope, long now, List<Effect> out) {
        // Before the seen cache's digest of its bytes; and a copy refused for who passed it must not mark them seen.
        Outcome misshapen = check.misshapen(envelope);
        if (misshapen == null) {
            misshapen = check.misdirected(envelope, from);
        }
        if (misshapen != null) {
            if (misshapen.penalty() != null) {
                self.counters().invalid++;
                discipline.penalise(from, misshapen.penalty(), now, out);
            }
            return;
        }
        ByteString id = SeenCache.idOf(envelope);
        if (!seen.firstSighting(id)) {
            self.counters().duplicates++;
            return;
        }
        Outcome outcome = check.announcement(envelope, from, now, link.clockAheadMs());
        if (remeasured(from, link, envelope, outcome, now, out)) {
            self.counters().announcementsReceived++;
            return;
        }
        if (!outcome.accepted()) {
            if (NodeInfoCheck.relayedOutOfWindow(outcome, envelope, from)) {
                self.counters().invalid++;
                return; // dropped: the signer's clock (or the relayer's lag) is at fault, not the relay
            }
            if (NodeInfoCheck.ownOutOfWindow(outcome, envelope, from)) {
                self.counters().invalid++;
                out.add(new Effect.ClockSkew(from, outcome.reason()));
                return;
            }
            if (outcome.penalty() != null) {
                self.counters().invalid++;
                discipline.penalise(from, outcome.penalty(), now, out);
            }
            return;
        }
        self.counters().announcementsReceived++;
        if (link.closing()) {
            seen.forget(id); // checked and scored, but not acted on: a copy on another link still is
            return;
        }
        PublicId signer = PublicId.of(envelope.getSigner());
        if (outcome.onSendersClock() && outcome.kind() != AnnouncementCheck.Kind.INVENTORY) {
            // Its own record, dated by its clock hours off ours: heard here, handed on to no one (see AnnouncementCheck.dated).
            if (outcome.kind() == AnnouncementCheck.Kind.RESULT) {
                records.resultHeardHere(envelope, out);
            }
            return;
        }
        switch (outcome.kind()) {
            case INVENTORY -> inventories.received(from, link, (Inventory) outcome.record(), now, out);
            case NODE_INFO -> {
                NodeInfo info = (NodeInfo) outcome.record();
                if (PeerTable.outOfReach(info, link.remote().reach())) {
                    seen.forget(id); // dropped for this link's reach alone: a copy over a link it reaches is learnt
                }
                records.nodeInfo(from, link, signer, info, envelope, now, out);
            }
            case RESULT -> records.result(from, signer, envelope, now, out);
        }
    }

    /**
     * The peer's own NodeInfo measures its clock again ({@link ClockMeasure}) on a link whose
     * handshake measured it. True when the record was refused for its date alone and is now taken
     * on its clock (this node's alone, as {@link AnnouncementCheck#announcement} would take it).
     */
    private boolean remeasured(PublicId from, Link link, SignedEnvelope envelope, Outcome outcome, long now,
            List<Effect> out) {
        boolean ownNodeInfo = outcome.kind() == AnnouncementCheck.Kind.NODE_INFO
                ? ((NodeInfo) outcome.record()).getNode().equals(from.toByteString())
                : NodeInfoCheck.ownOutOfWindow(outcome, envelope, from) && envelope.getType().equals(NODE_INFO);
        if (!ownNodeInfo) {
            return false;
        }
        long timeMs;
        try {
            timeMs = outcome.accepted() ? ((NodeInfo) outcome.record()).getTimeMs() : NodeInfo.parseFrom(envelope.getPayload()).getTimeMs();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return false; // its signature was checked over these bytes: not reached
        }
        return ClockMeasure.retake(check, from, link, timeMs, now, out) && !outcome.accepted();
    }
}
