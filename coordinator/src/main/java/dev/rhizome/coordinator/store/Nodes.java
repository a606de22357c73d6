package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Nodes' announcements: their endpoints, the commits they hold, and the networks they speak from.
 * Part of {@link Store.Transaction}.
 */
public interface Nodes {
    default boolean announce(NodeAnnouncement announcement, long nowMs) {
        return announce(announcement, "", nowMs);
    }

    /**
     * Records the node's endpoint and the network its announcement came from
     * ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}; "" for none), and replaces the
     * set of commits it holds; false, changing nothing (not even when the node was last seen),
     * when an announcement of the node signed at or after this one's {@code time_ms} is on
     * record (a captured one sent again, or an older one late).
     */
    boolean announce(NodeAnnouncement announcement, String network, long nowMs);

    /**
     * Nodes holding {@code commit} (any node when empty) as {@link dev.rhizome.coordinator.core.PeerListing}
     * lists them: a bounded share per network, keys with standing first, each newest first.
     */
    List<PeerEndpoint> peers(String commit, int limit);

    /** Nodes that announced at or after {@code sinceMs}, most recently seen first, each with the hardware class it announced. */
    List<PeerEndpoint> nodesSeenSince(long sinceMs, int limit);

    /**
     * The nodes that announced at or after {@code sinceMs} that a joining node is told of, as
     * {@link dev.rhizome.coordinator.core.PeerListing} lists them, each with its hardware class.
     */
    List<PeerEndpoint> nodesListedSince(long sinceMs, int limit);

    /**
     * Whether some node announced at or after {@code sinceMs} from another network than
     * {@code network} (or from none known): whether anyone else could take the replicas a
     * claimant from {@code network} is kept off.
     */
    boolean nodeSeenOutside(String network, long sinceMs);

    /**
     * The nodes that announced at or after {@code sinceMs} with a hardware class that fits
     * {@code requiredClass} ({@link dev.rhizome.coordinator.core.HardwareClasses#fits}): how many
     * announced from {@code network} (up to {@link FittingNodes#COUNTED}), and whether any announced
     * from another network (or none known). A commit's trials are kept off its proposer's network
     * while a node of another network is seen: where only the proposer's network has nodes that fit,
     * its evaluations wait for an independent runner, and the report says so.
     */
    FittingNodes fittingNodesSeen(String requiredClass, String network, long sinceMs);

    /**
     * The nodes seen since {@code sinceMs}, not paused, with standing (a valid result on record)
     * whose announced hardware class fits {@code requiredClass} (the seed's), grouped by class
     * and network (the network of their latest announcement, "" where not known), as the
     * spot-check draw counts them ({@link #spotCheckCandidates}): which class a direction
     * compares in is judged by these ({@code core.ComparisonClasses}). At most {@code limit} groups.
     */
    List<dev.rhizome.coordinator.core.ComparisonClasses.Seen> classesWithStandingSeen(String requiredClass, long sinceMs,
            int limit);

    /** What {@link #fittingNodesSeen} counts. */
    record FittingNodes(int onNetwork, boolean elsewhere) {
        /** Nodes on the network counted at most: a report says how many, and reads no more. */
        public static final int COUNTED = 100;
    }

    /**
     * Whom a spot check may choose: of the nodes that announced at or after {@code sinceMs} with at
     * least one valid result on record, one for each network (a node whose network is not known
     * counts as one of its own), the one with the most valid results; none of the {@code excluded}
     * keys (the checked runner, the proposer, a tie-breaker's runners) nor any node whose latest
     * announcement, or whose leases
     * (evaluations), results or experiments since {@code networksSinceMs}, came from one of their
     * networks: the networks their latest announcements (seen at any time) came from and those
     * their leases of either kind, their results and their experiments since then were claimed,
     * sent and registered from ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of} of each
     * lease's address; {@code SpotChecks.NETWORKS_REMEMBERED}). Up to {@code limit}, most valid
     * results first, with the network its latest announcement came from. No node is left out for
     * the host it announced: that is its own word (round 31).
     */
    default List<SpotChecks.Candidate> spotCheckCandidates(Collection<ByteString> excluded, long sinceMs,
            long networksSinceMs, int limit) {
        return spotCheckCandidates(excluded, dev.rhizome.coordinator.core.HardwareClasses.ANY, sinceMs, networksSinceMs,
                limit);
    }

    /**
     * The same, among nodes whose announced hardware class fits {@code requiredClass} (the unit's
     * seed's, {@link dev.rhizome.coordinator.core.HardwareClasses#fits}): a key drawn that cannot
     * claim the unit holds it for nothing until the hold passes, and then anyone may take it.
     */
    List<SpotChecks.Candidate> spotCheckCandidates(Collection<ByteString> excluded, String requiredClass, long sinceMs,
            long networksSinceMs, int limit);

    /**
     * Up to {@code limit} nodes seen since then that claim work: those whose latest announcement
     * was not paused by their volunteer, most recently seen first. A paused node runs nothing, so it
     * is no runner an evaluation could still go to (Abandonment's count of runners seen).
     */
    Set<ByteString> runnersSeenSince(long sinceMs, int limit);

    /**
     * Up to {@code limit} nodes seen since then whose key has at least one valid result on record
     * (runners with standing), paused ones left out as in {@link #runnersSeenSince}.
     */
    Set<ByteString> runnersWithStandingSeenSince(long sinceMs, int limit);

    /**
     * What the node last announced of itself beside its endpoint: whether its volunteer paused it
     * and why it claims nothing now ("" while it claims); empty for a key never announced.
     */
    Optional<Availability> announcedAvailability(ByteString node);

    /** A node's own word on whether it claims work ({@code NodeAnnouncement.paused}, {@code .not_claiming}). */
    record Availability(boolean paused, String notClaiming) {
    }

    /** Whether this key has announced itself as a node before. */
    boolean knownNode(ByteString node);

    /**
     * Forgets up to {@code limit} nodes last seen before {@code beforeMs}, oldest first, with the
     * commits they announced; returns how many. A key that announces again is a new node.
     */
    int forgetNodesSeenBefore(long beforeMs, int limit);
}
