package dev.rhizome.node.gossip.net;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Real gossip nodes on loopback for one test: their event loops, the directory in which they find
 * each other (the coordinator's node list), and what to close after the test, last opened first.
 */
final class LoopbackNet implements AutoCloseable {
    record Started(Identity identity, NodeRepository repo, GossipService gossip) {
        PublicId id() {
            return identity.publicId();
        }

        /** Whether this node has links to all of {@code peers}. */
        boolean linkedTo(PublicId... peers) {
            return ask(gossip, p -> ((GossipCore) p).connectedPeers().containsAll(List.of(peers)));
        }

        /** Whether this node bans {@code peer} now. */
        boolean bans(PublicId peer) {
            return ask(gossip, p -> p.isBanned(peer, System.currentTimeMillis()));
        }

        /** This node's score of {@code peer}. */
        double scoreOf(PublicId peer) {
            return ask(gossip, p -> ((GossipCore) p).score(peer));
        }

        /** The keepers this node counts for {@code commit}, made here. */
        Set<PublicId> keepersOf(String commit) {
            return ask(gossip, p -> ((GossipCore) p).confirmedKeepers(commit));
        }

        /** Makes a commit of one small file here and tells the gossip layer, as the work loop does. */
        String commitAndAnnounce(String content) throws Exception {
            String commit = repo.commitFiles(null, Map.of("a.txt", content.getBytes()), content, GossipServiceTest.AUTHOR);
            gossip.onLocalCommit(commit);
            return commit;
        }
    }

    /** An honest maker and asker beside a rogue, as {@link #besideRogue} starts them. */
    record Honest(Started maker, Started asker) {
        /** The maker makes a commit; returns it once the asker holds it (the rogue did not keep it away). */
        String commitArrives(Duration within) throws Exception {
            String commit = maker.commitAndAnnounce("real");
            GossipServiceTest.await(() -> asker.repo().has(commit), within);
            return commit;
        }
    }

    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final List<NodeInfo> directory = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> open = new ArrayList<>();

    /**
     * A node with its repository in {@code dir}, ticking every 100 ms; {@code peer} null keeps the
     * default transfer limits, {@code listed} puts it in the directory others bootstrap from.
     */
    Started start(Path dir, Identity identity, Wants wants, PeerConfig peer, boolean listed) throws Exception {
        Started started = startWith(dir, identity, GossipCore.factory(identity, GossipConfig.defaults(), wants), peer,
                () -> List.copyOf(directory));
        GossipService gossip = started.gossip();
        if (listed) {
            directory.add(NodeInfo.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1")
                    .setPort(gossip.port()).build());
        }
        return started;
    }

    /**
     * A node with its repository in {@code dir}, ticking every 100 ms, its core made by {@code protocol}
     * (honest or a rogue's), bootstrapping from {@code bootstrap}; {@code peer} null keeps the default transfer limits.
     */
    Started startWith(Path dir, Identity identity, Function<NodeInfo, PeerProtocol> protocol, PeerConfig peer,
            Supplier<List<NodeInfo>> bootstrap) throws Exception {
        NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
        open.add(repo);
        GossipSettings settings = GossipSettings.defaults("127.0.0.1", 0, "cpu", dir.resolve("peers.bin"))
                .withTick(Duration.ofMillis(100));
        if (peer != null) {
            settings = settings.withPeer(peer);
        }
        GossipService gossip = GossipService.start(repo, identity, settings, protocol, bootstrap,
                new TransferLog(dir.resolve("transfers.jsonl")), group);
        open.add(gossip);
        return new Started(identity, repo, gossip);
    }

    /** Lists {@code rogue} where nodes bootstrap from, so those started after it link to it, and closes it after the test. */
    <R extends SocketRogue> R listed(R rogue) {
        open.add(rogue);
        directory.add(rogue.info());
        return rogue;
    }

    /**
     * Two honest nodes fetching everything, a maker and an asker, started in {@code tmp} after
     * {@code rogue} was {@link #listed}; returned once the asker has links to both the maker and the rogue.
     */
    Honest besideRogue(Path tmp, SocketRogue rogue) throws Exception {
        Started maker = start(tmp.resolve("maker"), Identity.generate(), Wants.everything(), null, true);
        Started asker = start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> asker.linkedTo(rogue.identity.publicId(), maker.id()), Duration.ofSeconds(60));
        return new Honest(maker, asker);
    }

    /**
     * A listed rogue serving {@code bundle} as {@code tip}, beside an honest maker and asker (see
     * {@link #besideRogue}): returned once the asker has scored the rogue a liar and a commit of the
     * maker's has still arrived.
     */
    Honest besideLyingServer(Path tmp, String tip, byte[] bundle) throws Exception {
        ServingRogue rogue = listed(new ServingRogue(tip, bundle));
        Honest honest = besideRogue(tmp, rogue);
        GossipServiceTest.await(() -> honest.asker().scoreOf(rogue.identity.publicId()) <= -16, Duration.ofSeconds(60));
        honest.commitArrives(Duration.ofSeconds(60));
        return honest;
    }

    /** Whether the object database of the node started in {@code nodeDir} holds {@code object}, reachable or not. */
    static boolean stores(Path nodeDir, String object) throws IOException {
        try (Repository repo = new FileRepositoryBuilder().setGitDir(nodeDir.resolve("repo.git").toFile()).setBare().build()) {
            return repo.getObjectDatabase().has(ObjectId.fromString(object));
        }
    }

    /** Asks a node's gossip core on its own thread, as the tests' conditions do. */
    static <T> T ask(GossipService gossip, Function<PeerProtocol, T> query) {
        try {
            return gossip.query(query);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
