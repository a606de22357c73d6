package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The peers this node knows how to reach, at most {@code maxKnownPeers}, with their redial backoff.
 *
 * <p>When full, a newcomer only displaces a peer that has failed to answer a dial: what is known
 * to work is kept, so a flood of made-up peers from peer exchange can't push out the honest ones.
 */
final class PeerTable {

    static final class Entry {
        final PublicId id;
        NodeInfo info;
        SignedEnvelope signed; // null for bootstrap entries the coordinator handed us unsigned
        /** The reach of the link {@link #info} came by: its host, a name, must resolve no narrower. */
        Reach learntOver;
        int failures;
        long nextDialMs;
        /** Named by the bootstrap source's list (the coordinator's, of nodes heard from lately) since this node started. */
        boolean listed;

        Entry(PublicId id, NodeInfo info, SignedEnvelope signed, Reach learntOver) {
            this.id = id;
            this.info = info;
            this.signed = signed;
            this.learntOver = learntOver;
        }

        PeerAddressing addressing() {
            return new PeerAddressing(info, learntOver);
        }

        boolean dialable() {
            return !info.getHost().isEmpty() && info.getPort() > 0;
        }
    }

    /**
     * Node ids kept for one address (host and port): a node that changed its key and its old record,
     * with room for one more. Ids cost nothing to make, and hundreds of made-up ones naming one
     * victim's address filled the table and had the victim dialled once per id.
     */
    static final int MAX_IDS_PER_ADDRESS = 2;

    private final GossipConfig config;
    /** This node's own address as {@link AddressDials#address} spells it; null when it announces none. */
    private final String ours;
    private final Map<PublicId, Entry> peers = new LinkedHashMap<>();
    /** Peers ever added ({@link #added}): the dialer reads a change as peers learnt. */
    private long added;

    /** @param self this node's own record: another id naming its address is not kept ({@link #offer}) */
    PeerTable(GossipConfig config, NodeInfo self) {
        this.config = config;
        this.ours = self.getHost().isEmpty() ? null : AddressDials.address(self);
    }

    /**
     * Adds or refreshes a peer; a newer record (by its time) replaces an older one and a signed one an
     * unsigned one. {@code busy} says which peers must not be evicted (connected or being dialed).
     * A record naming an address narrower than the link it came by ({@code learntOver}; what the
     * volunteer or the coordinator gave is learnt over {@code LOOPBACK}, trusted as configured) is
     * not kept, so neither dialled nor handed on: see {@link #outOfReach}. Nor is a record without an
     * address ({@link #usable}), nor one naming this node's own address: a dial there reaches this
     * node, which answers as itself, so a rogue's made-up ids naming it had this node dial itself
     * (a handshake on both ends each time) and, relayed, its neighbours dial it under ids not its own.
     *
     * @return true when the table learnt something: a new peer or a newer record
     */
    boolean offer(PublicId id, NodeInfo info, SignedEnvelope signed, Reach learntOver, Predicate<PublicId> busy) {
        if (!usable(info, learntOver) || (ours != null && ours.equals(AddressDials.address(info)))) {
            return false;
        }
        Entry known = peers.get(id);
        if (known != null) {
            boolean newer = info.getTimeMs() > known.info.getTimeMs();
            boolean replace = signed != null ? known.signed == null || newer : known.signed == null && newer;
            if (replace) {
                // The same host vouched for over a narrower link (the coordinator's list, the LAN) stays so.
                boolean sameHost = known.info.getHost().equals(info.getHost());
                known.learntOver = sameHost && known.learntOver.compareTo(learntOver) < 0 ? known.learntOver : learntOver;
                known.info = info;
                known.signed = signed;
            }
            return replace;
        }
        if (!roomAtAddress(info, busy)) {
            return false;
        }
        if (peers.size() >= config.maxKnownPeers() && !evictOneFailed(busy) && !displaceForDiversity(info, busy)) {
            return false;
        }
        peers.put(id, new Entry(id, info, signed, learntOver));
        added++;
        return true;
    }

    /** Peers new to the table since it was made (a peer evicted and offered again counts again). */
    long added() {
        return added;
    }

    /**
     * Makes room for one more id at {@code info}'s address when {@link #MAX_IDS_PER_ADDRESS} hold it
     * already: the one there with the most failed dials goes, unless {@code keep} (connected, being
     * dialled, or proven to own the address). Records without an address take no room.
     */
    private boolean roomAtAddress(NodeInfo info, Predicate<PublicId> keep) {
        if (info.getHost().isEmpty()) {
            return true;
        }
        String address = AddressDials.address(info);
        int there = 0;
        Entry worst = null;
        for (Entry e : peers.values()) {
            if (!e.info.getHost().isEmpty() && AddressDials.address(e.info).equals(address)) {
                there++;
                if (!keep.test(e.id) && (worst == null || e.failures > worst.failures)) {
                    worst = e;
                }
            }
        }
        if (there < MAX_IDS_PER_ADDRESS) {
            return true;
        }
        if (worst == null) {
            return false;
        }
        peers.remove(worst.id);
        return true;
    }

    /**
     * Whether {@code info}, learnt over a link (or from a source) of reach {@code learntOver}, names an
     * address this node may dial: a host and a port ({@link #undialable} refuses neither) no narrower
     * than that link ({@link #outOfReach}). A record without one teaches nothing: kept, it took a
     * place in the table that no failed dial would ever free (only peers whose dials failed are
     * evicted), so a rogue's made-up ids without addresses, handed on in peer exchange, filled the
     * table for good and every honest newcomer was turned away.
     */
    static boolean usable(NodeInfo info, Reach learntOver) {
        return !info.getHost().isEmpty() && !undialable(info) && !outOfReach(info, learntOver);
    }

    /**
     * Whether {@code info} names an address no node can be dialled at: a port outside 1-65535 (the
     * driver's connect threw on one, on the core thread), the unspecified address (a dialler reaches
     * itself there), multicast, broadcast, or a host that is neither a literal nor a name. Any id may
     * sign such a record, so it is not kept, dialled, relayed or handed on; an older node may have
     * announced one, so it is no offence. A record without a host names no address and passes.
     */
    static boolean undialable(NodeInfo info) {
        return !info.getHost().isEmpty()
                && !(PeerAddress.isHost(info.getHost()) && PeerAddress.isPort(Integer.toUnsignedLong(info.getPort())));
    }

    /**
     * Whether {@code info}, learnt from a peer over a link of reach {@code link}, names an address
     * narrower than that link: loopback, link-local or private over a link from the internet,
     * loopback over one from the LAN. Any id may sign such a record, and nodes that kept and dialled
     * it probed hosts on their own network for a rogue; an older node may relay one, so it is no
     * offence. A record without a host names no address and passes.
     */
    static boolean outOfReach(NodeInfo info, Reach link) {
        return !info.getHost().isEmpty() && !PeerAddress.reach(info.getHost()).learnableOver(link);
    }

    /** True when the table holds another id with {@code info}'s address (host and port). */
    boolean claimedByAnother(PublicId id, NodeInfo info) {
        if (info.getHost().isEmpty()) {
            return false;
        }
        String address = AddressDials.address(info);
        for (Entry e : peers.values()) {
            if (!e.id.equals(id) && !e.info.getHost().isEmpty() && AddressDials.address(e.info).equals(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * In a full table with no failed peer to evict, makes room for a newcomer from a network
     * ({@link NetworkGroup}) holding fewer entries than the most crowded one by at least two: the
     * crowded network's newest entry goes, unless {@code keep} (max-min, as the inbound slots are
     * shared). Made-up peers at addresses of one network that all answer their dials (a rogue's /24
     * of cloud machines, names under its domain) filled the table for good, and no honest newcomer
     * got in; now they keep at most the share of their network, and the peers known longest in
     * it (honest ones, known before the flood) are the last to go.
     */
    private boolean displaceForDiversity(NodeInfo info, Predicate<PublicId> keep) {
        Map<String, Integer> perGroup = new HashMap<>();
        Map<String, Entry> newest = new HashMap<>();
        for (Entry e : peers.values()) {
            String group = NetworkGroup.of(e.info.getHost());
            perGroup.merge(group, 1, Integer::sum);
            if (!keep.test(e.id)) {
                newest.put(group, e);
            }
        }
        String crowded = null;
        for (Map.Entry<String, Integer> e : perGroup.entrySet()) {
            if (newest.containsKey(e.getKey()) && (crowded == null || e.getValue() > perGroup.get(crowded))) {
                crowded = e.getKey();
            }
        }
        int mine = perGroup.getOrDefault(NetworkGroup.of(info.getHost()), 0);
        if (crowded == null || perGroup.get(crowded) < mine + 2) {
            return false;
        }
        peers.remove(newest.get(crowded).id);
        return true;
    }

    private boolean evictOneFailed(Predicate<PublicId> busy) {
        Entry worst = null;
        for (Entry e : peers.values()) {
            if (e.failures > 0 && !busy.test(e.id) && (worst == null || e.failures > worst.failures)) {
                worst = e;
            }
        }
        if (worst == null) {
            return false;
        }
        peers.remove(worst.id);
        return true;
    }

    /**
     * The address in {@code signed} when the table holds that very record (byte for byte) for its
     * signer, else null. Only verified records are stored, so such a copy, which every peer exchange
     * brings again, needs no second Ed25519 check.
     */
    NodeInfo heldRecord(SignedEnvelope signed) {
        if (signed.getSigner().size() != PublicId.LENGTH) {
            return null;
        }
        Entry e = peers.get(PublicId.of(signed.getSigner()));
        return e != null && e.signed != null && e.signed.equals(signed) ? e.info : null;
    }

    /**
     * Whether the table holds a verified record of {@code signed}'s signer dated after the one
     * {@code signed} claims (read from its payload, unverified): such a record would never replace the
     * one held ({@link #offer} takes only a newer one), whatever its signature says. False when the
     * payload does not parse or nothing signed is held for the signer.
     */
    boolean holdsNewerThan(SignedEnvelope signed) {
        if (signed.getSigner().size() != PublicId.LENGTH) {
            return false;
        }
        Entry e = peers.get(PublicId.of(signed.getSigner()));
        if (e == null || e.signed == null) {
            return false;
        }
        try {
            return NodeInfo.parseFrom(signed.getPayload()).getTimeMs() < e.info.getTimeMs();
        } catch (com.google.protobuf.InvalidProtocolBufferException malformed) {
            return false; // the signature check says what is wrong with it
        }
    }

    /** The peer's known address, or null. */
    NodeInfo info(PublicId id) {
        Entry e = peers.get(id);
        return e == null ? null : e.info;
    }

    /** The peer's known address with the reach of the link it came by, or null. */
    PeerAddressing addressing(PublicId id) {
        Entry e = peers.get(id);
        return e == null ? null : e.addressing();
    }

    void remove(PublicId id) {
        peers.remove(id);
    }

    /** Peers that may be dialed now, {@code eligible} filtering out the connected, dialing and unwelcome ones. */
    List<Entry> dialable(long nowMs, Predicate<PublicId> eligible) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : peers.values()) {
            if (e.dialable() && e.nextDialMs <= nowMs && eligible.test(e.id)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Exponential backoff with jitter, so peers that lost one another don't redial in lockstep. */
    void dialFailed(PublicId id, long nowMs, Random random) {
        Entry e = peers.get(id);
        if (e == null) {
            return;
        }
        e.failures = Math.min(e.failures + 1, 30);
        long base = config.redialBase().toMillis();
        long delay = Math.min(config.redialMax().toMillis(), base << Math.min(e.failures - 1, 20));
        e.nextDialMs = nowMs + delay / 2 + (long) (random.nextDouble() * (delay / 2.0));
    }

    /** The table's entry for {@code id}; null when it holds none. */
    Entry get(PublicId id) {
        return peers.get(id);
    }

    /** {@code id} was named by the bootstrap source's list ({@link Entry#listed}). */
    void listed(PublicId id) {
        Entry e = peers.get(id);
        if (e != null) {
            e.listed = true;
        }
    }

    void connected(PublicId id) {
        Entry e = peers.get(id);
        if (e != null) {
            e.failures = 0;
            e.nextDialMs = 0;
        }
    }

    /**
     * Up to {@code max} signed records, chosen at random, for peer exchange: one per address (the
     * one with the fewest failed dials), so made-up ids naming one address are not handed on; none
     * out of reach for the asker's link ({@code to}: our LAN's addresses are not for the internet).
     */
    List<SignedEnvelope> sample(int max, Reach to, Random random) {
        Map<String, Entry> byAddress = new LinkedHashMap<>();
        for (Entry e : peers.values()) {
            if (e.signed != null && e.dialable() && !outOfReach(e.info, to)) {
                byAddress.merge(AddressDials.address(e.info), e, (a, b) -> b.failures < a.failures ? b : a);
            }
        }
        List<SignedEnvelope> signed = new ArrayList<>();
        byAddress.values().forEach(e -> signed.add(e.signed));
        return RandomPick.some(signed, max, random);
    }

    int size() {
        return peers.size();
    }
}
