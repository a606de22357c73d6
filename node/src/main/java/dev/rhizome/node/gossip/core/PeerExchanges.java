package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.AnnouncementCheck.Outcome;
import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;

/**
 * Peer exchange: asking a new link (and one random link every {@link #EXCHANGE_INTERVAL_MS}) for
 * signed NodeInfo records while the table has room, answering such asks at a bounded rate, and
 * taking in the answers. The keepalive rides on it as an ask for one record.
 */
final class PeerExchanges {
    /** Records a peer exchange carries at most. */
    static final int EXCHANGE_SIZE = 32;
    static final long EXCHANGE_INTERVAL_MS = 30_000;
    /**
     * A peer's PeerExchangeRequest is answered at most this often per link; others are dropped. An
     * answer is up to 32 records (about 16 KB) for a request of a few bytes, so a peer asking as
     * fast as its token bucket allows (50 a second) had us send it close to a megabyte a second.
     * An honest node asks once when a link opens (the count restarts with a reconnect) and then
     * one random link every 30 s.
     */
    static final long EXCHANGE_ANSWER_MS = 10_000;

    /** Our PeerExchangeRequests counted as outstanding on one link at most. */
    static final int MAX_EXCHANGE_ASKS = 4;

    /** A link's exchange asks, both ways; written here only. */
    static final class Asks {
        /** Records asked for by our outstanding PeerExchangeRequests (the most of any); 0 when none is pending. */
        private int asked;
        /**
         * Our PeerExchangeRequests not answered yet (at most {@code MAX_EXCHANGE_ASKS}): two asks may
         * be out at once (a keepalive, then a full ask; a reconnect), and each answer is expected.
         */
        private int outstanding;
        /** When we last answered the peer's PeerExchangeRequest (long ago: none yet on this link). */
        private long answeredMs = Long.MIN_VALUE / 2;

        /** A new link replaced the old: the peer's asks are answered afresh; ours stay expected (answers on the old link may still arrive). */
        void relinked() {
            answeredMs = Long.MIN_VALUE / 2;
        }

        private void asked(int records) {
            asked = records;
            outstanding = Math.min(outstanding + 1, MAX_EXCHANGE_ASKS);
        }
    }

    private final Self self;
    private final Peers peers;
    private final SelfSigner selfSigner;
    private final AnnouncementCheck check;
    private final NodeInfoCheck nodeInfos;
    private final Outbox outbox;
    private final Discipline discipline;
    private final Dialer dialer;
    private long nextExchangeMs;

    PeerExchanges(Self self, Peers peers, SelfSigner selfSigner, AnnouncementCheck check, NodeInfoCheck nodeInfos,
                  Outbox outbox, Discipline discipline, Dialer dialer) {
        this.self = self;
        this.peers = peers;
        this.selfSigner = selfSigner;
        this.check = check;
        this.nodeInfos = nodeInfos;
        this.outbox = outbox;
        this.discipline = discipline;
        this.dialer = dialer;
    }

    void started(long now) {
        nextExchangeMs = now + EXCHANGE_INTERVAL_MS;
    }

    long nextExchangeMs() {
        return nextExchangeMs;
    }

    /** Every {@link #EXCHANGE_INTERVAL_MS}: one random link is asked while the table has room. */
    void tick(long now, List<Effect> out) {
        if (now >= nextExchangeMs) {
            nextExchangeMs = now + EXCHANGE_INTERVAL_MS;
            List<PublicId> open = peers.connections().openPeers();
            if (peers.table().size() < self.config().maxKnownPeers() && !open.isEmpty()) {
                askForPeers(open.get(self.random().nextInt(open.size())), out);
            }
        }
    }

    /** A new link is asked for peers while the table has room. */
    void askWhileRoom(PublicId peer, List<Effect> out) {
        if (peers.table().size() < self.config().maxKnownPeers()) {
            askForPeers(peer, out);
        }
    }

    /** The keepalive: a PeerExchangeRequest for one record, which every node (this version or an older one) answers. */
    void askKeepalive(PublicId peer, Link link, List<Effect> out) {
        link.asks.asked(Math.max(link.asks.asked, 1));
        outbox.send(peer, Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(1)).build(), out);
    }

    /** Answers a peer's request with our own record and a sample of the table within the link's reach, at most every {@link #EXCHANGE_ANSWER_MS}. */
    void onRequest(PublicId from, Link link, PeerExchangeRequest request, long now, List<Effect> out) {
        if (link.closing() || now - link.asks.answeredMs < EXCHANGE_ANSWER_MS) {
            return;
        }
        link.asks.answeredMs = now;
        // max is a uint32: 2^31 and up arrive as negative ints.
        long asked = Integer.toUnsignedLong(request.getMax());
        int max = asked == 0 ? EXCHANGE_SIZE : (int) Math.min(asked, EXCHANGE_SIZE);
        List<SignedEnvelope> records = new ArrayList<>();
        records.add(selfSigner.selfInfo(now));
        for (SignedEnvelope e : peers.table().sample(max, link.remote().reach(), self.random())) {
            if (records.size() >= max) {
                break;
            }
            if (!e.getSigner().equals(from.toByteString())) {
                records.add(e);
            }
        }
        outbox.send(from, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder().addAllNodes(records)).build(), out);
    }

    /** A peer's answer: each record checked (one forgery taints the rest), offered to the table, and the degree kept. */
    void onExchange(PublicId from, Link link, PeerExchange exchange, long now, List<Effect> out) {
        Asks asks = link.asks;
        int asked = asks.asked;
        if (asks.outstanding > 0 && --asks.outstanding == 0) {
            asks.asked = 0;
        }
        if (asked == 0) {
            discipline.penalise(from, Penalty.UNEXPECTED_MESSAGE, now, out);
            return;
        }
        if (exchange.getNodesCount() > asked) {
            self.counters().invalid++;
            discipline.penalise(from, Penalty.MALFORMED_MESSAGE, now, out);
            return;
        }
        for (SignedEnvelope record : exchange.getNodesList()) {
            if (nodeInfos.supersededBeforeVerifying(record, from)) {
                continue; // a version older than the one held: the table would not take it
            }
            // Another node's record dated ahead is dropped whatever its signature: not verified.
            Outcome outcome = record.getSigner().equals(from.toByteString()) ? null : check.staleBeforeVerifying(record, now, false);
            if (outcome == null) {
                outcome = nodeInfos.checkNodeInfo(record, now);
            }
            if (NodeInfoCheck.relayedOutOfWindow(outcome, record, from)) {
                self.counters().invalid++;
                continue; // another node's record dated ahead of our clock: its clock's fault, not the sender's
            }
            if (NodeInfoCheck.ownOutOfWindow(outcome, record, from)) {
                self.counters().invalid++;
                if (!ClockMeasure.retake(check, from, link, dateOf(record), now, out)) {
                    out.add(new Effect.ClockSkew(from, outcome.reason()));
                }
                continue; // its own record, dated by a clock far from ours: no forgery, the rest is read
            }
            if (!outcome.accepted()) {
                self.counters().invalid++;
                discipline.penalise(from, outcome.penalty(), now, out);
                return; // one forgery taints the rest of the message
            }
            if (record.getSigner().equals(from.toByteString())) {
                ClockMeasure.retake(check, from, link, ((NodeInfo) outcome.record()).getTimeMs(), now, out);
            }
            PublicId node = PublicId.of(record.getSigner());
            if (!node.equals(self.id()) && !peers.scores().isBanned(node, now)) {
                peers.table().offer(node, (NodeInfo) outcome.record(), record, link.remote().reach(), dialer::kept);
            }
        }
        dialer.keepDegree(now, out);
    }

    /** Asks {@code peer} for a full exchange. */
    void askForPeers(PublicId peer, List<Effect> out) {
        Link link = peers.connections().get(peer);
        link.asks.asked(EXCHANGE_SIZE);
        outbox.send(peer, Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(EXCHANGE_SIZE)).build(), out);
    }

    /** The date of a NodeInfo whose signature was checked (so it parses). */
    private static long dateOf(SignedEnvelope record) {
        try {
            return NodeInfo.parseFrom(record.getPayload()).getTimeMs();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("a NodeInfo whose signature was checked does not parse", e);
        }
    }
}
