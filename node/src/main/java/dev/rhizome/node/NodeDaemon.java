package dev.rhizome.node;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.explore.Explorer;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.hardware.Hardware;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.PeerServer;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.work.CommitFetcher;
import dev.rhizome.node.work.Evaluator;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.node.work.WorkLoop;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running volunteer node: identity, repository, peer server and the work loop, wired together. */
public final class NodeDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeDaemon.class);

    private final NodeLayout layout;
    private final Identity identity;
    private final NodeRepository repository;
    private final PeerServer peerServer;
    private final BundleFetcher fetcher;
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
        PeerConfig peerConfig = PeerConfig.defaults();
        this.peerServer = PeerServer.start(repository, identity, config.host(), config.peerPort(), peerConfig);
        this.fetcher = new BundleFetcher(repository, identity, peerConfig, new TransferLog(layout.transfers()));
        CoordinatorClient coordinator = new CoordinatorClient(config.coordinatorUrl(), identity);
        Clock clock = Clock.systemUTC();
        CommitFetcher commits = new CommitFetcher(fetcher, coordinator);
        Evaluator evaluator = new Evaluator(identity, repository, commits, new JobRunner(),
                hardware.hardwareClass(), layout.work(), layout.logs(), clock);
        Explorer explorer = config.explore()
                ? new Explorer(repository, new PersonIdent("rhizome explorer " + identity.publicId().shortForm(),
                        identity.publicId().shortForm() + "@rhizome"), new SecureRandom(), 2)
                : null;
        InventoryAnnouncer announcer = new InventoryAnnouncer(coordinator, repository, config.host(),
                peerServer.port(), hardware.hardwareClass(), clock);
        this.loop = new WorkLoop(identity, coordinator, commits, evaluator, explorer,
                new ResultOutbox(layout.outbox()), announcer, hardware.hardwareClass(), config.direction(),
                config.maxUnits(), config.maxBackoff().toMillis(), clock);
        writeEndpoint(config.host());
        this.loopThread = new Thread(loop, "work-loop");
        log.info("peer server on {}:{}, coordinator {}, {}", config.host(), peerServer.port(),
                config.coordinatorUrl(), config.explore() ? "exploring and evaluating" : "evaluating");
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
        return peerServer.port();
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

    private void writeEndpoint(String host) throws IOException {
        String json = "{\"node\": \"" + identity.publicId() + "\", \"host\": \"" + host + "\", \"port\": "
                + peerServer.port() + ", \"pid\": " + ProcessHandle.current().pid() + "}\n";
        Files.writeString(layout.endpointFile(), json);
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
        fetcher.close();
        peerServer.close();
        repository.close();
        log.info("node stopped: {} results reported, {} experiments proposed", loop.resultsReported(),
                loop.experimentsProposed());
    }
}
