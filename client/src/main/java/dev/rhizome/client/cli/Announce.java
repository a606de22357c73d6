package dev.rhizome.client.cli;

import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.work.InventoryAnnouncer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Announces what a data directory's repository holds, at the endpoint of the node serving it.
 * Commands that add commits (seed publish, submit) call this so peers can fetch them at once,
 * without waiting for the node's next heartbeat.
 */
public final class Announce {
    private Announce() {
    }

    public static Optional<NodeEndpoint> servingNode(Path dataDir) {
        try {
            return NodeEndpoint.ofRunningNode(dataDir);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, e.getMessage());
        }
    }

    public static void inventory(CoordinatorClient coordinator, NodeRepository repository, NodeEndpoint node)
            throws CoordinatorException {
        coordinator.announce(InventoryAnnouncer.announcement(coordinator.identity().publicId(), node.host(), node.port(),
                repository.commits(), "", System.currentTimeMillis()));
    }
}
