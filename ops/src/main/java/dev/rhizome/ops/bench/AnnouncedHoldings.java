package dev.rhizome.ops.bench;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The bench's nodes tell the coordinator which commits they hold, as a running node's
 * {@link InventoryAnnouncer} does: without it every claim named a commit no node held, so the
 * claim's peers read (ranking the holders) was never measured with holders to rank. Gossip
 * delivers every bundle to every node, so each node holds the seed's commit and every open unit's
 * (the newest {@value InventoryAnnouncer#MAX_COMMITS} where there are more, as a node caps them).
 * Announced before a phase's clock starts; in the phase each node sends it again every 10 seconds
 * ({@link Heartbeats}), as a running node does.
 */
final class AnnouncedHoldings {
    /** Where the bench's nodes say they serve bundles: loopback, nothing listens (no runner dials in a bench). */
    static final String HOST = "127.0.0.1";
    static final int FIRST_PORT = 20_000;

    private AnnouncedHoldings() {
    }

    /** The commits a node holds once gossip has delivered every unit's: the seed's, then each unit's, once. */
    static List<String> held(String seedCommit, List<WorkUnit> units) {
        Set<String> commits = new LinkedHashSet<>();
        commits.add(seedCommit);
        units.forEach(u -> commits.add(u.getCommit()));
        return new ArrayList<>(commits);
    }

    /** Each node announces {@code commits} under its own key, one after the other; returns how many each announced. */
    static int announce(String coordinatorUrl, List<PresignedNode> nodes, List<String> commits)
            throws CoordinatorException {
        int announced = 0;
        for (int i = 0; i < nodes.size(); i++) {
            CoordinatorClient node = new CoordinatorClient(coordinatorUrl, nodes.get(i).identity());
            var announcement = InventoryAnnouncer.announcement(node.identity().publicId(), HOST, FIRST_PORT + i,
                    commits, PresignedNode.HARDWARE_CLASS, System.currentTimeMillis());
            node.announce(announcement);
            announced = announcement.getCommitsCount();
        }
        return announced;
    }
}
