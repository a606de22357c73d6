package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/** What the gossip core asks its adapter to do; the core itself performs no I/O. */
public sealed interface Effect {

    /** Send one gossip message to a connected peer. */
    record Send(PublicId to, Gossip message) implements Effect {
    }

    /**
     * Pull the bundle {@code commit} from {@code from} (BundleRequest), verify and import it, then call
     * {@link GossipCore#onFetched} or {@link GossipCore#onFetchFailed}; report
     * {@link GossipCore#onFetchProgress} as bytes arrive, or the core declares the fetch stalled after
     * {@link GossipConfig#fetchStall} and moves on. The core never has two fetches of one commit outstanding.
     * {@code holders} are the addresses the core knows: {@code from}'s first (from its hello, the peer
     * table or the work's hints), then the other known holders in the order the planner would ask them
     * (never a banned one), so a fetcher that takes ranges from several peers may use them.
     */
    record Fetch(PublicId from, String commit, List<PeerAddressing> addresses) implements Effect {
        /** A fetch whose holders' addresses the adapter knows by itself (a simulator). */
        public Fetch(PublicId from, String commit) {
            this(from, commit, List.of());
        }

        public Fetch {
            addresses = List.copyOf(addresses);
        }

        /** The holders' addresses, without the reach each was learnt over. */
        public List<NodeInfo> holders() {
            return addresses.stream().map(PeerAddressing::info).toList();
        }

        /** Where to reach {@code from}: the first of {@link #holders} when it is {@code from}'s address, else null. */
        public PeerAddressing where() {
            return !addresses.isEmpty() && addresses.get(0).info().getNode().equals(from.toByteString()) ? addresses.get(0) : null;
        }

        /** A fetch is the pair (from, commit); the holders are advice, so they take no part in equality. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Fetch f && f.from.equals(from) && f.commit.equals(commit);
        }

        @Override
        public int hashCode() {
            return from.hashCode() * 31 + commit.hashCode();
        }
    }

    /** Abandon a fetch the core gave up on (it stalled, or the commit arrived another way); no report is needed. */
    record CancelFetch(PublicId from, String commit) implements Effect {
    }

    /**
     * Open a gossip connection; report {@link GossipCore#onConnected} or {@link GossipCore#onDialFailed}.
     * A host name must resolve to an address no narrower than {@code learntOver} ({@link PeerAddressing}).
     */
    record Dial(NodeInfo peer, PeerAddress.Reach learntOver) implements Effect {
        public PeerAddressing addressing() {
            return new PeerAddressing(peer, learntOver);
        }
    }

    /**
     * Give up the Dial to {@code peer} in flight: close its socket (connecting or mid-handshake) and
     * report nothing of it; the core has already forgotten the dial.
     */
    record CancelDial(PublicId peer) implements Effect {
    }

    /**
     * Close the connection to {@code peer}; the core has already forgotten it. {@code routine} when
     * it is policy working as meant (no free link slot, a link to itself, an idle link), not a
     * peer's fault or a problem: the driver logs those quietly.
     */
    record Disconnect(PublicId peer, String reason, boolean routine) implements Effect {
        public Disconnect(PublicId peer, String reason) {
            this(peer, reason, false);
        }

        static Disconnect routine(PublicId peer, String reason) {
            return new Disconnect(peer, reason, true);
        }
    }

    /**
     * A peer this node cut for misbehaviour (banned, or scored under the threshold) connected again:
     * the driver may close the address this connection came from to new connections for a while,
     * before any handshake (a loop of reconnects cost a signature and two verifications each).
     * Emitted before the {@link Disconnect} that cuts the link.
     */
    record Shun(PublicId peer) implements Effect {
    }

    /**
     * Inbound links from {@code address} (as {@link LinkEnd#address} names it) come and go in a loop
     * ({@link RelinkChurn}), each costing this node a handshake: the driver may close the address to
     * new connections for a while, before any handshake, as it does for a {@link Shun}.
     */
    record Churning(String address) implements Effect {
    }

    /**
     * {@code peer}'s own record was refused for its date ({@code reason} says how far off): its clock
     * or this node's is wrong by more than the skew allowed. No offence (an honest node's clock may
     * drift): the adapter tells the operator, since if most peers' records are refused so, it is this
     * node's clock that is wrong.
     */
    record ClockSkew(PublicId peer, String reason) implements Effect {
    }

    /**
     * Nobody is left to ask for {@code commit}, which the node's work needed ({@link GossipCore#want}):
     * every holder failed, was banned, or none was usable. The adapter fails those waiting for it.
     */
    record Unavailable(String commit, String reason) implements Effect {
    }

    /** A new, verified Result announcement, for the application. */
    record ResultSeen(SignedEnvelope result) implements Effect {
    }

    /**
     * Call {@link PeerProtocol#onTick} at {@code atMs} (as quinn-proto's {@code poll_timeout} and
     * Radicle's {@code Io::Wakeup}): the core's next deadline, replacing any wakeup asked before.
     * The core emits it whenever that deadline moves; it is the only timer an adapter needs.
     */
    record Wakeup(long atMs) implements Effect {
    }

    /** This node's NodeInfo, signed afresh by the core: put it in the hello of every new link from now on. */
    record SignedSelf(SignedEnvelope nodeInfo) implements Effect {
    }

    /** Ask the bootstrap source (the coordinator) for nodes, off the core's thread, and hand them to {@link PeerProtocol#learn}. */
    record FindPeers() implements Effect {
    }

    /** Persist these signed NodeInfo records (the peers this node had links with), so a restart can rejoin without a bootstrap. */
    record SavePeers(List<SignedEnvelope> peers) implements Effect {
        public SavePeers {
            peers = List.copyOf(peers);
        }
    }

    /**
     * A second link to a connected peer passed its handshake (both ends dialled at once, or the peer
     * reconnected before we saw the old link close): keep the new link and close the old one
     * ({@code keepNew}), or close the new one. The core decides so both ends keep the same link.
     */
    record DuplicateLink(PublicId peer, boolean keepNew) implements Effect {
    }
}
