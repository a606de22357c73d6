package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the core's FindPeers: asks the bootstrap source (the coordinator's recent nodes) off
 * the core thread, as it may be slow or dead, and has the core learn what it names, this node
 * left out. When to ask, and how often, is the core's ({@code gossip.core.FindPeersBackoff}).
 */
final class PeerFinder {
    private static final Logger log = LoggerFactory.getLogger(PeerFinder.class);

    private final CoreSteps steps;
    private final PublicId self;
    private final Supplier<List<NodeInfo>> bootstrap;
    /** How far {@link #bootstrap}'s source reaches, asked with it: its addresses may reach no narrower. */
    private final Supplier<Reach> bootstrapReach;
    private final Executor asking;

    PeerFinder(CoreSteps steps, PublicId self, Supplier<List<NodeInfo>> bootstrap, Supplier<Reach> bootstrapReach,
               Executor asking) {
        this.steps = steps;
        this.self = self;
        this.bootstrap = bootstrap;
        this.bootstrapReach = bootstrapReach;
        this.asking = asking;
    }

    void find() {
        // The reach is asked after the list (it may look the coordinator's name up again): the later answer counts.
        CompletableFuture.supplyAsync(() -> new Found(bootstrap.get(), bootstrapReach.get()), asking)
                .thenAccept(found -> steps.post(p -> p.learn(withoutSelf(found.peers()), found.reach(), steps.nowMs())))
                .exceptionally(e -> {
                    // the completion's wrapper only adds the exception's class name to the words
                    log.warn("cannot find gossip peers: {}", (e.getCause() != null ? e.getCause() : e).getMessage());
                    return null;
                });
    }

    private record Found(List<NodeInfo> peers, Reach reach) {
    }

    private List<NodeInfo> withoutSelf(List<NodeInfo> peers) {
        return peers.stream().filter(p -> !p.getNode().equals(self.toByteString())).toList();
    }
}
