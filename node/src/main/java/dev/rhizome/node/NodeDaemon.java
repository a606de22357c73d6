package dev.rhizome.node;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.net.GossipService;
import dev.rhizome.node.gossip.net.GossipSettings;
import dev.rhizome.node.explore.Explorer;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.hardware.Hardware;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.work.CommitFetcher;
import dev.rhizome.node.work.Evaluator;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.node.work.WorkLoop;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running volunteer node: identity, repository, the gossip service (which also serves bundles)
 * and the work loop, wired together.
 */
public final class NodeDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeDaemon.class);

    private final NodeLayout layout;
    private final Identity identity;
    private final NodeRepository repository;
    private final GossipService gossip;
    private final WorkLoop loop;
    private final Thread loopThread;

    private NodeDaemon(NodeConfig config) throws IOException, InterruptedException {
        this.layout = new NodeLayout(config.dataDir());
        this.identity = IdentityStore.loadOrCreate(config.dataDir());
        Hardware hardware = HardwareProbe.probe();
        log.info("node {} on {} ({} cores{}), class {}", identity.publicId().shortForm(), hardware.cpuModel(),
                hardware.cores(), hardware.gpus().isEmpty() ? "" : ", " + hardware.gpus().size() + " GPU",
                hardware.hardwareClass());
        this.repository = NodeRepository.open(layout.repository());
        CoordinatorClient coordinator = new CoordinatorClient(config.coordinatorUrl(), identity);
        TransferLog transfers = new TransferLog(layout.transfers());
        this.gossip = GossipService.start(repository, identity,
                GossipSettings.defaults(config.host(), config.peerPort(), hardware.hardwareClass(), layout.peers()),
                GossipCore.factory(identity, GossipConfig.defaults()), () -> entryPoints(coordinator), transfers, null);
        Clock clock = Clock.systemUTC();
        // One fetch path: the work loop's fetches go through the gossip core's planner.
        CommitFetcher commits = new CommitFetcher(gossip::fetchNow, coordinator);
        Evaluator evaluator = new Evaluator(identity, repository, commits, new JobRunner(),
                hardware.hardwareClass(), layout.work(), layout.logs(), clock);
        Explorer explorer = config.explore()
                ? new Explorer(repository, new PersonIdent("rhizome explorer " + identity.publicId().shortForm(),
                        identity.publicId().shortForm() + "@rhizome"), new SecureRandom(), 2)
                : null;
        InventoryAnnouncer announcer = new InventoryAnnouncer(coordinator, repository, config.host(),
                gossip.port(), hardware.hardwareClass(), clock, gossip::onLocalCommit);
        this.loop = new WorkLoop(identity, coordinator, commits, evaluator, explorer,
                new ResultOutbox(layout.outbox()), announcer, hardware.hardwareClass(), config.direction(),
                config.maxUnits(), config.maxBackoff().toMillis(), clock, gossip::announceResult);
        new NodeEndpoint(identity.publicId().toString(), config.host(), gossip.port(), ProcessHandle.current().pid())
                .write(config.dataDir());
        this.loopThread = new Thread(loop, "work-loop");
        log.info("peer server on {}:{}, coordinator {}, {}", config.host(), gossip.port(),
                config.coordinatorUrl(), config.explore() ? "exploring and evaluating" : "evaluating");
    }

    /** Where to start dialling the gossip network: the nodes the coordinator saw recently. */
    private static List<NodeInfo> entryPoints(CoordinatorClient coordinator) {
        try {
            return coordinator.nodes().getPeersList().stream()
                    .map(p -> NodeInfo.newBuilder().setNode(p.getNode()).setHost(p.getHost()).setPort(p.getPort()).build())
                    .toList();
        } catch (CoordinatorException e) {
            throw new IllegalStateException("coordinator has no nodes for us: " + e.getMessage(), e);
        }
    }

    public static NodeDaemon start(NodeConfig config) throws IOException, InterruptedException {
        NodeDaemon daemon = new NodeDaemon(config);
        daemon.loopThread.start();
        return daemon;
    }

    public Identity identity() {
        return identity;
    }

    public int peerPort() {
        return gossip.port();
    }

    public NodeRepository repository() {
        return repository;
    }

    public WorkLoop loop() {
        return loop;
    }

    /** Waits for the loop to finish (it does when maxUnits is reached). */
    public void join() throws InterruptedException {
        loopThread.join();
    }

    @Override
    public void close() throws InterruptedException {
        loop.stop();
        loopThread.interrupt();
        loopThread.join(10_000);
        try {
            Files.deleteIfExists(layout.endpointFile());
        } catch (IOException e) {
            log.debug("could not remove {}", layout.endpointFile(), e);
        }
        gossip.close();
        repository.close();
        log.info("node stopped: {} results reported, {} experiments proposed", loop.resultsReported(),
                loop.experimentsProposed());
    }
}
